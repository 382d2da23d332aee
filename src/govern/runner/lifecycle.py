"""Lifecycle transitions: promote one stage at a time, retire from any stage, approve.

A promotion evaluates the gate of the target stage with the same input document as
`govern check`, plus `input.transition = {action, from, to}`. Only an allowed transition
moves the model; the decision and the stage change are written together. A denied attempt
records its decision (like `govern check`, so auditors see refused promotions) and leaves
the stage alone; `dry_run` records nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from govern.errors import UserInputError
from govern.lifecycle import STAGES, ModelRef, check_stage
from govern.policy import PreparedPolicies
from govern.results import Decision
from govern.runner.check import build_input
from govern.store import Store, registry
from govern.store import audit as audit_store
from govern.store import decisions as decision_store
from govern.store import lifecycle as lifecycle_store

ROLES = ("validator", "approver", "committee", "compliance", "owner")

SKIP = (
    "cannot promote {model} from {current} to {target}: stages cannot be skipped; "
    "the next stage is {next}"
)
BACKWARD = (
    "cannot promote {model} from {current} to {target}: promotion only moves forward; "
    "the next stage is {next}"
)
FINAL = "{model} is retired; a retired model cannot change stage"
SAME = "{model} is already in {stage}"
USE_RETIRE = "use `govern retire` to retire {model}"
UNKNOWN_ROLE = "unknown role {role!r}; valid roles are: {valid}"


@dataclass(frozen=True)
class Transition:
    """The outcome of a promote or retire: the decision and whether the stage moved."""

    model: str
    version: str
    from_stage: str
    to_stage: str
    decision: Decision
    applied: bool
    dry_run: bool
    event_id: str | None = None

    def exit_code(self) -> int:
        """0 allowed (applied or would be), 1 denied."""
        return self.decision.exit_code()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "model": self.model,
            "version": self.version,
            "from": self.from_stage,
            "to": self.to_stage,
            "applied": self.applied,
            "dry_run": self.dry_run,
            "event_id": self.event_id,
            "decision": self.decision.to_dict(),
        }


def next_stage(stage: str) -> str | None:
    """The stage after `stage` on the promotion path (None after production)."""
    i = STAGES.index(stage)
    following = STAGES[i + 1] if i + 1 < len(STAGES) else None
    return None if following == "retired" else following


def _check_promotion(model: str, current: str, target: str) -> None:
    if current == "retired":
        raise UserInputError(FINAL.format(model=model))
    if target == "retired":
        raise UserInputError(USE_RETIRE.format(model=model))
    if target == current:
        raise UserInputError(SAME.format(model=model, stage=current))
    nxt = next_stage(current) or "none (production is the last stage before retirement)"
    if STAGES.index(target) < STAGES.index(current):
        raise UserInputError(BACKWARD.format(model=model, current=current, target=target, next=nxt))
    if target != nxt:
        raise UserInputError(SKIP.format(model=model, current=current, target=target, next=nxt))


def _transition(
    store: Store,
    prepared: PreparedPolicies,
    name: str,
    version: str,
    current: str,
    target: str,
    *,
    action: str,
    actor: str,
    dry_run: bool,
    detail: dict[str, Any],
    retirement_reason: str | None = None,
) -> Transition:
    input_doc = build_input(store, name, version, target)
    input_doc["transition"] = {"action": action, "from": current, "to": target, **detail}
    if retirement_reason:
        declared = input_doc["model"].setdefault("retirement", {})
        if isinstance(declared, dict):
            if not declared.get("reason"):
                declared["reason"] = retirement_reason
            if not declared.get("date"):  # the retirement being decided happens now
                declared["date"] = input_doc["now"][:10]
    decision = prepared.decide(input_doc, model=name, version=version, stage=target)
    if dry_run:
        return Transition(name, version, current, target, decision, False, True)
    if not decision.allowed:
        decision_store.record_decision(store, decision, input_doc)
        return Transition(name, version, current, target, decision, False, False)
    event_id = lifecycle_store.apply_transition(
        store,
        name=name,
        version=version,
        from_stage=current,
        to_stage=target,
        action=action,
        decision=decision,
        input_doc=input_doc,
        actor=actor,
        detail=detail,
    )
    return Transition(name, version, current, target, decision, True, False, event_id)


def promote(
    store: Store,
    prepared: PreparedPolicies,
    ref: ModelRef,
    to: str,
    *,
    actor: str | None = None,
    dry_run: bool = False,
) -> Transition:
    """Promote `ref` to the next stage `to` if the gate of `to` allows it."""
    check_stage(to)
    name, version = registry.resolve(store, ref)
    current = registry.get_version(store, name, version)["stage"]
    _check_promotion(f"{name}@{version}", current, to)
    return _transition(
        store,
        prepared,
        name,
        version,
        current,
        to,
        action="promote",
        actor=actor or audit_store.default_actor(),
        dry_run=dry_run,
        detail={},
    )


def retire(
    store: Store,
    prepared: PreparedPolicies,
    ref: ModelRef,
    *,
    reason: str | None = None,
    actor: str | None = None,
    dry_run: bool = False,
) -> Transition:
    """Retire `ref` from any stage if the retirement gate allows it.

    A `reason` given here is recorded with the event and offered to the gate as
    `input.model.retirement.reason` when the card does not declare one.
    """
    name, version = registry.resolve(store, ref)
    current = registry.get_version(store, name, version)["stage"]
    if current == "retired":
        raise UserInputError(FINAL.format(model=f"{name}@{version}"))
    detail = {"reason": reason} if reason else {}
    return _transition(
        store,
        prepared,
        name,
        version,
        current,
        "retired",
        action="retire",
        actor=actor or audit_store.default_actor(),
        dry_run=dry_run,
        detail=detail,
        retirement_reason=reason,
    )


def approve(
    store: Store,
    ref: ModelRef,
    *,
    stage: str,
    role: str,
    by: str,
    note: str | None = None,
    actor: str | None = None,
) -> dict[str, Any]:
    """Record that `by` approves `ref` for `stage` in `role`; policies judge it later."""
    check_stage(stage)
    if role not in ROLES:
        raise UserInputError(UNKNOWN_ROLE.format(role=role, valid=", ".join(ROLES)))
    if not by.strip():
        raise UserInputError("approve: --by must name the approver")
    name, version = registry.resolve(store, ref)
    approval = lifecycle_store.add_approval(
        store,
        name=name,
        version=version,
        stage=stage,
        role=role,
        by=by,
        note=note,
        actor=actor or audit_store.default_actor(),
    )
    return {"model": name, "version": version, **approval}
