"""`check --all` writes the report `check` writes: every format, --output, every failure mode.

Until this, `--all` printed its own list of outcomes (not the documented JSON schema),
refused the CI formats and ignored --no-fail and --fail-on-warn: a pipeline asking to fail
on warnings passed. Real registry (the sample cards), real Rego, real DuckDB.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from govern.cli import main

from ..conftest import CARDS, POLICIES, register_samples
from ..output.test_formats import JSON_SCHEMA, SARIF_SCHEMA, _validator

MODELS = ("credit-risk", "fraud-detect", "loan-approval")


@pytest.fixture
def db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    path = str(tmp_path / "g.duckdb")
    assert main(["--db", path, "init"]) == 0
    register_samples(path, *(CARDS / f"{m}.yaml" for m in MODELS))
    capsys.readouterr()
    return path


def _all(db: str, *args: str) -> int:
    return main(["--db", db, "check", "--all", "--policies", str(POLICIES), "-q", *args])


def test_every_format_to_its_file_and_json_on_stdout(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = {f: tmp_path / f"report.{f}" for f in ("sarif", "junit", "markdown", "github", "text")}
    args = [x for f, p in out.items() for x in ("--format", f, "--output", str(p))]
    rc = _all(db, *args, "--format", "json")
    doc = json.loads(capsys.readouterr().out)
    _validator(JSON_SCHEMA).validate(doc)
    models = {d["model"] for d in doc["decisions"]}
    assert models == set(MODELS) and doc["failures"] == []
    denied = [d["model"] for d in doc["decisions"] if not d["allowed"]]
    assert denied and rc == 1 == doc["exit_code"] and doc["result"] == "deny"
    assert doc["summary"]["models"] == 3 and doc["summary"]["denied"] == len(denied)
    # each decision names the card it was registered from and the controls it evaluated
    for d in doc["decisions"]:
        assert d["card"].endswith(f"{d['model']}.yaml") and d["controls"]

    sarif = json.loads(out["sarif"].read_text())
    _validator(SARIF_SCHEMA).validate(sarif)
    results = sarif["runs"][0]["results"]
    assert {r["properties"]["model"] for r in results if r["level"] == "error"} == set(denied)
    assert sarif["runs"][0]["invocations"][0]["executionSuccessful"] is True

    suites = ET.fromstring(out["junit"].read_text()).findall("testsuite")
    assert len(suites) == 3
    assert int(ET.fromstring(out["junit"].read_text()).get("failures", "0")) >= len(denied)

    markdown = out["markdown"].read_text()
    for m in MODELS:
        assert f"`{m}@" in markdown
    assert any(line.startswith("::error ") for line in out["github"].read_text().splitlines())
    assert doc["summary"]["text"] in out["text"].read_text()


def test_failure_modes_apply(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert _all(db) == 1  # a sample model is denied
    assert _all(db, "--no-fail") == 0
    assert _all(db, "--fail-on-warn") == 2  # conftest codes: 2 = a denial
    capsys.readouterr()
    rc = _all(db, "--fail-on-warn", "--format", "json")
    doc = json.loads(capsys.readouterr().out)
    assert (rc, doc["exit_code"], doc["fail_on"]) == (2, 2, "warn")


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (["--stage", "production"], "drop --stage"),
        (["--evidence", "x.json"], "drop --evidence"),
        (["--model", "credit-risk@3"], "drop --model"),
    ],
)
def test_options_all_cannot_honour_are_refused(
    db: str, capsys: pytest.CaptureFixture[str], extra: list[str], named: str
) -> None:
    assert _all(db, *extra) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --all checks every registered version") and named in err
    assert "Traceback" not in err


def test_stage_next_is_what_all_does(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    rc = _all(db, "--stage", "next", "--format", "json")
    doc = json.loads(capsys.readouterr().out)
    assert rc == 1 and len(doc["decisions"]) == 3


def test_a_model_without_decision_is_in_every_format(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One model's input makes the gate fail: the others are decided; the run is not a pass."""
    layer = tmp_path / "layer"
    layer.mkdir()
    (layer / "broken.rego").write_text(
        "package govern.gates.production\n\n"
        'deny contains "x" if {\n\tinput.model.name == "fraud-detect"\n\t1 / 0 > 0\n}\n'
    )
    out = {f: tmp_path / f"report.{f}" for f in ("sarif", "junit", "markdown", "github")}
    args = [x for f, p in out.items() for x in ("--format", f, "--output", str(p))]
    rc = _all(db, "--policies", str(layer), *args, "--format", "json", "--no-fail")
    doc = json.loads(capsys.readouterr().out)
    _validator(JSON_SCHEMA).validate(doc)
    assert rc == 2 == doc["exit_code"]  # --no-fail reports; "not decided" is never a pass
    assert (doc["result"], doc["allowed"], doc["summary"]["undecided"]) == ("error", False, 1)
    ((failure,),) = [doc["failures"]]
    assert (failure["model"], failure["version"], failure["stage"]) == (
        "fraud-detect",
        "7",
        "production",
    )
    assert failure["error"]["code"] == "policy_eval_error"
    assert failure["error"]["path"].endswith("broken.rego") and failure["error"]["line"] == 5
    assert {d["model"] for d in doc["decisions"]} == {"credit-risk", "loan-approval"}

    sarif = json.loads(out["sarif"].read_text())
    _validator(SARIF_SCHEMA).validate(sarif)
    invocation = sarif["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False and invocation["exitCode"] == 2
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error" and note["message"]["text"].startswith("fraud-detect@7")
    region = note["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] == 5

    root = ET.fromstring(out["junit"].read_text())
    assert root.get("errors") == "1"
    (error_suite,) = [s for s in root.findall("testsuite") if s.get("errors") == "1"]
    assert error_suite.get("name") == "fraud-detect@7 → production"
    assert error_suite.find("testcase/error").get("type") == "policy_eval_error"  # type: ignore[union-attr]

    assert "| `fraud-detect@7` | production | ⚠️ error, no decision |" in out["markdown"].read_text()
    github = out["github"].read_text().splitlines()
    assert any(
        line.startswith("::error file=") and "::fraud-detect@7 → production: " in line
        for line in github
    )
