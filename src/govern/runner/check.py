"""`govern check`: evaluate a lifecycle gate for a model version and record the decision."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govern.clock import rfc3339, utcnow
from govern.errors import GovernError, PolicyError, UserInputError
from govern.lifecycle import STAGES, ModelRef, check_stage
from govern.policy import PreparedPolicies
from govern.results import Decision
from govern.runner.evidence_doc import evidence_document
from govern.store import Store, registry
from govern.store import decisions as decision_store


def build_input(
    store: Store, name: str, version: str, stage: str, *, now: str | None = None
) -> dict[str, Any]:
    """The policy input document: model (card + registry state), evidence, clock, target."""
    return input_from_row(store, registry.get_version(store, name, version), stage, now=now)


def input_from_row(
    store: Store, row: dict[str, Any], stage: str, *, now: str | None = None
) -> dict[str, Any]:
    """The policy input for a registry row (as returned by registry.get_version)."""
    name, version = str(row["name"]), str(row["version"])
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


@dataclass(frozen=True)
class CheckOutcome:
    """One model of a `check --all` run: a decision, or the error that stopped it."""

    model: str
    version: str
    stage: str
    decision: Decision | None
    error: GovernError | None = None


def target_stage(current: str) -> str:
    """The gate a version faces next: the following stage; production and retired re-check."""
    i = STAGES.index(check_stage(current))
    return current if current in ("production", "retired") else STAGES[i + 1]


def check_all(
    store: Store, prepared: PreparedPolicies, *, record: bool = True, now: str | None = None
) -> list[CheckOutcome]:
    """Every registered version at its next (or own) stage: one bundle, many decisions.

    One clock for the whole run; a policy or input error stops only the model it concerns
    (fail closed: that model gets no decision); the decisions are recorded together.
    """
    now = now or rfc3339(utcnow())
    outcomes: list[CheckOutcome] = []
    recorded: list[tuple[Decision, dict[str, Any]]] = []
    for row in registry.versions_with_cards(store):
        name, version = str(row["name"]), str(row["version"])
        stage = target_stage(str(row["stage"]))
        try:
            input_doc = input_from_row(store, row, stage, now=now)
            decision = prepared.decide(input_doc, model=name, version=version, stage=stage)
        except (PolicyError, UserInputError) as exc:
            outcomes.append(CheckOutcome(name, version, stage, None, exc))
            continue
        outcomes.append(CheckOutcome(name, version, stage, decision))
        recorded.append((decision, input_doc))
    if record and recorded:
        decision_store.record_decisions(store, recorded)
    return outcomes


def all_exit_code(outcomes: list[CheckOutcome]) -> int:
    """2 if any model could not be decided, else 1 if any was denied, else 0."""
    if any(o.error is not None for o in outcomes):
        return 2
    return 1 if any(o.decision is not None and not o.decision.allowed for o in outcomes) else 0


def default_policy_dir() -> Path:
    """`./policies` when present, else the library shipped beside the package source."""
    local = Path("policies")
    if local.is_dir():
        return local
    return Path(__file__).resolve().parents[3] / "policies"
