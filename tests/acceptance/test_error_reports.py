"""Every outcome gets a report: a run that stops before deciding still writes each format.

Real regorus in its sandbox, real files: a policy that does not parse, one whose rules
conflict at evaluation, one that runs past the time limit, and a card that is not YAML.
The exit code and the one stderr line are those of the error; every requested report
says that no decision was made.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from govern.cli import main

HERE = Path(__file__).parent
CARD = HERE / "policy_error" / "govern.yaml"
HEAD = "package govern.gates.production\n\nimport rego.v1\n\n"

CASES = {
    # name: (policy source or None for the valid one, card text or None, code, file, line)
    "parse error": (HEAD + 'deny contains msg if {\n\tmsg := "tier 1" +\n}\n', None,
                    "policy_load_error", "policies/gates/production.rego", 6),
    "conflict": (HEAD + "deny := {1}\ndeny := {2}\n", None,
                 "policy_eval_error", "policies/gates/production.rego", 6),
    "timeout": (
        HEAD + 'deny contains "never" if {\n\tcount([v | some i in numbers.range(1, 5000);'
        " some j in numbers.range(1, 5000); v := i * j]) < 0\n}\n",
        None, "policy_limit", None, None,
    ),
    "bad card": (HEAD + 'deny contains "x" if false\n', "name: [unclosed\n",
                 "model_card_error", "govern.yaml", 2),
}  # fmt: skip

ARGS = [
    "check",
    "--timeout",
    "0.5",
    "--format",
    "sarif",
    "--output",
    "out/govern.sarif",
    "--format",
    "junit",
    "--output",
    "out/govern-junit.xml",
    "--format",
    "json",
    "--output",
    "out/govern.json",
    "--format",
    "markdown",
    "--output",
    "out/comment.md",
    "--format",
    "github",
]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(CARD, tmp_path / "govern.yaml")
    (tmp_path / "policies" / "gates").mkdir(parents=True)
    # these policies replace the shipped library (docs/policies.md, Layers)
    (tmp_path / "policies" / ".manifest").write_text('{"roots": ["govern"]}\n')
    (tmp_path / "out").mkdir()
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GOVERN_DB", raising=False)
    return tmp_path


@pytest.mark.parametrize("case", list(CASES))
def test_an_error_writes_every_requested_report(
    case: str,
    repo: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    policy, card, code, path, line = CASES[case]
    (repo / "policies" / "gates" / "production.rego").write_text(policy)
    if card is not None:
        (repo / "govern.yaml").write_text(card)
    summary = repo / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))

    assert main(ARGS) == 2
    out, err = capsys.readouterr()
    assert err.startswith("error: ") and err.count("\n") == 1, err

    sarif = json.loads((repo / "out" / "govern.sarif").read_text())
    invocation = sarif["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False and invocation["exitCode"] == 2
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error" and note["descriptor"]["id"] == code
    if path is not None:
        physical = note["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"] == {"uri": path, "uriBaseId": "%SRCROOT%"}
        assert physical["region"]["startLine"] == line
    assert (
        sarif["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.resolve().as_uri() + "/"
    )

    junit = ET.parse(repo / "out" / "govern-junit.xml").getroot()
    assert (junit.get("errors"), junit.get("failures")) == ("1", "0")
    error = junit.find("testsuite/testcase/error")
    assert error is not None and error.get("type") == code

    doc = json.loads((repo / "out" / "govern.json").read_text())
    assert (doc["result"], doc["exit_code"], doc["error"]["code"]) == ("error", 2, code)

    assert (repo / "out" / "comment.md").read_text().startswith("## govern check: ⚠️ error")
    assert summary.read_text().startswith("## govern check: ⚠️ error")
    first = out.splitlines()[0]
    assert first.startswith("::error ") and f"title=govern check%3A {code}::" in first
    if path is not None:
        assert f"file={path},line={line}," in first


def test_without_format_flags_an_error_prints_only_the_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "policies" / "gates" / "production.rego").write_text(CASES["parse error"][0] or "")
    assert main(["check"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("error: policies/gates/production.rego:6:")


def test_an_unwritable_report_is_said_besides_the_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "policies" / "gates" / "production.rego").write_text(CASES["parse error"][0] or "")
    args = ["check", "--format", "sarif", "--output", "missing/govern.sarif"]
    assert main(args) == 2
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert out == "" and len(lines) == 2
    assert lines[0].startswith("error: the reports of this failed run could not be written: ")
    assert "missing" in lines[0]
    assert lines[1].startswith("error: policies/gates/production.rego:6:")
