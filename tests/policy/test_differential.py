"""C7: the shipped library decides the same in the sandbox, in-process, and with `opa`.

Random drift evidence (PSI values around the 0.10 / 0.25 band edges, statuses, nulls) for
a production gate of the credit-risk demo card. Each input is decided by every engine
available; the decisions (allowed, and every violation's kind, control, severity and
message) must be identical, and the PSI band findings must match a Python oracle of the
bands in policies/data.yaml, so that agreeing engines cannot agree on nonsense.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from govern.cards import load_card
from govern.policy import EngineOptions, PreparedPolicies, load
from govern.policy._opa import bindings_available
from govern.results import Decision
from govern.runner.check import card_input

from ..conftest import CARDS, POLICIES, TODAY_NOON, YESTERDAY_NOON

NOW = TODAY_NOON
PSI_WARN, PSI_DENY = 0.10, 0.25
EDGES = [0.0, 0.0999999, PSI_WARN, 0.1000001, 0.2499999, PSI_DENY, 0.2500001, 1.0, 12.5]
STATUSES = ["ok", "ok", "ok", "insufficient_data", "error"]
OPA_MISSING = "no opa binary and no in-process OPA: the opa leg of the differential is skipped"

psi_values = st.sampled_from(EDGES) | st.floats(0.0, 2.0) | st.none()
features = st.lists(
    st.fixed_dictionaries(
        {
            "psi": psi_values,
            "status": st.sampled_from(STATUSES),
            "p_value": st.none() | st.floats(0.0, 1.0),
        }
    ),
    min_size=1,
    max_size=4,
)


def _evidence(feats: list[dict[str, Any]], rows: int) -> dict[str, Any]:
    named = [
        {"name": f"f{i}", "missing_rate": 0.0, "out_of_range_rate": 0.0, "inf_rate": 0.0}
        | {k: v for k, v in f.items() if not (k == "p_value" and v is None)}
        | {"reasons": []}
        for i, f in enumerate(feats)
    ]
    psis = [f["psi"] for f in feats if f["psi"] is not None]
    return {
        "drift": {
            "scan_id": "00000000-0000-4000-8000-000000000001",
            "scanned_at": YESTERDAY_NOON,
            "rows": rows,
            "sources": ["logs/credit-risk.parquet"],
            "max_psi": max(psis) if psis else None,
            "features": named,
            "output": {"name": "score", "psi": 0.01, "status": "ok", "reasons": []},
        }
    }


def _key(d: Decision) -> tuple[bool, list[tuple[str, str, str, str]]]:
    found = [(v.kind, v.control or "", v.severity or "", v.msg) for v in d.violations]
    return d.allowed, sorted(found)


@pytest.fixture(scope="module")
def engines() -> Iterator[dict[str, PreparedPolicies]]:
    made = {
        "sandbox": load(POLICIES),
        "in-process": load(POLICIES, options=EngineOptions(sandbox=False)),
    }
    if shutil.which("opa") or bindings_available():
        made["opa"] = load(POLICIES, options=EngineOptions(engine="opa"))
    yield made
    for prepared in made.values():
        prepared.close()


def test_opa_leg_of_the_differential(engines: dict[str, PreparedPolicies]) -> None:
    if not (shutil.which("opa") or bindings_available()):
        pytest.skip(OPA_MISSING)
    assert engines["opa"].engine.name == "opa"


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(feats=features, rows=st.sampled_from([50, 2000, 200000]))
@example(feats=[{"psi": PSI_WARN, "status": "ok", "p_value": 0.0}], rows=200000)
@example(feats=[{"psi": PSI_DENY, "status": "ok", "p_value": 0.0}], rows=200000)
@example(feats=[{"psi": None, "status": "ok", "p_value": None}], rows=200000)
@example(feats=[{"psi": 0.01, "status": "insufficient_data", "p_value": None}], rows=50)
def test_engines_agree_on_random_drift_evidence(
    engines: dict[str, PreparedPolicies], feats: list[dict[str, Any]], rows: int
) -> None:
    card = load_card(CARDS / "credit-risk.yaml")
    doc = card_input(card, "production", _evidence(feats, rows), now=NOW)
    decisions = {
        name: p.decide(doc, model=card.name, version=card.version, stage="production")
        for name, p in engines.items()
    }
    keys = {name: _key(d) for name, d in decisions.items()}
    assert all(k == keys["sandbox"] for k in keys.values()), keys

    # the band findings against an oracle of the data's thresholds (tier 1)
    violations = decisions["sandbox"].violations
    band_deny = {v.msg.split(":")[0] for v in violations if "(significant shift)" in v.msg}
    band_warn = {v.msg.split(":")[0] for v in violations if "in the moderate band" in v.msg}
    measured = [(f"feature f{i}", f) for i, f in enumerate(feats) if f["status"] == "ok"]
    measured = [(n, f) for n, f in measured if f["psi"] is not None]
    assert band_deny == {n for n, f in measured if f["psi"] >= PSI_DENY}
    assert band_warn == {n for n, f in measured if PSI_WARN <= f["psi"] < PSI_DENY}
    unmeasured = {v.msg.split(":")[0] for v in violations if "could not be measured" in v.msg}
    # a feature whose PSI is missing or whose status is not "ok" is a denial (fail closed)
    assert unmeasured == {f"feature f{i}" for i, f in enumerate(feats)} - {n for n, _ in measured}
    assert all(v.kind == "deny" for v in violations if "could not be measured" in v.msg)
    if unmeasured:
        assert not decisions["sandbox"].allowed
