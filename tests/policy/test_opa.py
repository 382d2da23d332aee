"""`--engine opa`: the `opa` binary when on PATH, else real OPA in-process in the sandbox."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from govern.errors import PolicyError, PolicyLimitError, PolicyLoadError
from govern.policy import EngineOptions, Limits, _opa, load

from ..conftest import POLICIES
from .conftest import GATE_HEAD

HAS_BINDINGS = _opa.bindings_available()
needs_bindings = pytest.mark.skipif(
    not HAS_BINDINGS, reason="opa-golib-python-bindings not installed (make install adds it)"
)
IN_PROCESS = shutil.which("opa") is None  # the bindings serve --engine opa

INPUTS = [
    {"model": {"risk_tier": 1}, "evidence": {}},
    {
        "model": {"risk_tier": 2},
        "evidence": {
            "drift": {
                "features": [
                    {"name": "a", "psi": 0.3, "missing_rate": 0.0, "status": "ok", "reasons": []}
                ]
            }
        },
    },
]


def test_neither_binary_nor_bindings_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_opa, "find_opa", lambda: None)
    monkeypatch.setattr(_opa, "bindings_available", lambda: False)
    with pytest.raises(PolicyLoadError, match="no `opa` binary on PATH and the in-process OPA"):
        load(POLICIES, options=EngineOptions(engine="opa"))


@needs_bindings
@pytest.mark.skipif(not IN_PROCESS, reason="an opa binary on PATH serves --engine opa")
def test_without_a_binary_the_bindings_evaluate_in_the_sandbox() -> None:
    with load(POLICIES, options=EngineOptions(engine="opa")) as prepared:
        assert prepared.engine.name == "opa"
        assert prepared.engine.version == "1.20.2"
        decision = prepared.decide(INPUTS[0], model="m", version="1", stage="production")
    assert decision.engine == "opa" and decision.engine_version == "1.20.2"
    assert not decision.allowed


@needs_bindings
@pytest.mark.parametrize("doc", INPUTS)
def test_opa_and_regorus_agree(doc: dict) -> None:
    with (
        load(POLICIES) as regorus,
        load(POLICIES, options=EngineOptions(engine="opa")) as opa,
    ):
        a = regorus.decide(doc, model="m", version="1", stage="production")
        b = opa.decide(doc, model="m", version="1", stage="production")
    assert b.engine == "opa"
    assert a.allowed == b.allowed
    assert sorted(repr(sorted(v.to_dict().items())) for v in a.violations) == sorted(
        repr(sorted(v.to_dict().items())) for v in b.violations
    )


@needs_bindings
@pytest.mark.skipif(not IN_PROCESS, reason="an opa binary on PATH serves --engine opa")
def test_in_process_opa_is_stopped_at_the_time_limit(
    write_policies: Callable[..., Path],
) -> None:
    slow = (
        GATE_HEAD + 'deny contains "x" if {\n\tcount([1 | numbers.range(1, 100000000)[_]]) > 0\n}\n'
    )
    root = write_policies({"gate.rego": slow})
    options = EngineOptions(engine="opa", limits=Limits(timeout_s=1.0))
    with (
        load(root, options=options) as prepared,
        pytest.raises(PolicyLimitError, match="time limit"),
    ):
        prepared.decide({}, model="m", version="1", stage="production")


@needs_bindings
@pytest.mark.skipif(not IN_PROCESS, reason="an opa binary on PATH serves --engine opa")
def test_in_process_opa_eval_errors_are_located(write_policies: Callable[..., Path]) -> None:
    src = GATE_HEAD + 'deny contains "x" if {\n\tto_number(input.s) > 1\n}\n'
    root = write_policies({"gate.rego": src})
    with (
        load(root, options=EngineOptions(engine="opa")) as prepared,
        pytest.raises(PolicyError, match="gate.rego:6") as info,
    ):
        prepared.decide({"s": "abc"}, model="m", version="1", stage="production")
    assert getattr(info.value, "line", None) == 6
