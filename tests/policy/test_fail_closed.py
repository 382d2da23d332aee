"""Fail closed: every engine failure is an error with a location, never an allow."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from govern.errors import PolicyError, PolicyEvalError, PolicyLoadError, UserInputError
from govern.policy import EngineOptions, load

from ..conftest import CARDS, POLICIES, REGISTRY_APPROVALS, TODAY_NOON, YESTERDAY_NOON
from .conftest import GATE_HEAD

MODES = [pytest.param(True, id="sandbox"), pytest.param(False, id="in-process")]

RUNTIME_BUGS = {
    "division by zero": ('deny contains "x" if { 1 / input.zero > 0 }', 5, "divide by zero"),
    # regorus at evaluation, or OPA's type checker at load (when the bindings are installed)
    "type error": ('deny contains "x" if { 1 + "a" > 0 }', 5, "expects numeric|rego_type_error"),
    "unsafe variable": ('deny contains "x" if { x > 1 }', 5, "unsafe"),
    "unknown function": ('deny contains "x" if { not_a_builtin(1) }', 5, "not_a_builtin"),
    "builtin error": ('deny contains "x" if { to_number("abc") > 1 }', 5, "parse string"),
    "conflict": ("deny := {1}\ndeny := {2}", 6, "conflicts"),
    "recursion": ('deny contains "x" if b\nb if c\nc if b', 6, "recursion"),
}


def _decide(root: Path, sandbox: bool, input_doc: dict | None = None) -> object:
    with load(root, options=EngineOptions(sandbox=sandbox)) as prepared:
        return prepared.decide(
            input_doc if input_doc is not None else {"zero": 0},
            model="m",
            version="1",
            stage="production",
        )


@pytest.mark.parametrize("sandbox", MODES)
@pytest.mark.parametrize("case", sorted(RUNTIME_BUGS))
def test_runtime_errors_are_located_errors(
    write_policies: Callable[..., Path], case: str, sandbox: bool
) -> None:
    rule, line, needle = RUNTIME_BUGS[case]
    root = write_policies({"gate.rego": GATE_HEAD + rule + "\n"})
    with pytest.raises(PolicyError) as info:
        _decide(root, sandbox)
    err = info.value
    assert err.path is not None and err.path.endswith("gate.rego")
    # a recursion is reported at any rule of the cycle (OPA names the one it met first)
    lines = {line, line + 1} if case == "recursion" else {line}
    assert err.line in lines and err.column is not None
    assert any(n in str(err) for n in needle.split("|"))
    assert f"gate.rego:{line}:{err.column}" in str(err)


@pytest.mark.parametrize("sandbox", MODES)
@pytest.mark.parametrize(
    ("source", "needle"),
    [
        ("allow := true\n", "package"),
        ("package govern.gates.production\nallow { true }\n", "`if` keyword"),
        ("package govern.gates.production\nx := [1,\n", ""),
        ("package govern.gates.production\nx := 1e999999\n", "number"),
    ],
    ids=["no package", "v0 syntax", "unclosed", "huge number"],
)
def test_parse_errors_are_load_errors(
    write_policies: Callable[..., Path], source: str, needle: str, sandbox: bool
) -> None:
    root = write_policies({"gate.rego": source})
    with pytest.raises(PolicyLoadError) as info:
        load(root, options=EngineOptions(sandbox=sandbox))
    assert info.value.path is not None and info.value.path.endswith("gate.rego")
    assert info.value.line is not None
    assert needle in str(info.value)


def test_missing_gate_package_fails_closed(write_policies: Callable[..., Path]) -> None:
    root = write_policies({"other.rego": "package govern.gates.proposed\ndeny := set()\n"})
    with pytest.raises(PolicyEvalError, match="govern.gates.production is not defined"):
        _decide(root, True)


def test_package_without_rules_fails_closed(write_policies: Callable[..., Path]) -> None:
    root = write_policies({"gate.rego": GATE_HEAD + "helper := 1\n"})
    with pytest.raises(PolicyEvalError, match="defines neither deny nor warn"):
        _decide(root, True)


def test_undefined_deny_fails_closed(write_policies: Callable[..., Path]) -> None:
    root = write_policies({"gate.rego": GATE_HEAD + "deny := {1} if input.never\n"})
    with pytest.raises(PolicyEvalError, match="undefined"):
        _decide(root, True)


@pytest.mark.parametrize(
    ("rule", "needle"),
    [
        ("deny := 5", "must be a set"),
        ("deny contains 5 if true", "expected an object or a string"),
        ('deny contains {"msg": "x"} if true', "'control'"),
        ('deny contains {"control": "C", "msg": "x", "severity": "fatal"} if true', "severity"),
    ],
)
def test_malformed_violations_fail_closed(
    write_policies: Callable[..., Path], rule: str, needle: str
) -> None:
    root = write_policies({"gate.rego": GATE_HEAD + rule + "\n"})
    with pytest.raises(PolicyEvalError, match=needle):
        _decide(root, True)


def test_declared_pack_that_is_missing_fails_closed(write_policies: Callable[..., Path]) -> None:
    root = write_policies(
        {
            "gate.rego": GATE_HEAD + "deny := set()\n",
            "data.yaml": "govern:\n  packs:\n    eu:\n      package: govern.controls.eu\n"
            "      scopes: [eu_ai_act]\n",
        }
    )
    doc = {"model": {"regulatory_scope": ["eu_ai_act"]}}
    with pytest.raises(PolicyEvalError, match="govern.controls.eu is not defined"):
        _decide(root, True, doc)
    assert _decide(root, True, {"model": {"regulatory_scope": ["other"]}}).allowed


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_input_is_refused_before_evaluation(value: float) -> None:
    doc = {"evidence": {"drift": {"features": [{"name": "a", "psi": value, "status": "ok"}]}}}
    with load(POLICIES) as prepared, pytest.raises(UserInputError) as info:
        prepared.decide(doc, model="m", version="1", stage="production")
    assert "input.evidence.drift.features[0].psi" in str(info.value)


NOW = TODAY_NOON


def _complete_model() -> dict:
    """The demo's complete credit-risk card, as the registry presents it in production."""
    model = yaml.safe_load((CARDS / "credit-risk.yaml").read_text())
    model.update(
        name="credit-risk",
        version="3",
        lifecycle_stage="production",
        registered_at="2026-10-01T00:00:00Z",
    )
    return model


