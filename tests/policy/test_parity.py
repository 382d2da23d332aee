"""Engine parity: the shipped library decides the same under regorus and under real OPA.

Real OPA is the Go engine compiled in-process (package opa-golib-python-bindings), reached
through the product's own `--engine opa` path (sandbox child, batched evaluation). Every
input below is decided by both engines; the decisions must be identical: allowed, and
every violation's kind, control, severity and message. Inputs:

- the demo model cards at all six stages, with no evidence and with healthy evidence;
- every Rego test fixture document (`base` of each pack's tests, `fx.good`) at all stages;
- one input per divergence class found with OPA v1.20.2 (issue 12), each pinned;
- >= 500 seeded mutations of those documents: keys removed, values nulled, thresholds hit
  exactly, odd and leap-day timestamps, every regulatory scope and risk tier.

The acceptance cases run through the CLI with and without `--engine opa`
(test_acceptance_parity.py beside this file).
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from typing import Any

import pytest

from govern.cards import load_card
from govern.policy import DecideItem, EngineOptions, Limits, PreparedPolicies, load
from govern.policy._opa import bindings_available
from govern.results import Decision
from govern.runner.check import card_input

from ..conftest import CARDS, POLICIES, TODAY_NOON

pytestmark = pytest.mark.skipif(
    not bindings_available(),
    reason="opa-golib-python-bindings not installed (make install adds it): no real OPA",
)

STAGES = ["proposed", "development", "validation", "deployment", "production", "retired"]
SCOPES = [
    "us_sr26_2", "us_sr11_7_baseline", "eu_ai_act", "nist_ai_rmf", "iso42001", "fairness",
    "us_ugesp", "nyc_ll144", "ecoa_reg_b", "co_sb26_189",
]  # fmt: skip
TIERS: list[Any] = [1, 2, 3, "1", "2", "3", 1.0, 4, 0, None, "x", -1]
FIXTURE_PACKAGES = [
    "govern.fixtures_test",
    "govern.controls.colorado_sb26_189_test",
    "govern.controls.ecoa_reg_b_test",
    "govern.controls.eu_ai_act_test",
    "govern.controls.fairness_test",
    "govern.controls.iso42001_test",
    "govern.controls.nist_ai_rmf_test",
]
ODD_TIMES = [
    "2024-02-29", "2024-02-29T00:00:00Z", "2023-02-29", "2024-02-30T00:00:00Z",
    "2026-11-23t12:00:00z", "2026-11-23 12:00:00Z", "2026-11-23T12:00:60Z",
    "2026-11-23T24:00:00Z", "2026-11-23T12:00:00+24:00", "2026-11-23T12:00:00+05:30",
    "2026-11-23T12:00:00.123456789Z", "2026-11-23T12:00:00.1234567891Z", "2026-11-23T12:00:00.Z",
    "2026-13-01", "2026-00-10", "0001-01-01T00:00:00Z", "1899-12-31", "2100-01-01",
    "1900-01-01", "2099-12-31T23:59:59-23:59", "", "2026", "not a date", 20261123, None,
]  # fmt: skip
BOUNDARIES: list[Any] = [
    0, 0.0, 1, 0.02, 0.05, 0.1, 0.10000000000000001, 0.0999999999, 0.25, 0.2500000001,
    0.72, 0.8, 0.79999999999, 0.95, 0.99, 25, 30, 29, 365, 2, 10, -1, 1e-12, 123456789.123,
    1234567.5, 1e16, "0.5", True, [], {},
]  # fmt: skip


def _key(d: Decision) -> tuple[bool, list[tuple[str, str, str, str]]]:
    found = [(v.kind, v.control or "", v.severity or "", v.msg) for v in d.violations]
    return d.allowed, sorted(found)


@pytest.fixture(scope="module")
def engines() -> Iterator[tuple[PreparedPolicies, PreparedPolicies]]:
    limits = Limits(timeout_s=120)  # a shared CI machine: parity, not speed, is tested here
    regorus = load(POLICIES, options=EngineOptions(limits=limits))
    opa = load(POLICIES, options=EngineOptions(engine="opa", limits=limits))
    yield regorus, opa
    regorus.close()
    opa.close()


@pytest.fixture(scope="module")
def fixtures(engines: tuple[PreparedPolicies, PreparedPolicies]) -> list[dict[str, Any]]:
    """The fixture documents of the library's Rego tests, as both engines compute them."""
    regorus, opa = engines
    docs = []
    for package in FIXTURE_PACKAGES:
        rule = "good" if package == "govern.fixtures_test" else "base"
        a = regorus.engine.evaluate({}, f"data.{package}.{rule}")
        assert a == opa.engine.evaluate({}, f"data.{package}.{rule}")
        docs.append(a)
    return docs


