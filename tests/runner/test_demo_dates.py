"""The sample cards keep their story on any day: their dates move with the clock."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from govern.cards import load_card
from govern.policy import PreparedPolicies, load
from govern.runner.check import card_input
from govern.runner.demo import CARDS_AS_OF, cards_as_of, shift_dates

from ..conftest import POLICIES, REGISTRY_APPROVALS, SAMPLE_CARDS


def test_shift_moves_dates_and_keeps_times() -> None:
    text = 'a: 2026-09-15\nb: "2026-09-20T10:00:00Z"\nc: cal-2026-06-30\nd: 12026-01-01\n'
    assert shift_dates(text, 400) == (
        'a: 2027-10-20\nb: "2027-10-25T10:00:00Z"\nc: cal-2026-06-30\nd: 12026-01-01\n'
    )
    assert shift_dates(text, 0) == text


@pytest.fixture(scope="module")
def library() -> PreparedPolicies:
    return load(POLICIES)


@pytest.mark.parametrize("days_later", [0, 300, 800, 2000])
def test_credit_risk_passes_production_on_any_day(
    library: PreparedPolicies, tmp_path: Path, days_later: int
) -> None:
    today = CARDS_AS_OF + timedelta(days=days_later)
    card = load_card(cards_as_of(SAMPLE_CARDS, tmp_path, today) / "credit-risk.yaml")
    now = f"{today.isoformat()}T12:00:00Z"
    scanned = f"{(today - timedelta(days=1)).isoformat()}T12:00:00Z"
    feature = {"psi": 0.02, "missing_rate": 0.01, "inf_rate": 0.0, "status": "ok", "reasons": []}
    evidence = {
        "drift": {
            "scanned_at": scanned,
            "rows": 20_000,
            "features": [{**feature, "name": f} for f in card.data["monitoring"]["features"]],
            "output": {**feature, "name": "score"},
        }
    }
    doc = card_input(card, "production", evidence, now=now, registered_at=now)
    doc["approvals"] = REGISTRY_APPROVALS  # as `govern approve` records it (the demo does)
    decision = library.decide(doc, model=card.name, version=card.version, stage="production")
    assert decision.allowed and decision.violations == (), decision.violations


def test_unshifted_cards_age_out() -> None:
    """Why the shift exists: the sample card as written fails validation recency later on."""
    card = load_card(SAMPLE_CARDS / "credit-risk.yaml")
    later = (date(2028, 6, 1)).isoformat() + "T12:00:00Z"
    doc = card_input(card, "production", {}, now=later)
    with load(POLICIES) as prepared:
        d = prepared.decide(doc, model=card.name, version=card.version, stage="production")
    assert "INV-ZMB-03" in {v.control for v in d.denials}
