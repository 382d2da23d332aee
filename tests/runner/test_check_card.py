"""`check_card` without a database, against the shipped library: the cards are the registry."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from govern.cards import load_card
from govern.clock import rfc3339, utcnow
from govern.policy import PreparedPolicies, load
from govern.runner.check import check_card

from ..conftest import CARDS, POLICIES


@pytest.fixture(scope="module")
def library() -> PreparedPolicies:
    return load(POLICIES)


def _fresh_drift(features: list[str]) -> dict:
    """Drift evidence scanned yesterday, every monitored feature stable."""
    return {
        "drift": {
            "scan_id": "00000000-0000-4000-8000-000000000001",
            "scanned_at": rfc3339(utcnow() - timedelta(days=1)),
            "rows": 20000,
            "sources": ["logs/credit-risk.parquet"],
            "max_psi": 0.031,
            "features": [
                {
                    "name": f,
                    "psi": 0.031,
                    "missing_rate": 0.01,
                    "out_of_range_rate": 0.0,
                    "inf_rate": 0.0,
                    "status": "ok",
                    "reasons": [],
                }
                for f in features
            ],
            "output": {"name": "score", "psi": 0.02, "status": "ok", "reasons": []},
        }
    }


def test_a_card_is_registered_in_memory_at_check_time(
    library: PreparedPolicies, tmp_path: Path
) -> None:
    path = tmp_path / "govern.yaml"
    text = (CARDS / "credit-risk.yaml").read_text(encoding="utf-8")
    path.write_text(text + 'registered_at: "2020-01-01T00:00:00Z"\n', encoding="utf-8")
    decision, doc = check_card(library, load_card(path))
    # the card's own claim is dropped: registration is the (in-memory) registry's fact
    assert doc["model"]["registered_at"] == doc["now"]
    assert doc["model"]["lifecycle_stage"] == "deployment"
    assert doc["registration"] is None and doc["approvals"] == []
    # so are its approvals: without a registry, the tier-1 committee approval is missing
    assert [v.control for v in decision.violations] == ["MRM-GOV-01"]


def test_the_library_allows_a_complete_card_at_production_but_for_its_claims(
    library: PreparedPolicies,
) -> None:
    card = load_card(CARDS / "credit-risk.yaml")
    features = card.data["monitoring"]["features"]
    decision, doc = check_card(library, card, stage="production", evidence=_fresh_drift(features))
    # the card's committee approval is a claim: visible, never counted (issue 11, item 5)
    assert doc["model"]["claimed_approvals"] == card.data["approvals"]
    assert "approvals" not in doc["model"]
    assert [v.control for v in decision.violations] == ["MRM-GOV-01"]
    approvals = [{"stage": "deployment", "role": "committee", "by": "mrc@example.com"}]
    doc["approvals"] = approvals  # what `govern approve` puts in the registry
    decision = library.decide(doc, model=card.name, version=card.version, stage="production")
    assert decision.allowed and decision.violations == ()


def test_the_library_denies_a_production_card_without_evidence(library: PreparedPolicies) -> None:
    card = load_card(CARDS / "credit-risk.yaml")
    decision, _ = check_card(library, card, stage="production")
    assert not decision.allowed
    assert sorted({v.control for v in decision.denials}) == [
        "INV-ZMB-02",
        "MON-CSI-01",
        "MON-PSI-01",
        "MRM-GOV-01",
        "MRM-MON-02",
    ]
