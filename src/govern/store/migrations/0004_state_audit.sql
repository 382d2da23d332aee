-- 4: the rows of models, model_versions, lifecycle_events, approvals and scan_partials are
-- bound to the audit chain: each audit record lists, under payload.bound, the rows its
-- transaction wrote as [table, [primary key], sha256 of the row] (store/_state.py). The
-- migration's own audit record binds every row that existed before.
CREATE VIEW v_audit_bound AS
SELECT
    a.seq,
    a.action,
    a.subject,
    b.value ->> '$[0]' AS "table",
    b.value -> '$[1]' AS "key",
    b.value ->> '$[2]' AS row_sha256
FROM audit_log a, json_each(a.payload -> '$.bound') b;
