"""`govern register`: put model cards in the registry, all of them or none.

A new version enters at `proposed`. A card that declares a later stage must either pass
every gate up to it now, each evaluated like a promotion (`input.transition.action` is
"register") and recorded with the registration, or be an explicit, audited import of a
model that was already in that stage before govern (`import_reason`). If any card's gate
denies, nothing is registered: the decisions are recorded (auditors see refused
registrations, as they see refused promotions) and the result says which gate denied.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from govern.cards import ModelCard
from govern.clock import rfc3339, utcnow
from govern.errors import UserInputError
from govern.lifecycle import registration_gates
from govern.policy import PreparedPolicies
from govern.results import Decision
from govern.runner.policy_input import build, unregistered_state
from govern.store import Store, registry
from govern.store import decisions as decision_store
from govern.store import events as event_store

DUPLICATE = "{model} is declared by two model cards: {first} and {second}"
NO_REASON = "--import-existing needs --reason TEXT: say why the model skips its gates"


@dataclass(frozen=True)
class Registered:
    """One card's outcome: created, imported, updated, denied, or not registered."""

    card: ModelCard
    result: str
    stage: str
    gates: tuple[Decision, ...] = ()

    @property
    def model(self) -> str:
        """NAME@VERSION."""
        return f"{self.card.name}@{self.card.version}"


@dataclass(frozen=True)
class Registration:
    """The outcome of one `register` call; `allowed` False means nothing was registered."""

    items: tuple[Registered, ...]
    allowed: bool

    def exit_code(self) -> int:
        """0 registered, 1 a gate denied (nothing registered)."""
        return 0 if self.allowed else 1


def _gates(
    prepared: PreparedPolicies, card: ModelCard, now: str, triggers: list[dict[str, Any]]
) -> list[tuple[str, Decision, dict[str, Any]]]:
    """Evaluate the gates up to the card's stage in order; stop at the first denial.

    `triggers`: the model's open retraining triggers (its earlier versions' are predecessors').
    """
    out: list[tuple[str, Decision, dict[str, Any]]] = []
    current = "proposed"
    for stage in registration_gates(card.stage):
        state = unregistered_state(
            card, registered_at=now, lifecycle_stage=current, triggers=triggers
        )
        doc = build(state, stage, now=now)
        doc["transition"] = {"action": "register", "from": current, "to": stage}
        decision = prepared.decide(doc, model=card.name, version=card.version, stage=stage)
        out.append((stage, decision, doc))
        if not decision.allowed:
            break
        current = stage
    return out


def register(
    store: Store,
    cards: list[ModelCard],
    *,
    policies: Callable[[], PreparedPolicies],
    import_reason: str | None = None,
    actor: str | None = None,
    now: str | None = None,
) -> Registration:
    """Register or update `cards` in one transaction; see the module docstring.

    `policies` is called (once) only when a card needs its gates evaluated.
    """
    if import_reason is not None and not import_reason.strip():
        raise UserInputError(NO_REASON)
    seen: dict[tuple[str, str], str | None] = {}
    for c in cards:
        key = (c.name, c.version)
        if key in seen:
            model = f"{c.name}@{c.version}"
            raise UserInputError(DUPLICATE.format(model=model, first=seen[key], second=c.path))
        seen[key] = c.path
    existing = registry.existing_stages(store, list(seen))
    now = now or rfc3339(utcnow())
    prepared: PreparedPolicies | None = None
    evaluated: dict[tuple[str, str], list[tuple[str, Decision, dict[str, Any]]]] = {}
    try:
        for c in cards:
            key = (c.name, c.version)
            if key in existing or import_reason is not None or c.stage == "proposed":
                continue
            prepared = prepared or policies()
            evaluated[key] = _gates(prepared, c, now, event_store.open_triggers(store, c.name))
    finally:
        if prepared is not None:
            prepared.close()
    denied = {k for k, gates in evaluated.items() if not gates[-1][1].allowed}
    if denied:
        decision_store.record_decisions(
            store, [(d, doc) for gates in evaluated.values() for _, d, doc in gates]
        )
        items = []
        for c in cards:
            key = (c.name, c.version)
            decisions = tuple(d for _, d, _ in evaluated.get(key, []))
            result = "denied" if key in denied else "not registered"
            items.append(Registered(c, result, existing.get(key, "proposed"), decisions))
        return Registration(tuple(items), allowed=False)
    plans = [
        registry.Plan(
            c,
            tuple(registry.Gate(s, d, doc) for s, d, doc in evaluated.get((c.name, c.version), [])),
            import_reason if (c.name, c.version) not in existing else None,
        )
        for c in cards
    ]
    results = registry.register_cards(store, plans, actor=actor)
    items = [
        Registered(
            p.card,
            result,
            existing.get((p.card.name, p.card.version), p.card.stage),
            tuple(g.decision for g in p.gates),
        )
        for p, result in zip(plans, results, strict=True)
    ]
    return Registration(tuple(items), allowed=True)


__all__ = ["Registered", "Registration", "register"]
