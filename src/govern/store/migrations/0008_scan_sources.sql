-- 8: when the data behind a model version's evidence last changed.
--
-- scan_sources lists, per model version, every file content a scan has counted (path, size
-- and fingerprint: the parquet footer's sha256, an object's ETag or version id, or an
-- in-memory table's digest) with the scan that counted it first. A scan records, in its
-- parameters, `data_changed_at`: the newest first-scan time among its own files. Re-reading
-- the same files (incrementally, with --full, or after an engine change invalidated the
-- stored partials) does not move it; a new or rewritten file does. Without it a production
-- model whose inference-log pipeline had died looked monitored for ever: every re-scan of
-- the old files wrote fresh evidence (policies/lib/common.rego `last_data_change_at`).
--
-- The mtime is not part of the key: a file touched or copied without being rewritten
-- holds no new data. The table is derived from the scans (whose rows their audit records'
-- content digests cover): each row is the earliest-started scan of the version that read
-- the content. `audit verify` recomputes it (store/_state.py), so a row deleted to make an
-- old file look new is caught. This step fills it from the scans already stored, so an
-- upgrade does not make old files look new.
CREATE TABLE scan_sources (
    name VARCHAR NOT NULL,
    version VARCHAR NOT NULL,
    path VARCHAR NOT NULL,
    size BIGINT NOT NULL,
    fingerprint VARCHAR NOT NULL,
    first_scan_id VARCHAR NOT NULL,
    first_scanned_at TIMESTAMP NOT NULL,
    PRIMARY KEY (name, version, path, size, fingerprint)
);

INSERT INTO scan_sources
SELECT name, version, path, size, fingerprint,
       arg_min(scan_id, started_at), min(started_at)
FROM (
    SELECT name, version, scan_id, started_at, f.path AS path, f.size AS size,
           coalesce(f.fingerprint, '') AS fingerprint
    FROM (
        SELECT name, version, scan_id, started_at,
               UNNEST(from_json(sources,
                   '[{"path": "VARCHAR", "size": "BIGINT", "fingerprint": "VARCHAR"}]')) AS f
        FROM scans
    )
) AS occ
WHERE path IS NOT NULL AND size IS NOT NULL
GROUP BY name, version, path, size, fingerprint;
