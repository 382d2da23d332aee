"""The monitoring outbox: last seen states, events, and their delivery per sink.

Events are inserted in the caller's transaction (the one that records the decision that
caused them), with an audit record each, so a decision and its events commit together.
Delivery is recorded afterwards, one small transaction per attempt: a crash between
sending and marking leaves the event pending, and the next run sends it again under the
same idempotency key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from govern.clock import rfc3339, utcnow
from govern.errors import UserInputError
from govern.store import audit
from govern.store._connection import Store
from govern.store._engine import duckdb

NO_EVENT = "no event {event_id}; list events with `govern events`"
ALREADY_ACKED = "event {event_id} was already acknowledged by {by} at {at}"
NOT_TRIGGER = (
    "event {event_id} is a {type} event; only a retraining_required event takes a "
    "replacement (list them with `govern events --open`)"
)
SELF_REPLACEMENT = "event {event_id} is {model}'s own trigger; name a different version"


@dataclass(frozen=True)
class Event:
    """One outbox entry: what changed for which model version, and why."""

    event_id: str
    idempotency_key: str
    type: str
    name: str
    version: str
    kind: str
    state: str
    previous: str | None
    decision_id: str | None
    payload: dict[str, Any]
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """The JSON document a sink sends (the payload plus the event's identity)."""
        return {
            "event_id": self.event_id,
            "idempotency_key": self.idempotency_key,
            "type": self.type,
            "model": f"{self.name}@{self.version}",
            "kind": self.kind,
            "state": self.state,
            "previous": self.previous,
            "decision_id": self.decision_id,
            "created_at": rfc3339(self.created_at),
            **self.payload,
        }


def all_states(store: Store) -> dict[tuple[str, str], dict[str, Any]]:
    """Every model version's last recorded states: {(name, version): {kind: (state, at)}}."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for name, version, kind, state, at in store.query(
        "SELECT name, version, kind, state, announced_at FROM monitor_state"
    ):
        out.setdefault((str(name), str(version)), {})[str(kind)] = (str(state), at)
    return out


def put_state(
    conn: duckdb.DuckDBPyConnection,
    name: str,
    version: str,
    kind: str,
    state: str,
    *,
    now: datetime,
    announced: bool,
) -> None:
    """Record the state seen now; `announced` moves the re-announcement clock."""
    conn.execute(
        """INSERT INTO monitor_state (name, version, kind, state, changed_at, announced_at)
           VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (name, version, kind) DO UPDATE SET
             changed_at = CASE WHEN monitor_state.state = excluded.state
                          THEN monitor_state.changed_at ELSE excluded.changed_at END,
             announced_at = CASE WHEN ? THEN excluded.announced_at
                            ELSE monitor_state.announced_at END,
             state = excluded.state""",
        [name, version, kind, state, now, now, announced],
    )


def insert_events(conn: duckdb.DuckDBPyConnection, events: list[Event]) -> None:
    """Insert events and their audit records inside the caller's transaction."""
    for e in events:
        conn.execute(
            """INSERT INTO events (event_id, idempotency_key, type, name, version, kind, state,
               previous, decision_id, payload, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)""",
            [
                e.event_id,
                e.idempotency_key,
                e.type,
                e.name,
                e.version,
                e.kind,
                e.state,
                e.previous,
                e.decision_id,
                json.dumps(e.payload, sort_keys=True, default=str),
                e.created_at,
            ],
        )
    if events:
        audit.append_many(
            conn,
            [
                (
                    "event",
                    f"{e.name}@{e.version}",
                    {
                        "event_id": e.event_id,
                        "idempotency_key": e.idempotency_key,
                        "type": e.type,
                        "state": e.state,
                        "decision_id": e.decision_id,
                    },
                )
                for e in events
            ],
        )


_SELECT = """SELECT e.event_id, e.idempotency_key, e.type, e.name, e.version, e.kind, e.state,
                    e.previous, e.decision_id, e.payload, e.created_at, e.acked_at,
                    e.acked_by, e.ack_note, e.replaced_by
             FROM events e"""


def _event(row: dict[str, Any]) -> Event:
    return Event(
        event_id=row["event_id"],
        idempotency_key=row["idempotency_key"],
        type=row["type"],
        name=row["name"],
        version=row["version"],
        kind=row["kind"],
        state=row["state"],
        previous=row["previous"],
        decision_id=row["decision_id"],
        payload=json.loads(row["payload"]),
        created_at=row["created_at"],
    )


def list_events(
    store: Store, *, open_only: bool = False, name: str | None = None, version: str | None = None
) -> list[dict[str, Any]]:
    """Stored events, oldest first, with their ack fields and delivery rows."""
    where, params = [], []
    if open_only:
        # open: not acknowledged, not a resolution, and (except retraining triggers, which
        # stay open until acknowledged) not superseded by a later event of the same kind
        where.append(
            """e.acked_at IS NULL AND e.type <> 'resolved' AND (e.kind = 'retraining' OR NOT
               EXISTS (SELECT 1 FROM events l WHERE l.name = e.name AND l.version = e.version
                       AND l.kind = e.kind AND l.created_at > e.created_at))"""
        )
    if name is not None:
        where.append("e.name = ?")
        params.append(name)
    if version is not None:
        where.append("e.version = ?")
        params.append(version)
    sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "")
    rows = store.query_dicts(sql + " ORDER BY e.created_at, e.event_id", params)
    deliveries = deliveries_by_event(store)
    for row in rows:
        row["event"] = _event(row)
        row["deliveries"] = deliveries.get(row["event_id"], [])
    return rows


