"""Models and their versions: register from model cards (gated or imported), look up."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from govern.clock import utcnow
from govern.errors import ModelNotFoundError, UserInputError
from govern.lifecycle import ModelRef, registration_gates
from govern.results import Decision
from govern.store import audit
from govern.store._connection import Store
from govern.store._engine import duckdb
from govern.store.decisions import insert_decision

if TYPE_CHECKING:  # the card parser (and YAML) is not needed to look a model up
    from govern.cards import ModelCard

GATE_BYPASS = (
    "{model}: the card declares stage {stage!r}, but a new version enters the registry at "
    "'proposed' unless it passes every gate up to {stage!r} ({gates}) or is imported with "
    "`govern register --import-existing --reason TEXT`"
)
CHANGED = "{model}: registered by another process while its gates were evaluated; run it again"


@dataclass(frozen=True)
class Gate:
    """A gate a new version passed on its way into the registry, with its input."""

    stage: str
    decision: Decision
    input_doc: dict[str, Any]


@dataclass(frozen=True)
class Plan:
    """How one card is to be registered: plainly, through `gates`, or as an audited import."""

    card: ModelCard
    gates: tuple[Gate, ...] = ()
    import_reason: str | None = None


def upsert_card(
    store: Store,
    card: ModelCard,
    *,
    gates: tuple[Gate, ...] = (),
    import_reason: str | None = None,
    actor: str | None = None,
) -> str:
    """Register or update one version; returns "created", "imported" or "updated"."""
    return register_cards(store, [Plan(card, gates, import_reason)], actor=actor)[0]


def register_cards(store: Store, plans: list[Plan], *, actor: str | None = None) -> list[str]:
    """Register or update every card in ONE transaction (all or none).

    The lifecycle stage of an existing version is never changed by re-registering: only
    promote/retire move it. A new version enters at `proposed`, or at the card's declared
    stage when it passed every gate up to it (`Plan.gates`, decisions recorded with it) or
    when it is an explicit import (`Plan.import_reason`, event `import`, visible to
    policies as `input.registration` and in the inventory).
    """
    now = utcnow()
    who = actor or audit.default_actor()
    with store.transaction() as conn:
        return [_register(conn, plan, now, who) for plan in plans]


def _register(conn: duckdb.DuckDBPyConnection, plan: Plan, now: datetime, actor: str) -> str:
    card = plan.card
    model = f"{card.name}@{card.version}"
    facts = card.values
    scope = [str(s) for s in facts.get("regulatory_scope", [])]
    conn.execute(
        """
        INSERT INTO models (name, owner, risk_tier, use_case, regulatory_scope,
                            created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (name) DO UPDATE SET owner = excluded.owner,
            risk_tier = excluded.risk_tier, use_case = excluded.use_case,
            regulatory_scope = excluded.regulatory_scope, updated_at = excluded.updated_at
        """,
        [
            card.name,
            str(facts["owner"]),
            str(facts["risk_tier"]),
            str(facts["use_case"]),
            scope,
            now,
            now,
        ],
    )
    existing = conn.execute(
        "SELECT stage FROM model_versions WHERE name = ? AND version = ?",
        [card.name, card.version],
    ).fetchall()
    card_json = json.dumps(card.data, sort_keys=True)
    info = {"card_path": card.path, "card_sha256": card.sha256}
    if existing:
        if plan.gates:
            raise UserInputError(CHANGED.format(model=model))
        stage = str(existing[0][0])
        conn.execute(
            """UPDATE model_versions SET card = ?, card_path = ?, card_sha256 = ?,
               updated_at = ? WHERE name = ? AND version = ?""",
            [card_json, card.path, card.sha256, now, card.name, card.version],
        )
        event = _event(
            conn, card, "register", stage, stage, actor, None, {**info, "action": "updated"}, now
        )
        _audit(conn, card, actor, {"result": "updated", "stage": stage, **info}, now, [event])
        return "updated"
    stage = card.stage
    if plan.import_reason is not None:
        detail = {**info, "action": "created", "reason": plan.import_reason}
        _insert_version(conn, card, stage, card_json, now)
        event = _event(conn, card, "import", None, stage, actor, None, detail, now)
        _audit(conn, card, actor, {"result": "imported", "stage": stage, **detail}, now, [event])
        return "imported"
    chain = registration_gates(stage) if stage != "proposed" else ()
    passed = tuple(g.stage for g in plan.gates if g.decision.allowed)
    if passed != chain or len(plan.gates) != len(chain):
        raise UserInputError(GATE_BYPASS.format(model=model, stage=stage, gates=", ".join(chain)))
    _insert_version(conn, card, stage, card_json, now)
    events = [
        _event(
            conn,
            card,
            "register",
            None,
            "proposed" if chain else stage,
            actor,
            None,
            {**info, "action": "created"},
            now,
        )
    ]
    previous = "proposed"
    for i, gate in enumerate(plan.gates, start=1):
        insert_decision(conn, gate.decision, gate.input_doc)
        at = now + timedelta(microseconds=i)  # keeps the events in gate order
        events.append(
            _event(
                conn,
                card,
                "register",
                previous,
                gate.stage,
                actor,
                gate.decision.decision_id,
                {"gate": gate.stage},
                at,
            )
        )
        previous = gate.stage
    payload = {
        "result": "created",
        "stage": stage,
        **info,
        "gates": [{"stage": g.stage, "decision_id": g.decision.decision_id} for g in plan.gates],
    }
    _audit(conn, card, actor, payload, now, events)
    return "created"


def _insert_version(
    conn: duckdb.DuckDBPyConnection, card: ModelCard, stage: str, card_json: str, now: datetime
) -> None:
    conn.execute(
        """INSERT INTO model_versions (name, version, stage, card, card_path,
           card_sha256, registered_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        [card.name, card.version, stage, card_json, card.path, card.sha256, now, now],
    )


def _event(
    conn: duckdb.DuckDBPyConnection,
    card: ModelCard,
    action: str,
    from_stage: str | None,
    to_stage: str,
    actor: str,
    decision_id: str | None,
    detail: dict[str, Any],
    at: datetime,
) -> str:
    event_id = str(uuid.uuid4())
    conn.execute(
        """INSERT INTO lifecycle_events (event_id, name, version, action, from_stage,
           to_stage, actor, decision_id, detail, occurred_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            event_id,
            card.name,
            card.version,
            action,
            from_stage,
            to_stage,
            actor,
            decision_id,
            json.dumps(detail, sort_keys=True),
            at,
        ],
    )
    return event_id


def _audit(
    conn: duckdb.DuckDBPyConnection,
    card: ModelCard,
    actor: str,
    payload: dict[str, Any],
    at: datetime,
    events: list[str],
) -> None:
    """The register record, binding the rows it wrote (store/_state.py)."""
    rows = [
        ("models", {"name": card.name}),
        ("model_versions", {"name": card.name, "version": card.version}),
        *(("lifecycle_events", {"event_id": e}) for e in events),
    ]
    audit.append(
        conn,
        action="register",
        subject=f"{card.name}@{card.version}",
        actor=actor,
        payload=payload,
        at=at,
        rows=rows,
    )


def existing_stages(store: Store, keys: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Current stage of each (name, version) in `keys` that is registered."""
    if not keys:
        return {}
    names = sorted({n for n, _ in keys})
    marks = ", ".join("?" * len(names))
    rows = store.query(
        f"SELECT name, version, stage FROM model_versions WHERE name IN ({marks})", names
    )
    wanted = set(keys)
    return {(n, v): s for n, v, s in rows if (n, v) in wanted}


def resolve(store: Store, ref: ModelRef) -> tuple[str, str]:
    """(name, version) of a reference; a bare name means the latest registered version."""
    if ref.version is not None:
        rows = store.query(
            "SELECT name, version FROM model_versions WHERE name = ? AND version = ?",
            [ref.name, ref.version],
        )
    else:
        rows = store.query(
            "SELECT name, version FROM model_versions WHERE name = ? "
            "ORDER BY registered_at DESC, version DESC LIMIT 1",
            [ref.name],
        )
    if not rows:
        known = [
            f"{n}@{v}"
            for n, v in store.query(
                "SELECT name, version FROM model_versions ORDER BY name, version"
            )
        ]
        hint = f"; registered: {', '.join(known[:10])}" if known else "; the registry is empty"
        raise ModelNotFoundError(f"unknown model {str(ref)!r}{hint}")
    return str(rows[0][0]), str(rows[0][1])


def get_version(store: Store, name: str, version: str) -> dict[str, Any]:
    """The registry row of one version, with its card parsed."""
    rows = store.query_dicts(
        """SELECT v.name, v.version, v.stage, v.card, v.card_path, v.card_sha256,
                  v.registered_at, v.updated_at
           FROM model_versions v WHERE v.name = ? AND v.version = ?""",
        [name, version],
    )
    if not rows:
        raise ModelNotFoundError(f"unknown model '{name}@{version}'")
    row = rows[0]
    row["card"] = json.loads(row["card"])
    return row


def list_versions(store: Store) -> list[dict[str, Any]]:
    """Every registered version, ordered by name and version."""
    return store.query_dicts(
        """SELECT v.name, v.version, v.stage, m.owner, m.risk_tier, m.use_case,
                  v.registered_at FROM model_versions v JOIN models m USING (name)
           ORDER BY v.name, v.version"""
    )


def versions_with_cards(store: Store) -> list[dict[str, Any]]:
    """Every registered version with its card parsed, in one query (for `check --all`)."""
    rows = store.query_dicts(
        """SELECT name, version, stage, card, card_path, card_sha256, registered_at, updated_at
           FROM model_versions ORDER BY name, version"""
    )
    for row in rows:
        row["card"] = json.loads(row["card"])
    return rows
