"""The library's evidence guards fail closed: absent, mistyped or out-of-range values deny.

Evidence files are range-checked when read (tests/runner/test_evidence_files.py); these
tests evaluate the real library on input documents directly, as a policy sees evidence from
any source (database, file, data overlay), so a guard that would skip is caught here.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from govern.clock import parse_rfc3339, rfc3339
from govern.policy import PreparedPolicies, load

from ..conftest import POLICIES
from .test_fail_closed import NOW, _complete_model, _production_input

CLEAN = {
    "name": "a",
    "psi": 0.01,
    "missing_rate": 0.0,
    "inf_rate": 0.0,
    "status": "ok",
    "reasons": [],
}


@pytest.fixture(scope="module", autouse=True)
def _library() -> Iterator[None]:
    global _PREPARED
    with load(POLICIES) as prepared:
        _PREPARED = prepared
        yield
    _PREPARED = None


_PREPARED: PreparedPolicies | None = None


def _decide(doc: dict[str, Any]) -> tuple[bool, dict[str, list[str]]]:
    assert _PREPARED is not None
    d = _PREPARED.decide(doc, model="credit-risk", version="3", stage="production")
    out: dict[str, list[str]] = {}
    for v in d.denials:
        out.setdefault(v.control, []).append(v.msg)
    return d.allowed, out


def _feature(**change: Any) -> dict[str, Any]:
    f = {**CLEAN, **change}
    return {k: v for k, v in f.items() if v is not _ABSENT}


_ABSENT = object()


def test_clean_evidence_is_allowed() -> None:
    assert _decide(_production_input(CLEAN)) == (True, {})


@pytest.mark.parametrize(
    "change",
    [
        {"missing_rate": _ABSENT},
        {"missing_rate": "0.99"},
        {"missing_rate": False},
        {"missing_rate": -1},
        {"missing_rate": 1.5},
        {"missing_rate": None},
        {"inf_rate": _ABSENT},
        {"inf_rate": "0"},
        {"inf_rate": -0.5},
        {"inf_rate": None},
    ],
    ids=lambda c: ",".join(f"{k}={'absent' if v is _ABSENT else v!r}" for k, v in c.items()),
)
def test_data_quality_denies_when_the_share_is_not_measured(change: dict[str, Any]) -> None:
    allowed, denials = _decide(_production_input(_feature(**change)))
    assert not allowed
    assert "missing or infinite share not measured" in denials["MON-DQ-01"][0]


def test_a_categorical_feature_needs_no_inf_rate() -> None:
    feature = _feature(inf_rate=_ABSENT, kind="categorical", unseen_rate=0.0)
    assert _decide(_production_input(feature)) == (True, {})


@pytest.mark.parametrize(
    ("missing", "inf", "denied"),
    [(0.0, 0.97, True), (0.0, 0.051, True), (0.03, 0.03, True), (0.02, 0.02, False)],
)
def test_infinities_count_against_the_missing_rate_limit(
    missing: float, inf: float, denied: bool
) -> None:
    """credit-risk is tier 1: max_missing_rate 0.05 covers null/NaN and +-inf together."""
    allowed, denials = _decide(_production_input(_feature(missing_rate=missing, inf_rate=inf)))
    assert ("MON-DQ-01" in denials) is denied and allowed is not denied
    if denied:
        assert f"unusable share {missing + inf:.3f}" in denials["MON-DQ-01"][0]


@pytest.mark.parametrize(
    "change",
    [{"status": _ABSENT}, {"psi": -1.0}, {"psi": "0.01"}, {"psi": _ABSENT}],
    ids=["no status", "negative psi", "psi string", "no psi"],
)
def test_drift_denies_when_psi_is_not_measured(change: dict[str, Any]) -> None:
    allowed, denials = _decide(_production_input(_feature(**change)))
    assert not allowed and "MON-CSI-01" in denials


def test_evidence_dated_after_the_clock_does_not_count_as_monitoring() -> None:
    doc = _production_input(CLEAN)
    assert _decide(doc)[0]
    doc["evidence"]["drift"]["scanned_at"] = rfc3339(parse_rfc3339(NOW) + timedelta(days=30))
    allowed, denials = _decide(doc)
    assert not allowed and "MRM-MON-02" in denials


def _fairness_input(attribute: dict[str, Any]) -> dict[str, Any]:
    doc = _production_input(CLEAN)
    model = _complete_model()
    doc["model"] = {**model, "regulatory_scope": [*model.get("regulatory_scope", []), "fairness"]}
    doc["evidence"]["fairness"] = {"status": "ok", "attributes": [attribute]}
    return doc


GROUPS = [
    {"group": "a", "n": 500, "adverse_impact_ratio": 1.0, "status": "ok"},
    {"group": "b", "n": 500, "adverse_impact_ratio": 0.95, "status": "ok"},
]


def test_fairness_clean_attribute_is_allowed() -> None:
    attribute = {"name": "sex", "status": "ok", "reasons": [], "groups": GROUPS}
    allowed, denials = _decide(_fairness_input(attribute))
    assert "FAIR-AIR-01" not in denials, denials


def test_fairness_attribute_without_status_denies() -> None:
    attribute = {"name": "sex", "reasons": [], "groups": GROUPS}
    _, denials = _decide(_fairness_input(attribute))
    assert any("could not be computed" in m for m in denials["FAIR-AIR-01"])


@pytest.mark.parametrize("n", [_ABSENT, "500", None], ids=["absent", "string", "null"])
def test_fairness_group_without_a_usable_size_is_still_gated(n: Any) -> None:
    low = {"group": "b", "adverse_impact_ratio": 0.5, "status": "ok"}
    if n is not _ABSENT:
        low["n"] = n
    attribute = {"name": "sex", "status": "ok", "reasons": [], "groups": [GROUPS[0], low]}
    _, denials = _decide(_fairness_input(attribute))
    assert any("group b: impact ratio 0.500" in m for m in denials["FAIR-AIR-01"])