def _decide_all(
    engines: tuple[PreparedPolicies, PreparedPolicies], docs: list[dict[str, Any]]
) -> list[str]:
    """Decide every document with both engines; describe each divergence."""
    items = [
        DecideItem(d, model="m", version="1", stage=str(d.get("stage", "production"))) for d in docs
    ]
    regorus, opa = engines
    a = regorus.decide_many(items)
    b = opa.decide_many(items)
    diverged = []
    for doc, x, y in zip(docs, a, b, strict=True):
        if not isinstance(x, Decision) and not isinstance(y, Decision):
            continue  # both refuse the input (a type error on a malformed shape): no decision
        kx = _key(x) if isinstance(x, Decision) else f"error: {x}"
        ky = _key(y) if isinstance(y, Decision) else f"error: {y}"
        if kx != ky:
            diverged.append(f"input {json.dumps(doc)[:400]}\n regorus {kx}\n opa     {ky}")
    return diverged


def _at_stages(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(copy.deepcopy(doc), stage=s) for s in STAGES]


def test_demo_models_at_every_stage(engines: tuple[PreparedPolicies, PreparedPolicies]) -> None:
    docs = []
    for name in ("credit-risk", "fraud-detect"):
        card = load_card(CARDS / f"{name}.yaml")
        for stage in STAGES:
            docs.append(card_input(card, stage, {}, now=TODAY_NOON))
            evidence = {
                "drift": {
                    "scan_id": "s1", "scanned_at": TODAY_NOON, "rows": 20000, "max_psi": 0.3,
                    "features": [
                        {"name": "income", "psi": 0.3, "missing_rate": 0.2, "status": "ok"},
                        {"name": "age", "status": "insufficient_data", "reasons": ["n < 50"]},
                    ],
                },
                "performance": {"auc": 0.7, "status": "ok", "scanned_at": TODAY_NOON},
            }  # fmt: skip
            docs.append(card_input(card, stage, evidence, now=TODAY_NOON, registered_at=TODAY_NOON))
    assert _decide_all(engines, docs) == []


def test_rego_test_fixtures_at_every_stage(
    engines: tuple[PreparedPolicies, PreparedPolicies], fixtures: list[dict[str, Any]]
) -> None:
    docs = [d for f in fixtures for d in _at_stages(f)]
    assert _decide_all(engines, docs) == []


