-- 2: hash-chained audit log, approvals, and the auditor views.
--
-- audit_log keeps the exact canonical bytes (RFC 8785) that were hashed, so verification
-- never re-serialises values read back from DuckDB. `ts` is text (UTC, microseconds, "Z")
-- for the same reason: a TIMESTAMPTZ would render differently per session TimeZone.
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    ts VARCHAR NOT NULL,
    actor VARCHAR,
    action VARCHAR NOT NULL,
    subject VARCHAR NOT NULL,
    payload JSON NOT NULL,
    canon BLOB NOT NULL,
    prev_hash VARCHAR NOT NULL,
    row_hash VARCHAR NOT NULL
);
CREATE TABLE approvals (
    approval_id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    version VARCHAR NOT NULL,
    stage VARCHAR NOT NULL,
    role VARCHAR NOT NULL,
    approved_by VARCHAR NOT NULL,
    note VARCHAR,
    approved_at TIMESTAMP NOT NULL
);

-- Every gate decision, with its violation counts and whether it moved the model.
CREATE VIEW v_decisions AS
SELECT
    d.decision_id,
    d.name,
    d.version,
    d.stage,
    d.result,
    json_array_length(d.violations) AS violations,
    len(list_filter(CAST(d.violations ->> '$[*].kind' AS VARCHAR[]), lambda k: k = 'deny')) AS denies,
    len(list_filter(CAST(d.violations ->> '$[*].kind' AS VARCHAR[]), lambda k: k = 'warn')) AS warns,
    CAST(d.violations ->> '$[*].control' AS VARCHAR[]) AS controls,
    e.action AS transition,
    d.bundle_hash,
    d.input_hash,
    d.engine,
    d.engine_version,
    d.decided_at
FROM decisions d
LEFT JOIN lifecycle_events e ON e.decision_id = d.decision_id;

-- The newest scan of each kind per model version, one row per metric.
CREATE VIEW v_latest_evidence AS
WITH latest AS (
    SELECT *
    FROM scans
    QUALIFY row_number() OVER (
        PARTITION BY name, version, kind ORDER BY finished_at DESC, scan_id
    ) = 1
)
SELECT
    l.name,
    l.version,
    l.kind,
    l.scan_id,
    l.finished_at AS scanned_at,
    l.rows AS rows_scanned,
    e.family,
    e.subject,
    e.metric,
    e.value,
    e.status,
    e.reason
FROM latest l
JOIN evidence e ON e.scan_id = l.scan_id;

-- One row per model version: stage, owner, and the dates of its last evidence and review.
CREATE VIEW v_model_status AS
WITH entered AS (
    SELECT e.name, e.version, max(e.occurred_at) AS at
    FROM lifecycle_events e
    JOIN model_versions v ON v.name = e.name AND v.version = e.version AND e.to_stage = v.stage
    GROUP BY e.name, e.version
),
ev AS (
    SELECT name, version, max(finished_at) AS at FROM scans GROUP BY name, version
),
dec AS (
    SELECT name, version, max(decided_at) AS at FROM decisions GROUP BY name, version
),
prod AS (
    SELECT name, version, result
    FROM decisions
    WHERE stage = 'production'
    QUALIFY row_number() OVER (PARTITION BY name, version ORDER BY decided_at DESC) = 1
),
appr AS (
    SELECT name, version, max(approved_at) AS at FROM approvals GROUP BY name, version
)
SELECT
    v.name,
    v.version,
    v.stage,
    m.owner,
    m.risk_tier,
    m.use_case,
    v.registered_at,
    coalesce(entered.at, v.registered_at) AS stage_entered_at,
    ev.at AS last_evidence_at,
    dec.at AS last_decision_at,
    appr.at AS last_approval_at,
    CASE
        WHEN dec.at IS NULL THEN appr.at
        WHEN appr.at IS NULL THEN dec.at
        ELSE greatest(dec.at, appr.at)
    END AS last_review_at,
    prod.result AS last_production_result,
    coalesce(TRY_CAST(json_extract_string(v.card, '$.monitoring.frequency_days') AS INTEGER), 30)
        AS evidence_max_age_days,
    coalesce(TRY_CAST(json_extract_string(v.card, '$.review_frequency_days') AS INTEGER), 365)
        AS review_max_age_days
FROM model_versions v
JOIN models m ON m.name = v.name
LEFT JOIN entered ON entered.name = v.name AND entered.version = v.version
LEFT JOIN ev ON ev.name = v.name AND ev.version = v.version
LEFT JOIN dec ON dec.name = v.name AND dec.version = v.version
LEFT JOIN prod ON prod.name = v.name AND prod.version = v.version
LEFT JOIN appr ON appr.name = v.name AND appr.version = v.version;

-- Zombie flags as of a given UTC instant (naive TIMESTAMP); v_zombies applies it to now.
CREATE MACRO zombies_at(at_utc) AS TABLE
SELECT
    s.*,
    list_filter(
        [
            CASE WHEN s.stage <> 'retired' AND coalesce(s.owner, '') = ''
                THEN 'no accountable owner' END,
            CASE WHEN s.stage IN ('deployment', 'production') AND s.last_evidence_at IS NULL
                THEN 'in ' || s.stage || ' but never scanned' END,
            CASE WHEN s.stage IN ('deployment', 'production')
                    AND s.last_evidence_at < at_utc - to_days(s.evidence_max_age_days)
                THEN 'no evidence for more than ' || s.evidence_max_age_days || ' days (last scan '
                    || strftime(s.last_evidence_at, '%Y-%m-%d') || ')' END,
            CASE WHEN s.stage = 'production' AND (s.last_review_at IS NULL
                    OR s.last_review_at < at_utc - to_days(s.review_max_age_days))
                THEN 'no review for more than ' || s.review_max_age_days || ' days' END,
            CASE WHEN s.stage = 'production' AND s.last_production_result = 'deny'
                THEN 'latest production gate decision is deny' END,
            CASE WHEN s.stage = 'retired' AND s.last_evidence_at > s.stage_entered_at
                THEN 'scanned after retirement' END
        ],
        lambda r: r IS NOT NULL
    ) AS reasons
FROM v_model_status s;

CREATE VIEW v_zombies AS
SELECT *
FROM zombies_at(make_timestamp(epoch_us(now())))
WHERE len(reasons) > 0;
