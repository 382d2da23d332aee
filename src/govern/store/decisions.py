"""Decision records: every gate evaluation, with the hashes needed to replay it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from govern._jcs import plain_canonical
from govern.clock import parse_rfc3339, utcnow
from govern.results import Decision
from govern.store import _digest, audit
from govern.store._connection import Store
from govern.store._engine import duckdb

_INSERT = """INSERT INTO decisions (decision_id, name, version, stage, result, violations,
               bundle_hash, input_hash, input, engine, engine_version, decided_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""


def _row(
    decision: Decision,
    input_doc: dict[str, Any],
    violations: list[dict[str, Any]] | None = None,
    encoded: str | None = None,
    violations_text: str | None = None,
) -> list[Any]:
    """The decisions row.

    `encoded` is the input's JSON text as the engine evaluated it, `violations_text` the
    violations' text (their RFC 8785 form, when the caller has it).
    """
    if violations_text is None:
        if violations is None:
            violations = [v.to_dict() for v in decision.violations]
        violations_text = json.dumps(violations, sort_keys=True)
    return [
        decision.decision_id,
        decision.model,
        decision.version,
        decision.stage,
        decision.result,
        violations_text,
        decision.bundle_hash,
        decision.input_hash,
        encoded if encoded is not None else json.dumps(input_doc, sort_keys=True),
        decision.engine,
        decision.engine_version,
        parse_rfc3339(decision.decided_at),
    ]


def insert_decision(
    conn: duckdb.DuckDBPyConnection,
    decision: Decision,
    input_doc: dict[str, Any],
    *,
    origin: str | None = None,
) -> None:
    """Insert one decision and its audit record inside the caller's transaction.

    `origin` ("monitor") marks a decision no person or CI pipeline asked for: it is listed
    in monitor_decisions, bound to its audit record, and is not a review (migration 0007,
    v_model_status).
    """
    row = _row(decision, input_doc)
    conn.execute(_INSERT, row)
    _store_overlays(conn, [decision])
    if origin == "monitor":
        conn.execute(
            "INSERT INTO monitor_decisions (decision_id) VALUES (?)", [decision.decision_id]
        )
    _audit_decision(conn, decision, _digest.decision_digest(row), origin)


def _store_overlays(conn: duckdb.DuckDBPyConnection, decisions: list[Decision]) -> None:
    """Overlay contents (once per content) and each decision's ordered list of them."""
    from govern.store.bulk import insert_rows

    contents = {o.sha256: o.content for d in decisions for o in d.overlays}
    if not contents:
        return
    now = utcnow()
    for sha, content in contents.items():
        conn.execute(
            "INSERT INTO policy_overlays (sha256, content, stored_at) VALUES (?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            [sha, content, now],
        )
    links = [
        (d.decision_id, i, o.path, o.sha256) for d in decisions for i, o in enumerate(d.overlays)
    ]
    insert_rows(conn, "decision_overlays", ("decision_id", "position", "path", "sha256"), links)


def _audit_decision(
    conn: duckdb.DuckDBPyConnection, decision: Decision, content: str, origin: str | None = None
) -> None:
    payload = _audit_payload(decision, content)
    if origin is not None:
        payload["origin"] = origin
    audit.append(
        conn,
        action="decision",
        subject=f"{decision.model}@{decision.version}",
        payload=payload,
        rows=[("monitor_decisions", {"decision_id": decision.decision_id})]
        if origin == "monitor"
        else (),
    )


def _audit_payload(decision: Decision, content: str) -> dict[str, Any]:
    return {
        "decision_id": decision.decision_id,
        "stage": decision.stage,
        "result": decision.result,
        "denies": sorted({v.control for v in decision.denials}),
        "warns": sorted({v.control for v in decision.warnings}),
        "bundle_hash": decision.bundle_hash,
        "input_hash": decision.input_hash,
        "engine": f"{decision.engine} {decision.engine_version}",
        "decided_at": decision.decided_at,
        _digest.CONTENT_KEY: content,
        **(
            {"overlays": [[o.path, o.sha256] for o in decision.overlays]}
            if decision.overlays
            else {}
        ),
    }


def record_decision(store: Store, decision: Decision, input_doc: dict[str, Any]) -> None:
    """Append one decision and the exact input it was evaluated on, in one transaction."""
    with store.transaction() as conn:
        insert_decision(conn, decision, input_doc)


_COLUMNS = list(_digest.DECISION_COLUMNS)  # one definition of the row layout


@dataclass(frozen=True)
class PreparedDecision:
    """A decision's row, content digest and audit payload, ready to be written."""

    decision: Decision
    row: list[Any]
    payload: dict[str, Any]
    payload_canon: bytes  # audit.canonical(payload), spliced into its audit record


def prepare_decision(
    decision: Decision,
    input_doc: dict[str, Any],
    canonical: bytes | None = None,
    encoded: str | None = None,
) -> PreparedDecision:
    """Everything record_prepared writes for one decision, computed before the transaction.

    `canonical`, the RFC 8785 bytes of the input (as hashed into its input_hash; checked),
    spares canonicalising the input again for the content digest; `encoded`, the JSON
    text the input was evaluated from (policy.encode_input), is stored as it is. `check
    --all` prepares each decision as it arrives, while the sandbox evaluates later ones.
    """
    violations = [v.to_dict() for v in decision.violations]
    # canonicalised once: stored as the violations text and spliced into the digest
    found = plain_canonical(violations)
    text = found.decode("utf-8") if found is not None else None
    row = _row(decision, input_doc, violations, encoded, text)
    if canonical is None:
        digest = _digest.decision_digest(row)
    else:
        if hashlib.sha256(canonical).hexdigest() != decision.input_hash:
            raise ValueError(
                f"decision {decision.decision_id}: canonical input does not match its hash"
            )
        digest = _digest.decision_digest(row, canonical, violations, found)
    payload = _audit_payload(decision, digest)
    return PreparedDecision(decision, row, payload, audit.canonical(payload))


def record_prepared(store: Store, prepared: Sequence[PreparedDecision]) -> None:
    """Append prepared decisions and their audit records in one transaction (all or none).

    Decisions and their audit records (chain computed in Python, audit.append_many) go in
    with one INSERT each (store/bulk.insert_rows: a list per column).
    """
    from govern.store.bulk import insert_rows

    with store.transaction() as conn:
        insert_rows(conn, "decisions", _COLUMNS, [p.row for p in prepared])
        _store_overlays(conn, [p.decision for p in prepared])
        audit.append_many(
            conn,
            [("decision", f"{p.decision.model}@{p.decision.version}", p.payload) for p in prepared],
            payload_canons=[p.payload_canon for p in prepared],
        )


def record_decisions(
    store: Store,
    items: list[tuple[Decision, dict[str, Any]]],
    *,
    canonical: Sequence[bytes] | None = None,
    encoded: Sequence[str | None] | None = None,
) -> None:
    """Append many decisions and their audit records in one transaction (all or none).

    `canonical` and `encoded`, per item, as prepare_decision takes them.
    """
    canons = canonical if canonical is not None else [None] * len(items)
    texts = encoded if encoded is not None else [None] * len(items)
    record_prepared(
        store,
        [
            prepare_decision(d, doc, c, t)
            for (d, doc), c, t in zip(items, canons, texts, strict=True)
        ],
    )


def get_decision(store: Store, decision_id: str) -> dict[str, Any] | None:
    """One stored decision with its input and violations parsed, or None."""
    rows = store.query_dicts(
        """SELECT decision_id, name, version, stage, result, violations, bundle_hash,
                  input_hash, input, engine, engine_version, decided_at
           FROM decisions WHERE decision_id = ?""",
        [decision_id],
    )
    if not rows:
        return None
    row = rows[0]
    row["input"] = json.loads(row["input"])
    row["violations"] = json.loads(row["violations"])
    row["overlays"] = store.query_dicts(
        """SELECT l.path, l.sha256, o.content FROM decision_overlays l
           LEFT JOIN policy_overlays o USING (sha256)
           WHERE l.decision_id = ? ORDER BY l.position""",
        [decision_id],
    )
    return row
