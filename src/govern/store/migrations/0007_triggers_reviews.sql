-- 7: retraining replacements, and monitor decisions that are not reviews.
--
-- events.replaced_by names the version (NAME@VERSION) linked as the replacement of a
-- model whose retraining trigger is open (`govern events link`); the promotion gate of a
-- later version reads it through the policy input (control MON-RTR-01).
--
-- monitor_decisions lists the decisions recorded by `govern monitor`. A scheduled job that
-- re-evaluates a model's current stage is continuous monitoring, not a review: before
-- this migration every decision counted as one, so a production model that nobody had
-- looked at for years was never flagged "no review for more than N days" while the
-- monitor ran. v_model_status now takes last_review_at from approvals and from decisions
-- not listed here (check, promote, retire, register: a person or a CI pipeline);
-- last_decision_at still covers every decision.
ALTER TABLE events ADD COLUMN replaced_by VARCHAR;

CREATE TABLE monitor_decisions (
    decision_id VARCHAR PRIMARY KEY
);

CREATE OR REPLACE VIEW v_model_status AS
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
rev AS (
    SELECT d.name, d.version, max(d.decided_at) AS at
    FROM decisions d
    ANTI JOIN monitor_decisions m ON m.decision_id = d.decision_id
    GROUP BY d.name, d.version
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
        WHEN rev.at IS NULL THEN appr.at
        WHEN appr.at IS NULL THEN rev.at
        ELSE greatest(rev.at, appr.at)
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
LEFT JOIN rev ON rev.name = v.name AND rev.version = v.version
LEFT JOIN prod ON prod.name = v.name AND prod.version = v.version
LEFT JOIN appr ON appr.name = v.name AND appr.version = v.version;
