-- 5: the rows of models, model_versions, lifecycle_events, approvals and scan_partials are
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

-- Data overlays (--data) a decision was evaluated with, so that `decision replay` needs
-- nothing outside the database. policy_overlays is content-addressed (sha256 of the UTF-8
-- text); decision_overlays lists, in order, the overlays of each decision, as the
-- decision's audit record does.
CREATE TABLE policy_overlays (
    sha256 VARCHAR PRIMARY KEY,
    content VARCHAR NOT NULL,
    stored_at TIMESTAMP NOT NULL
);
CREATE TABLE decision_overlays (
    decision_id VARCHAR NOT NULL,
    position INTEGER NOT NULL,
    path VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    PRIMARY KEY (decision_id, position)
);
