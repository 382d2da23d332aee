"""`govern check`: evaluate a lifecycle gate for a model version and record the decision."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from govern.cards import resolve_facts
from govern.clock import parse_rfc3339, rfc3339, utcnow
from govern.lifecycle import ModelRef, check_stage
from govern.policy import PreparedPolicies
from govern.results import Decision
from govern.runner.evidence_doc import evidence_document
from govern.store import Store, registry
from govern.store import decisions as decision_store
from govern.store import lifecycle as lifecycle_store


def build_input(
    store: Store, name: str, version: str, stage: str, *, now: str | None = None
) -> dict[str, Any]:
    """The policy input document: model (card + registry state), evidence, clock, target.

    Facts declared with provenance are unwrapped; an expired fact is absent from
    `input.model` (its provenance, marked expired, stays in `input.provenance`).
    `input.approvals` = [{stage, role, by, at, note}] and `input.events` (lifecycle events,
    oldest first) let policies express separation of duties.
    """
    now = now or rfc3339(utcnow())
    row = registry.get_version(store, name, version)
    facts, provenance = resolve_facts(row["card"], parse_rfc3339(now))
    model = dict(facts)
    model.update(
        {
            "name": name,
            "version": version,
            "lifecycle_stage": row["stage"],
            "registered_at": rfc3339(row["registered_at"]),
            "card_path": row["card_path"],
            "card_sha256": row["card_sha256"],
        }
    )
    return {
        "now": now,
        "stage": stage,
        "model": model,
        "provenance": provenance,
        "approvals": lifecycle_store.approvals_for(store, name, version),
        "events": lifecycle_store.events_for(store, name, version),
        "evidence": evidence_document(store, name, version),
    }


def check(
    store: Store,
    prepared: PreparedPolicies,
    ref: ModelRef,
    stage: str,
    *,
    record: bool = True,
) -> tuple[Decision, dict[str, Any]]:
    """Evaluate the gate of `stage` for `ref`; store the decision unless `record` is False."""
    check_stage(stage)
    name, version = registry.resolve(store, ref)
    input_doc = build_input(store, name, version, stage)
    decision = prepared.decide(input_doc, model=name, version=version, stage=stage)
    if record:
        decision_store.record_decision(store, decision, input_doc)
    return decision, input_doc


def check_db(
    db: str | Path | None,
    prepared: PreparedPolicies,
    ref: ModelRef,
    stage: str,
    *,
    lock_timeout: float | None = None,
) -> Decision:
    """`govern check` on a database file: evaluate read-only, then record in a short write.

    The read-only phase never holds the write lock, so auditors and other readers are not
    shut out while policies run; the decision (with the exact input it saw) is then
    appended in its own transaction.
    """
    with Store.open(db, read_only=True, lock_timeout=lock_timeout) as store:
        decision, input_doc = check(store, prepared, ref, stage, record=False)
    with Store.open(db, lock_timeout=lock_timeout) as store:
        decision_store.record_decision(store, decision, input_doc)
    return decision


def default_policy_dir() -> Path:
    """`./policies` when present, else the library shipped beside the package source."""
    local = Path("policies")
    if local.is_dir():
        return local
    return Path(__file__).resolve().parents[3] / "policies"
