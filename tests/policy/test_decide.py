"""Gate decisions through real regorus: allow, deny, and errors that never allow."""

from __future__ import annotations

from pathlib import Path

import pytest

from govern.errors import PolicyEvalError, PolicyLoadError
from govern.policy import input_hash, load

GATE = """package govern.gates.production
import rego.v1
deny contains {"control": "T-1", "msg": "psi too high", "severity": "high"} if {
    input.evidence.drift.max_psi >= 0.25
}
"""


def _bundle(tmp_path: Path, source: str, name: str = "gate.rego") -> Path:
    d = tmp_path / "policies"
    d.mkdir(exist_ok=True)
    (d / name).write_text(source)
    return d


def _input(psi: float | None) -> dict:
    return {
        "now": "2026-11-23T00:00:00Z",
        "model": {"name": "m"},
        "evidence": {"drift": {"max_psi": psi}},
    }


def test_allow_and_deny(tmp_path: Path) -> None:
    prepared = load(_bundle(tmp_path, GATE))
    ok = prepared.decide(_input(0.01), model="m", version="1", stage="production")
    assert ok.allowed and ok.violations == () and ok.exit_code() == 0
    bad = prepared.decide(_input(0.3), model="m", version="1", stage="production")
    assert not bad.allowed and bad.exit_code() == 1
    assert [(v.control, v.kind) for v in bad.violations] == [("T-1", "deny")]
    assert bad.bundle_hash == ok.bundle_hash and len(bad.bundle_hash) == 64
    assert bad.input_hash == input_hash(_input(0.3)) != ok.input_hash


def test_runtime_error_never_allows(tmp_path: Path) -> None:
    src = GATE + 'deny contains "x" if { 1 / input.zero > 0 }\n'
    prepared = load(_bundle(tmp_path, src))
    with pytest.raises(PolicyEvalError, match="divide by zero") as info:
        prepared.decide({**_input(0.0), "zero": 0}, model="m", version="1", stage="production")
    assert info.value.path and info.value.path.endswith("gate.rego") and info.value.line == 6


def test_parse_error_names_file_line_col(tmp_path: Path) -> None:
    with pytest.raises(PolicyLoadError) as info:
        load(_bundle(tmp_path, "package govern.gates.production\nx := )\n"))
    assert info.value.path and info.value.path.endswith("gate.rego")
    assert info.value.line == 2 and info.value.column is not None


def test_missing_gate_package_never_allows(tmp_path: Path) -> None:
    prepared = load(_bundle(tmp_path, GATE))
    with pytest.raises(PolicyEvalError, match="govern.gates.validation is not defined"):
        prepared.decide(_input(0.0), model="m", version="1", stage="validation")


def test_malformed_violation_never_allows(tmp_path: Path) -> None:
    src = 'package govern.gates.production\nimport rego.v1\ndeny contains {"msg": 1} if true\n'
    prepared = load(_bundle(tmp_path, src))
    with pytest.raises(PolicyEvalError, match="field 'control'"):
        prepared.decide(_input(0.0), model="m", version="1", stage="production")


def test_nan_input_is_refused(tmp_path: Path) -> None:
    prepared = load(_bundle(tmp_path, GATE))
    with pytest.raises(Exception, match="(?i)nan|json|canonical"):
        prepared.decide(_input(float("nan")), model="m", version="1", stage="production")