def _pinned(good: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """One input per divergence class found between regorus and OPA v1.20.2."""

    def patched(path: list[str], value: Any) -> dict[str, Any]:
        doc = copy.deepcopy(good)
        node = doc
        for key in path[:-1]:
            node = node.setdefault(key, {})
        if value is _DELETE:
            node.pop(path[-1], None)
        else:
            node[path[-1]] = value
        return doc

    fair = {
        "status": "ok",
        "attributes": [
            {"name": "sex", "status": "ok", "groups": [{"group": "f", "n": 100}]},
            {"name": "race_ethnicity", "status": "ok", "groups": [{"group": 7, "n": 100,
             "adverse_impact_ratio": 0.5}]},
        ],
    }  # fmt: skip
    return {
        "registered_at missing (MRM-INV-01)": patched(["model", "registered_at"], _DELETE),
        "now missing (GATE-CLOCK)": patched(["now"], _DELETE),
        "feature without psi (MON-CSI-01)": patched(
            ["evidence", "drift", "features"], [{"name": "a", "status": "ok"}]
        ),
        "feature without status (MON-CSI-01)": patched(
            ["evidence", "drift", "features"], [{"name": "a", "psi": 0.01}]
        ),
        "exclusion without share (NYC-BA-02)": patched(
            ["model", "bias_audit"],
            {"exclusions": [{"category": "other"}], "impact_ratios": {}},
        )
        | {"model": {**good["model"], "regulatory_scope": ["nyc_ll144"]}},
        "group without adverse_impact_ratio (FAIR-AIR-01)": patched(["evidence", "fairness"], fair)
        | {"model": {**good["model"], "regulatory_scope": ["fairness"]}},
        "lowercase t/z now": patched(["now"], "2026-11-23t12:00:00z"),
        "space separator now": patched(["now"], "2026-11-23 12:00:00Z"),
        "leap second validation date": patched(
            ["model", "validation", "date"], "2026-09-15T23:59:60Z"
        ),
        "leap day + 10 years (EUAIA-DOC-03)": _leap_day_retention(good),
        "AUC drop of exactly 10% (MON-PERF-01)": patched(
            ["evidence", "performance"], {"auc": 0.72, "status": "ok"}
        ),
        "integer PSI in a message (MON-CSI-01)": patched(
            ["evidence", "drift", "features"],
            [{"name": "a", "psi": 25, "status": "ok", "missing_rate": 0}],
        ),
        "PSI exactly at the chi-square critical value (MON-PSI-02)": _critical_psi(good),
    }


class _Delete:
    pass


_DELETE = _Delete()


def _leap_day_retention(good: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(good)
    doc["model"]["regulatory_scope"] = ["eu_ai_act"]
    doc["model"]["eu_ai_act"] = {"high_risk": True, "role": "provider"}
    doc["model"]["eu"] = {"placed_on_market_at": "2024-02-29"}
    doc["model"]["docs"] = {"retention_until": "2034-03-01"}
    return doc


def _critical_psi(good: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(good)
    # chi2_95[9] * (1/n + 1/n) with n = 16919: 16.919 * 2 / 16919 = 0.002
    doc["evidence"]["drift"]["rows"] = 16919
    doc["evidence"]["drift"]["features"] = [
        {"name": "a", "psi": 0.002, "status": "ok", "missing_rate": 0.0}
    ]
    return doc


def test_each_divergence_class_found_in_issue_12(
    engines: tuple[PreparedPolicies, PreparedPolicies], fixtures: list[dict[str, Any]]
) -> None:
    pinned = _pinned(fixtures[0])
    assert _decide_all(engines, list(pinned.values())) == []


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield (*prefix, k)
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield (*prefix, i)
            yield from _paths(v, (*prefix, i))


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> None:
    node = doc
    for key in path[:-1]:
        node = node[key]
    if value is _DELETE:
        if isinstance(node, dict):
            node.pop(path[-1], None)
        else:
            node.pop(path[-1])
    else:
        node[path[-1]] = value


def _mutate(rnd: random.Random, base: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(base)
    doc["stage"] = rnd.choice(STAGES)
    model = doc.setdefault("model", {})
    model["risk_tier"] = rnd.choice(TIERS)
    model["regulatory_scope"] = rnd.sample(SCOPES, rnd.randint(0, 4))
    for _ in range(rnd.randint(1, 5)):
        paths = [p for p in _paths(doc) if p[0] in ("model", "evidence", "now")]
        if not paths:
            break
        path = rnd.choice(paths)
        leaf = _get(doc, path)
        roll = rnd.random()
        if roll < 0.3:
            _set(doc, path, _DELETE)
        elif roll < 0.45:
            _set(doc, path, None)
        elif isinstance(leaf, str) and (leaf[:2] in ("19", "20") or roll < 0.6):
            _set(doc, path, rnd.choice(ODD_TIMES))
        elif isinstance(leaf, (int, float)) and not isinstance(leaf, bool):
            _set(doc, path, rnd.choice(BOUNDARIES))
        elif roll < 0.8:
            _set(doc, path, rnd.choice(BOUNDARIES + ODD_TIMES))
    if rnd.random() < 0.15:
        doc["now"] = rnd.choice(ODD_TIMES)
    return doc


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        doc = doc[key]
    return doc


GENERATED = 520


def test_generated_inputs(
    engines: tuple[PreparedPolicies, PreparedPolicies], fixtures: list[dict[str, Any]]
) -> None:
    rnd = random.Random(20261202)
    card = load_card(CARDS / "credit-risk.yaml")
    bases = [*fixtures, card_input(card, "production", fixtures[0]["evidence"], now=TODAY_NOON)]
    docs = [_mutate(rnd, rnd.choice(bases)) for _ in range(GENERATED)]
    diverged = _decide_all(engines, docs)
    assert diverged == [], f"{len(diverged)} of {GENERATED} diverge:\n" + "\n".join(diverged[:5])
