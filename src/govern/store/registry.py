"""Models and their versions: upsert from model cards, look up by reference."""

from __future__ import annotations

import json
import uuid
from typing import Any

from govern.cards import ModelCard
from govern.clock import utcnow
from govern.errors import ModelNotFoundError
from govern.lifecycle import ModelRef
from govern.store import audit
from govern.store._connection import Store


def upsert_card(store: Store, card: ModelCard) -> str:
    """Insert or update a model version from its card; returns "created" or "updated".

    The lifecycle stage of an existing version is never changed by re-registering: only
    promote/retire move it.
    """
    now = utcnow()
    d = card.data
    facts = card.values
    scope = [str(s) for s in facts.get("regulatory_scope", [])]
    with store.transaction() as conn:
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
        card_json = json.dumps(d, sort_keys=True, default=str)
        if existing:
            conn.execute(
                """UPDATE model_versions SET card = ?, card_path = ?, card_sha256 = ?,
                   updated_at = ? WHERE name = ? AND version = ?""",
                [card_json, card.path, card.sha256, now, card.name, card.version],
            )
            action = "updated"
        else:
            conn.execute(
                """INSERT INTO model_versions (name, version, stage, card, card_path,
                   card_sha256, registered_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                [card.name, card.version, card.stage, card_json, card.path, card.sha256, now, now],
            )
            action = "created"
        event_id = str(uuid.uuid4())
        conn.execute(
            """INSERT INTO lifecycle_events (event_id, name, version, action, from_stage,
               to_stage, actor, detail, occurred_at)
               VALUES (?, ?, ?, 'register', ?, ?, NULL, ?, ?)""",
            [
                event_id,
                card.name,
                card.version,
                existing[0][0] if existing else None,
                existing[0][0] if existing else card.stage,
                json.dumps({"card_path": card.path, "card_sha256": card.sha256, "action": action}),
                now,
            ],
        )
        audit.append(
            conn,
            action="register",
            subject=f"{card.name}@{card.version}",
            payload={
                "result": action,
                "stage": existing[0][0] if existing else card.stage,
                "card_path": card.path,
                "card_sha256": card.sha256,
            },
            at=now,
            rows=[
                ("models", {"name": card.name}),
                ("model_versions", {"name": card.name, "version": card.version}),
                ("lifecycle_events", {"event_id": event_id}),
            ],
        )
    return action


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
