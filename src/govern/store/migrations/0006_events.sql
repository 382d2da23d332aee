-- 6: monitoring outbox (govern monitor, govern events).
--
-- monitor_state holds the last state `govern monitor` saw per model version and concern
-- (gate, evidence, zombie, retraining, stage), so events are raised on transitions only.
-- events is the outbox: written in the transaction of the decision that caused them;
-- event_deliveries records, per sink, whether each event went out (delivery is a later,
-- separate step, so a receiver that is down only delays it).
CREATE TABLE monitor_state (
    name VARCHAR NOT NULL,
    version VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    state VARCHAR NOT NULL,
    changed_at TIMESTAMP NOT NULL,
    announced_at TIMESTAMP NOT NULL,
    PRIMARY KEY (name, version, kind)
);
CREATE TABLE events (
    event_id VARCHAR PRIMARY KEY,
    idempotency_key VARCHAR NOT NULL UNIQUE,
    type VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    version VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    state VARCHAR NOT NULL,
    previous VARCHAR,
    decision_id VARCHAR,
    payload JSON NOT NULL,
    created_at TIMESTAMP NOT NULL,
    acked_at TIMESTAMP,
    acked_by VARCHAR,
    ack_note VARCHAR
);
CREATE TABLE event_deliveries (
    event_id VARCHAR NOT NULL,
    sink VARCHAR NOT NULL,
    attempts INTEGER NOT NULL,
    last_error VARCHAR,
    last_attempt_at TIMESTAMP,
    delivered_at TIMESTAMP,
    PRIMARY KEY (event_id, sink)
);
