"""Prepared queries on per-stage variants: same value as eval_query, undefined stays undefined.

A worker compiles each deny/warn query it meets on a variant into a rule of its own and
reads it with eval_rule (policy/_worker.py, Engines.evaluate). These tests compare that
path with eval_query on the shipped library and on a bundle whose rule is undefined.
"""

from __future__ import annotations

import json

import pytest

from govern.errors import PolicyEvalError
from govern.lifecycle import STAGES
from govern.policy import EngineOptions, _worker, load
from govern.policy._input import encode_input
from govern.policy._regorus import first_value

from ..conftest import POLICIES

SCOPES = ([], ["us_sr26_2"], ["eu_ai_act"], ["nyc_ll144", "ecoa_reg_b"], ["colorado_sb26_189"])


def _inputs() -> list[tuple[str, dict]]:
    out = []
    for i, stage in enumerate(STAGES):
        for scopes in SCOPES:
            model = {"name": f"m{i}", "risk_tier": 1 + i % 3, "regulatory_scope": scopes}
            model["owner"] = "o@example.com" if i % 2 else ""
            doc = {"stage": stage, "now": "2026-11-23T00:00:00Z", "model": model}
            doc["evidence"] = {"drift": {"features": [{"name": "a", "psi": 0.3, "status": "ok"}]}}
            out.append((stage, doc))
    return out


def test_prepared_rule_equals_eval_query_on_the_library() -> None:
    with load(POLICIES, options=EngineOptions(sandbox=False)) as prepared:
        engines = prepared.engine._engines  # type: ignore[attr-defined]
        checked = 0
        for stage, doc in _inputs():
            scopes = doc["model"]["regulatory_scope"]
            variant = prepared._variant(stage, doc)
            assert variant == stage  # the index is on: variants are in use
            query = prepared._query(prepared.packages_for(stage, scopes), variant).text
            text = encode_input(doc)
            plain = first_value(_worker.evaluate(engines.get(variant), text, query), query)
            assert first_value(engines.evaluate(variant, text, query), query) == plain
            checked += 1
        assert checked == len(STAGES) * len(SCOPES)


def test_an_undefined_prepared_rule_is_undefined_not_empty() -> None:
    modules = (("p.rego", "package p\n\nimport rego.v1\n\ndeny := {1} if input.x == 1\n"),)
    full, _, _ = _worker.compile_bundle(modules, "{}")
    engines = _worker.Engines(full, "{}")
    engines.set_variants({"v": modules})
    query = "[data.p.deny]"
    assert json.loads(engines.evaluate("v", '{"x": 2}', query)) == {"result": []}
    with pytest.raises(PolicyEvalError, match="result is undefined"):
        first_value(engines.evaluate("v", '{"x": 2}', query), query)
    assert first_value(engines.evaluate("v", '{"x": 1}', query), query) == [[1]]


def test_only_deny_warn_queries_are_prepared() -> None:
    source = "package p\n\nimport rego.v1\n\nx := input.a\n\ndeny contains x if x > 5\n"
    modules = (("p.rego", source),)
    full, _, _ = _worker.compile_bundle(modules, "{}")
    engines = _worker.Engines(full, "{}")
    engines.set_variants({"v": modules})
    assert first_value(engines.evaluate("v", '{"a": 3}', "data.p.x"), "data.p.x") == 3
    assert engines._prepared.get("v", {}) == {}
    assert first_value(engines.evaluate("v", '{"a": 7}', "[data.p.deny]"), "[data.p.deny]") == [[7]]
    assert list(engines._prepared["v"]) == ["[data.p.deny]"]
