"""The default library and demo cards ship inside the package (a wheel needs no checkout)."""

from govern._bundled import MODEL_CARDS, POLICIES
from govern.lifecycle import STAGES


def test_every_gate_is_bundled() -> None:
    assert {p.stem for p in (POLICIES / "gates").glob("*.rego")} >= set(STAGES)


def test_demo_cards_are_bundled() -> None:
    assert {p.name for p in MODEL_CARDS.glob("*.yaml")} >= {"credit-risk.yaml", "fraud-detect.yaml"}
