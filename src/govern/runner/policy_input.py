"""The policy input document: ONE builder for every path that evaluates a gate.

A card checked from its file, the same card read back from the registry (`--model`),
`check --all`, promote, retire and registration all describe a model version as a
ModelState and turn it into the input with `build`. Whatever differs between the paths
is only where the state was read; every rule about facts (expiry, provenance), approvals,
the lifecycle stage and evidence is applied here once, so a fact cannot count on one path
and not on another (tests/runner/test_policy_input.py compares the documents).

Rules applied here:

- facts with provenance are unwrapped; an expired fact is absent from `input.model`
  (its provenance, marked expired, stays in `input.provenance`);
- approvals that count are the registry's records (`govern approve`), in
  `input.approvals`; the card's own `approvals:` list is a claim, moved to
  `input.model.claimed_approvals`, so a card cannot approve itself;
- registry-owned fields (name, version, lifecycle_stage, registered_at, card_path,
  card_sha256) always come from the state, never from what the card declares;
- `input.registration` says how the version entered the registry (gated registration or
  an audited import), or is null for a version the registry does not hold;
- `input.retraining` holds the open retraining triggers (`govern monitor`) of this version
  (`open`) and of the versions of the same model registered before it (`predecessors`),
  each with the version linked as its replacement (`govern events link`), so a gate can
  refuse to promote past an unhandled trigger (MON-RTR-01).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from govern.cards import ModelCard, resolve_facts
from govern.clock import parse_rfc3339, rfc3339
from govern.metrics._monitoring import measured_digest

REGISTRATION_ACTIONS = {"register": "registered", "import": "imported"}


@dataclass(frozen=True)
class ModelState:
    """Everything the policy input of one model version is built from."""

    card: dict[str, Any]  # the card as JSON data, provenance wrappers intact
    name: str
    version: str
    lifecycle_stage: str
    registered_at: str | None  # RFC 3339; None: the registry does not hold the version
    card_path: str | None
    card_sha256: str
    approvals: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)
    in_registry: bool = False
    # open retraining triggers of the model's versions (store.events.open_triggers)
    triggers: list[dict[str, Any]] = field(default_factory=list)


def registry_state(
    row: dict[str, Any],
    *,
    approvals: list[dict[str, Any]],
    events: list[dict[str, Any]],
    evidence: dict[str, Any],
    card: ModelCard | None = None,
    triggers: list[dict[str, Any]] | None = None,
) -> ModelState:
    """A registered version; `card` (a file under review) replaces the stored card's facts."""
    return ModelState(
        card=card.data if card is not None else row["card"],
        name=str(row["name"]),
        version=str(row["version"]),
        lifecycle_stage=str(row["stage"]),
        registered_at=rfc3339(row["registered_at"]),
        card_path=card.path if card is not None else row["card_path"],
        card_sha256=card.sha256 if card is not None else row["card_sha256"],
        approvals=approvals,
        events=events,
        evidence=evidence,
        in_registry=True,
        triggers=list(triggers or []),
    )


def unregistered_state(
    card: ModelCard,
    *,
    registered_at: str | None,
    evidence: dict[str, Any] | None = None,
    lifecycle_stage: str | None = None,
    triggers: list[dict[str, Any]] | None = None,
) -> ModelState:
    """A card the registry does not hold (yet): no approvals, no events.

    Used by card checks without a database ("the cards are the registry", registered at
    `registered_at`, normally the check's clock), by registration gates, and (with
    `registered_at` None: absent from the input) by a card that a database does not hold.
    """
    return ModelState(
        card=card.data,
        name=card.name,
        version=card.version,
        lifecycle_stage=lifecycle_stage or card.stage,
        registered_at=registered_at,
        card_path=card.path,
        card_sha256=card.sha256,
        evidence=evidence or {},
        triggers=list(triggers or []),
    )


def registration(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    """How the version entered the registry, and the stage its registration reached.

    The kind, time and actor are the first registration event's; the stage is the last
    one reached through gates (or the imported stage); re-registrations do not count.
    """
    entries = [e for e in events if str(e.get("action")) in REGISTRATION_ACTIONS]
    if not entries:
        return None
    first = entries[0]
    moves = [e for e in entries if e.get("from") != e.get("to")]  # not re-registrations
    detail = first.get("detail") or {}
    return {
        "kind": REGISTRATION_ACTIONS[str(first["action"])],
        "stage": (moves[-1] if moves else first).get("to"),
        "at": first.get("at"),
        "actor": first.get("actor"),
        "reason": detail.get("reason") if isinstance(detail, dict) else None,
    }


def retraining(state: ModelState) -> dict[str, Any]:
    """`input.retraining`: open triggers of this version, and of the versions before it.

    A predecessor is a version of the same model registered earlier (ties: the smaller
    version string); every registered version precedes a card the registry does not hold.
    A later version's trigger is not shown: rolling back to an older version stays possible.
    """
    mine = (state.registered_at or "", state.version)
    own, before = [], []
    for t in state.triggers:
        if t["name"] != state.name:
            continue
        doc = {k: t[k] for k in ("version", "event_id", "raised_at", "controls", "replaced_by")}
        if t["version"] == state.version:
            own.append(doc)
        elif state.registered_at is None or (t["registered_at"], t["version"]) < mine:
            before.append(doc)
    return {"open": own, "predecessors": before}


def build(state: ModelState, stage: str, *, now: str) -> dict[str, Any]:
    """The policy input document of `state` evaluated for the gate of `stage` at `now`."""
    facts, provenance = resolve_facts(state.card, parse_rfc3339(now))
    model = dict(facts)
    claimed = model.pop("approvals", None)
    model["claimed_approvals"] = claimed if isinstance(claimed, list) else []
    model.update(
        {
            "name": state.name,
            "version": state.version,
            "lifecycle_stage": state.lifecycle_stage,
            "registered_at": state.registered_at,
            "card_path": state.card_path,
            "card_sha256": state.card_sha256,
        }
    )
    if state.registered_at is None:  # a card's own claim never stands in for the registry's
        del model["registered_at"]
    return {
        "now": now,
        "stage": stage,
        "model": model,
        "provenance": provenance,
        "approvals": list(state.approvals),
        "events": list(state.events),
        "registration": registration(state.events) if state.in_registry else None,
        "evidence": _with_card_digest(state.evidence, state.card),
        "retraining": retraining(state),
    }


def _with_card_digest(evidence: dict[str, Any], card: dict[str, Any]) -> dict[str, Any]:
    """Each scanned section beside the digest of the monitoring mapping being decided.

    A section whose `monitoring_sha256` (the mapping it was measured under) differs from
    `card_monitoring_sha256` was measured for another card: the policies deny it as stale.
    Sections without the digest (supplied evidence, older scans) are left as they are.
    """
    if not any(isinstance(s, dict) and s.get("monitoring_sha256") for s in evidence.values()):
        return evidence
    current = measured_digest(card.get("monitoring"))
    return {
        k: {**s, "card_monitoring_sha256": current}
        if isinstance(s, dict) and s.get("monitoring_sha256")
        else s
        for k, s in evidence.items()
    }


__all__ = [
    "ModelState",
    "build",
    "registration",
    "registry_state",
    "retraining",
    "unregistered_state",
]
