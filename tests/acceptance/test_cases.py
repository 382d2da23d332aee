"""Every tests/acceptance/<case>/ through `govern.cli.main`, in the case's directory.

A case holds the repository files (model cards, policies, evidence) and `case.yaml`:
`args` (with `{library}` for the shipped policy library), the expected `exit` code and
either the `summary` (last stdout line) or the `stderr` line (exact, or
`stderr_startswith`), plus optional `stdout_contains` snippets.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from govern.cli import main

from ..conftest import POLICIES

HERE = Path(__file__).parent
CASES = sorted(p.parent for p in HERE.glob("*/case.yaml"))


def test_cases_exist() -> None:
    names = {p.name for p in CASES}
    required = {
        "allowed",
        "denied",
        "warn_only_fail_on_warn",
        "malformed_yaml",
        "unknown_stage",
        "missing_evidence",
        "policy_error",
        "unknown_format",
    }
    assert required <= names


@pytest.mark.parametrize("case", CASES, ids=[p.name for p in CASES])
def test_case(
    case: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = yaml.safe_load((case / "case.yaml").read_text(encoding="utf-8"))
    args = [a.replace("{library}", str(POLICIES)) for a in spec["args"]]
    monkeypatch.chdir(case)
    monkeypatch.delenv("GOVERN_DB", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    code = main(args)
    out, err = capsys.readouterr()
    assert code == spec["exit"], f"stdout:\n{out}\nstderr:\n{err}"
    if "summary" in spec:
        assert out.rstrip("\n").splitlines()[-1] == spec["summary"]
        assert err == ""
    if "stderr" in spec:
        assert err.strip() == spec["stderr"]
        assert out == ""
    if "stderr_startswith" in spec:
        assert err.startswith(spec["stderr_startswith"]), err
        assert len(err.strip().splitlines()) == 1, err
    for snippet in spec.get("stdout_contains", []):
        assert snippet in out
    assert not list(case.glob("*.duckdb")), "a check without --db must not create a database"