def deliveries_by_event(store: Store) -> dict[str, list[dict[str, Any]]]:
    """event_id -> its delivery rows (sink, attempts, last_error, delivered_at)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for row in store.query_dicts(
        """SELECT event_id, sink, attempts, last_error, last_attempt_at, delivered_at
           FROM event_deliveries ORDER BY sink"""
    ):
        out.setdefault(row["event_id"], []).append(row)
    return out


def pending(store: Store, sink: str) -> list[tuple[Event, int]]:
    """Events not yet delivered to `sink`, oldest first, with the attempts made so far."""
    rows = store.query_dicts(
        _SELECT
        + """ LEFT JOIN event_deliveries d ON d.event_id = e.event_id AND d.sink = ?
              WHERE d.delivered_at IS NULL ORDER BY e.created_at, e.event_id""",
        [sink],
    )
    attempts = dict(
        store.query("SELECT event_id, attempts FROM event_deliveries WHERE sink = ?", [sink])
    )
    return [(_event(r), int(attempts.get(r["event_id"], 0))) for r in rows]


def record_attempt(store: Store, event_id: str, sink: str, error: str | None) -> None:
    """Record one delivery attempt: delivered when `error` is None."""
    now = utcnow()
    with store.transaction() as conn:
        conn.execute(
            """INSERT INTO event_deliveries (event_id, sink, attempts, last_error,
                 last_attempt_at, delivered_at) VALUES (?, ?, 1, ?, ?, ?)
               ON CONFLICT (event_id, sink) DO UPDATE SET
                 attempts = event_deliveries.attempts + 1,
                 last_error = excluded.last_error,
                 last_attempt_at = excluded.last_attempt_at,
                 delivered_at = excluded.delivered_at""",
            [event_id, sink, error, now, now if error is None else None],
        )


def ack(store: Store, event_id: str, *, by: str, note: str) -> dict[str, Any]:
    """Close an event: who, when and why, with an audit record in the same transaction."""
    now = utcnow()
    with store.transaction() as conn:
        rows = conn.execute(
            "SELECT name, version, type, acked_at, acked_by FROM events WHERE event_id = ?",
            [event_id],
        ).fetchall()
        if not rows:
            raise UserInputError(NO_EVENT.format(event_id=event_id))
        name, version, type_, acked_at, acked_by = rows[0]
        if acked_at is not None:
            raise UserInputError(ALREADY_ACKED.format(event_id=event_id, by=acked_by, at=acked_at))
        conn.execute(
            "UPDATE events SET acked_at = ?, acked_by = ?, ack_note = ? WHERE event_id = ?",
            [now, by, note, event_id],
        )
        audit.append(
            conn,
            action="event_ack",
            subject=f"{name}@{version}",
            payload={"event_id": event_id, "type": type_, "by": by, "note": note},
            actor=by,
            at=now,
        )
    return {"event_id": event_id, "model": f"{name}@{version}", "type": type_, "by": by}


def open_triggers(store: Store, name: str | None = None) -> list[dict[str, Any]]:
    """Open (unacknowledged) retraining triggers, oldest first, as the policy input shows them.

    Each: name, version, the version's registered_at, event_id, raised_at, the denied
    controls that raised it, and replaced_by (NAME@VERSION linked with `events link`, or
    null). One query for one model, or for every model with `name` None.
    """
    sql = """SELECT e.name, e.version, v.registered_at, e.event_id, e.created_at, e.payload,
                    e.replaced_by
             FROM events e JOIN model_versions v ON v.name = e.name AND v.version = e.version
             WHERE e.type = 'retraining_required' AND e.acked_at IS NULL"""
    params: list[Any] = []
    if name is not None:
        sql += " AND e.name = ?"
        params.append(name)
    out = []
    for n, v, registered, event_id, created, payload, replaced in store.query(
        sql + " ORDER BY e.created_at, e.event_id", params
    ):
        violations = json.loads(payload).get("violations") or []
        out.append(
            {
                "name": str(n),
                "version": str(v),
                "registered_at": rfc3339(registered),
                "event_id": str(event_id),
                "raised_at": rfc3339(created),
                "controls": sorted({str(x["control"]) for x in violations if "control" in x}),
                "replaced_by": replaced,
            }
        )
    return out


def link_replacement(
    store: Store, event_id: str, *, name: str, version: str, by: str, note: str | None
) -> dict[str, Any]:
    """Name NAME@VERSION as the replacement of an open retraining trigger (audited).

    The trigger stays open (`events ack` closes it once the replacement is in service);
    the link lets that version pass MON-RTR-01 while it is open.
    """
    now = utcnow()
    replacement = f"{name}@{version}"
    with store.transaction() as conn:
        rows = conn.execute(
            "SELECT name, version, type, acked_at, acked_by FROM events WHERE event_id = ?",
            [event_id],
        ).fetchall()
        if not rows:
            raise UserInputError(NO_EVENT.format(event_id=event_id))
        ev_name, ev_version, type_, acked_at, acked_by = rows[0]
        model = f"{ev_name}@{ev_version}"
        if type_ != "retraining_required":
            raise UserInputError(NOT_TRIGGER.format(event_id=event_id, type=type_))
        if acked_at is not None:
            raise UserInputError(ALREADY_ACKED.format(event_id=event_id, by=acked_by, at=acked_at))
        if model == replacement:
            raise UserInputError(SELF_REPLACEMENT.format(event_id=event_id, model=model))
        conn.execute(
            "UPDATE events SET replaced_by = ? WHERE event_id = ?", [replacement, event_id]
        )
        audit.append(
            conn,
            action="event_link",
            subject=model,
            payload={"event_id": event_id, "replaced_by": replacement, "by": by, "note": note},
            actor=by,
            at=now,
        )
    return {"event_id": event_id, "model": model, "replaced_by": replacement, "by": by}
