"""`govern check`: evaluate a lifecycle gate for a model version and record the decision."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from govern.clock import rfc3339, utcnow
from govern.lifecycle import ModelRef, check_stage
from govern.policy import PreparedPolicies
from govern.results import Decision
from govern.runner.evidence_doc import evidence_document
from govern.store import Store, registry
from govern.store import decisions as decision_store


def build_input(
    store: Store, name: str, version: str, stage: str, *, now: str | None = None
) -> dict[str, Any]:
    """The policy input document: model (card + registry state), evidence, clock, target."""
    row = registry.get_version(store, name, version)
    model = dict(row["card"])
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
        "now": now or rfc3339(utcnow()),
        "stage": stage,
        "model": model,
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


def default_policy_dir() -> Path:
    """`./policies` when present, else the library shipped beside the package source."""
    local = Path("policies")
    if local.is_dir():
        return local
    return Path(__file__).resolve().parents[3] / "policies"
