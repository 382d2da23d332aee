"""Every acceptance case through the CLI with `--engine opa` decides as with regorus.

Real OPA runs in-process (opa-golib-python-bindings) in the sandbox child when no `opa`
binary is on PATH. Each case runs twice, `--engine regorus` and `--engine opa`, with a
JSON report written beside its own output: the exit code, stdout (engine name aside),
stderr and every decision (result, packages, violations with messages and card
locations) must be the same. Fields that differ by nature are left out: the engine and
its version, the decision id, the time and the input hash (its input has `now`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from govern.cli import main
from govern.policy import _opa

from ..conftest import POLICIES
from .test_cases import CASES

pytestmark = pytest.mark.skipif(
    not _opa.bindings_available() and _opa.find_opa() is None,
    reason="neither an opa binary nor opa-golib-python-bindings (make install adds it)",
)
PER_RUN = ("decision_id", "decided_at", "engine", "engine_version", "input_hash")
_PER_RUN_TEXT = (
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"), "TIME"),
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "ID"),
    (re.compile(r'"input_hash": "[0-9a-f]{64}"'), '"input_hash": "HASH"'),
    (re.compile(r'"engine_version": "[^"]*"'), '"engine_version": "VERSION"'),
)


def _run(
    case: Path, engine: str, tmp: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str, Any]:
    spec = yaml.safe_load((case / "case.yaml").read_text(encoding="utf-8"))
    args = [a.replace("{library}", str(POLICIES)) for a in spec["args"]]
    report = tmp / f"{engine}.json"
    code = main([args[0], "--engine", engine, *args[1:], "--format", "json", "-o", str(report)])
    out, err = capsys.readouterr()
    doc = json.loads(report.read_text(encoding="utf-8")) if report.exists() else None
    for decision in (doc or {}).get("decisions", []):
        assert decision["engine"] == engine  # the engine asked for decided
        for key in PER_RUN:
            decision.pop(key, None)
    return code, _per_run(out, engine), err, doc


def _per_run(text: str, engine: str) -> str:
    """Output without what differs by nature: times, ids, input hashes, engine name."""
    for pattern, token in _PER_RUN_TEXT:
        text = pattern.sub(token, text)
    return re.sub(rf"\b{engine}\b", "ENGINE", text)


@pytest.mark.parametrize("case", CASES, ids=[p.name for p in CASES])
def test_case_decides_the_same_on_opa(
    case: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(case)
    monkeypatch.delenv("GOVERN_DB", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    regorus = _run(case, "regorus", tmp_path, capsys)
    opa = _run(case, "opa", tmp_path, capsys)
    assert opa[0] == regorus[0], f"exit codes differ\nopa stderr: {opa[2]}"
    assert opa[2] == regorus[2]
    assert opa[1] == regorus[1]
    assert opa[3] == regorus[3]
