"""MON-RTR-01 under regorus and real OPA: same decisions, and the findings a Python oracle expects.

Inputs: the demo cards promoted to deployment and production (and re-checked at their own
stage), with `input.retraining` absent, malformed, empty, or holding own and predecessor
triggers linked to this version, to another one, to none, or without the link key.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

from govern.cards import load_card
from govern.policy import DecideItem, PreparedPolicies
from govern.results import Decision
from govern.runner.check import card_input

from ..conftest import CARDS, TODAY_NOON
from .test_parity import _decide_all, engines, pytestmark  # noqa: F401 (fixture, skip mark)

_ABSENT = object()


def _trigger(version: str, link: Any) -> dict[str, Any]:
    t: dict[str, Any] = {
        "version": version,
        "event_id": f"e-{version}",
        "raised_at": TODAY_NOON,
        "controls": ["MON-CSI-01"],
    }
    if link is not _ABSENT:
        t["replaced_by"] = link
    return t


def _retraining_variants(me: str) -> list[Any]:
    links = [me, "other@9", None, _ABSENT]
    out: list[Any] = [_ABSENT, None, "none", {}, {"open": []}, {"predecessors": []}]
    out.append({"open": [], "predecessors": []})
    out.append({"open": [_trigger("self", None)], "predecessors": []})
    for a, b in itertools.product(links, repeat=2):
        out.append({"open": [], "predecessors": [_trigger("1", a), _trigger("2", b)]})
    return out


def _oracle(retraining: Any, me: str) -> int:
    """How many MON-RTR-01 denials a promotion gets (distinct messages)."""
    if not isinstance(retraining, dict) or not all(
        isinstance(retraining.get(k), list) for k in ("open", "predecessors")
    ):
        return 1 + sum(
            1
            for k in ("open", "predecessors")
            if isinstance(retraining, dict) and isinstance(retraining.get(k), list)
            for _ in retraining[k]
        )
    unlinked = [t for t in retraining["predecessors"] if t.get("replaced_by") != me]
    return len(retraining["open"]) + len(unlinked)


def _docs() -> list[tuple[dict[str, Any], str, bool]]:
    out = []
    for name in ("credit-risk", "fraud-detect"):
        card = load_card(CARDS / f"{name}.yaml")
        me = f"{card.name}@{card.version}"
        for stage, current in (
            ("deployment", "validation"),
            ("production", "deployment"),
            ("production", "production"),
        ):
            base = card_input(card, stage, {}, now=TODAY_NOON, lifecycle_stage=current)
            for r in _retraining_variants(me):
                doc = copy.deepcopy(base)
                if r is _ABSENT:
                    del doc["retraining"]
                else:
                    doc["retraining"] = copy.deepcopy(r)
                out.append((doc, me, stage != current))
    return out


def _rtr(d: Decision) -> list[str]:
    return [v.msg for v in d.denials if v.control == "MON-RTR-01"]


def test_engines_agree_and_match_the_oracle(
    engines: tuple[PreparedPolicies, PreparedPolicies],  # noqa: F811
) -> None:
    cases = _docs()
    assert _decide_all(engines, [doc for doc, _, _ in cases]) == []
    regorus, _ = engines
    items = [DecideItem(doc, model="m", version="1", stage=doc["stage"]) for doc, _, _ in cases]
    for (doc, me, promotion), d in zip(cases, regorus.decide_many(items), strict=True):
        assert isinstance(d, Decision)
        want = _oracle(doc.get("retraining", _ABSENT), me) if promotion else 0
        assert len(_rtr(d)) == want, (doc.get("retraining", "<absent>"), _rtr(d))