def _production_input(feature: dict | None) -> dict:
    """Every monitored feature of the card gets `feature`'s metrics (None: never scanned)."""
    model = _complete_model()
    evidence = {}
    if feature is not None:
        features = [{**feature, "name": f} for f in model["monitoring"]["features"]]
        output = {"name": "score", "psi": 0.01, "status": "ok", "reasons": []}
        evidence = {
            "drift": {
                "scanned_at": YESTERDAY_NOON,
                "rows": 10_000,
                "features": features,
                "output": output,
            }
        }
    # the committee approval comes from the registry (`govern approve`), never the card
    approvals = REGISTRY_APPROVALS
    return {
        "now": NOW,
        "stage": "production",
        "model": model,
        "evidence": evidence,
        "approvals": approvals,
    }


def _denials(doc: dict) -> set[str]:
    with load(POLICIES) as prepared:
        d = prepared.decide(doc, model="credit-risk", version="3", stage="production")
    assert not d.allowed
    return {v.control for v in d.denials}


@pytest.mark.parametrize(
    "feature",
    [
        {"name": "a", "psi": None, "missing_rate": None, "status": "insufficient_data"},
        {"name": "a", "psi": None, "missing_rate": 0.0, "status": "invalid"},
    ],
    ids=["insufficient_data", "invalid"],
)
def test_unmeasured_evidence_is_never_allowed(feature: dict) -> None:
    feature["reasons"] = ["too few rows"]
    assert "MON-CSI-01" in _denials(_production_input(feature))


def test_missing_evidence_is_never_allowed() -> None:
    assert {"MON-CSI-01", "MRM-MON-02"} <= _denials(_production_input(None))


def test_clean_evidence_is_allowed_so_the_above_can_fail() -> None:
    feature = {
        "name": "a",
        "psi": 0.01,
        "missing_rate": 0.0,
        "inf_rate": 0.0,
        "status": "ok",
        "reasons": [],
    }
    with load(POLICIES) as prepared:
        d = prepared.decide(
            _production_input(feature), model="credit-risk", version="3", stage="production"
        )
    assert d.allowed and d.denials == ()
