-- 1: registry, lifecycle events, scans, evidence, decisions
CREATE TABLE schema_version (
    version INTEGER NOT NULL,
    applied_at TIMESTAMP NOT NULL
);
CREATE TABLE models (
    name VARCHAR PRIMARY KEY,
    owner VARCHAR,
    risk_tier VARCHAR,
    use_case VARCHAR,
    regulatory_scope VARCHAR[],
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE TABLE model_versions (
    name VARCHAR NOT NULL,
    version VARCHAR NOT NULL,
    stage VARCHAR NOT NULL,
    card JSON NOT NULL,
    card_path VARCHAR,
    card_sha256 VARCHAR NOT NULL,
    registered_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (name, version)
);
CREATE TABLE lifecycle_events (
    event_id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    version VARCHAR NOT NULL,
    action VARCHAR NOT NULL,
    from_stage VARCHAR,
    to_stage VARCHAR,
    actor VARCHAR,
    decision_id VARCHAR,
    detail JSON,
    occurred_at TIMESTAMP NOT NULL
);
CREATE TABLE scans (
    scan_id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    version VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    rows BIGINT NOT NULL,
    sources JSON NOT NULL,
    params JSON,
    engine_version VARCHAR NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP NOT NULL
);
CREATE TABLE evidence (
    scan_id VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    version VARCHAR NOT NULL,
    family VARCHAR NOT NULL,
    subject VARCHAR NOT NULL,
    metric VARCHAR NOT NULL,
    value DOUBLE,
    status VARCHAR NOT NULL,
    reason VARCHAR,
    detail JSON,
    created_at TIMESTAMP NOT NULL,
    CHECK ((status = 'ok') = (value IS NOT NULL AND NOT isnan(value) AND NOT isinf(value)))
);
CREATE TABLE decisions (
    decision_id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    version VARCHAR NOT NULL,
    stage VARCHAR NOT NULL,
    result VARCHAR NOT NULL,
    violations JSON NOT NULL,
    bundle_hash VARCHAR NOT NULL,
    input_hash VARCHAR NOT NULL,
    input JSON NOT NULL,
    engine VARCHAR NOT NULL,
    engine_version VARCHAR NOT NULL,
    decided_at TIMESTAMP NOT NULL
);
