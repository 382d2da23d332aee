-- 4: per-file partial aggregates are found by content, not only by (path, size, mtime): the
-- sha256 of the parquet footer is part of the lookup, so a file rewritten with its size and
-- mtime kept is read again. Rows written before this step hold NULL and are never reused
-- (NULL, not a default value, so the existing rows themselves are left exactly as they were).
ALTER TABLE scan_partials ADD COLUMN fingerprint VARCHAR;
