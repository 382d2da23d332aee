"""The CI examples' `govern` commands, run as written in a sample model repository."""

from __future__ import annotations

import json
import shlex
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from govern.cli import main

from ..conftest import CARDS, POLICIES, REPO

EXAMPLES = REPO / "examples"


def _govern_lines(commands: list[str]) -> list[list[str]]:
    out = []
    for block in commands:
        for line in block.splitlines():
            if line.strip().startswith("govern "):
                out.append(shlex.split(line)[1:])
    return out


@pytest.fixture
def model_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "models").mkdir()
    shutil.copy(CARDS / "credit-risk.yaml", tmp_path / "models")
    shutil.copytree(POLICIES, tmp_path / "policies")
    # a copy of the library (as `govern policy init` makes) replaces the shipped one
    (tmp_path / "policies" / ".manifest").write_text('{"roots": ["govern"]}\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GOVERN_DB", raising=False)
    return tmp_path


def test_github_actions_workflow(
    model_repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    workflow = yaml.safe_load((EXAMPLES / "github-actions.yml").read_text(encoding="utf-8"))
    steps = workflow["jobs"]["compliance"]["steps"]
    commands = _govern_lines([s["run"] for s in steps if "run" in s])
    assert len(commands) == 2
    summary = model_repo / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    for argv in commands:
        assert main(argv) == 0, capsys.readouterr()
    out = capsys.readouterr().out
    assert "::notice title=govern::credit-risk@3 → deployment: allowed" in out
    sarif_file = next(s["with"]["sarif_file"] for s in steps if "upload-sarif" in s.get("uses", ""))
    assert json.loads((model_repo / sarif_file).read_text())["version"] == "2.1.0"
    assert ET.parse(model_repo / "govern-junit.xml").getroot().get("failures") == "0"
    assert "## govern check: ✅ allowed" in summary.read_text()
    assert (model_repo / "govern-comment.md").read_text().startswith("## govern check:")


def test_github_actions_gate_fails_a_bad_card(
    model_repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    card = model_repo / "models" / "credit-risk.yaml"
    text = card.read_text()
    assert text.count("  report_uri: ") == 1
    card.write_text(text.replace("  report_uri: ", "  old_report_uri: "))
    workflow = yaml.safe_load((EXAMPLES / "github-actions.yml").read_text(encoding="utf-8"))
    gate = _govern_lines([s["run"] for s in workflow["jobs"]["compliance"]["steps"] if "run" in s])
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    assert main(gate[0]) == 1
    out = capsys.readouterr().out
    # `validation.report_uri` is gone, so the finding points at `validation:` (line 36)
    assert text.splitlines()[35] == "validation:"
    assert (
        "::error file=models/credit-risk.yaml,line=36,title=MRM-VAL-01 (critical)::"
        "credit-risk@3 → deployment: validation report: missing (validation.report_uri)"
    ) in out
    assert out.rstrip().endswith("1 model checked: 0 allowed, 1 denied (1 deny, 0 warn)")


def test_gitlab_job(model_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    job = yaml.safe_load((EXAMPLES / "gitlab-ci.yml").read_text(encoding="utf-8"))["govern-check"]
    commands = _govern_lines(job["script"])
    assert len(commands) == 1
    assert main(commands[0]) == 0
    assert (
        capsys.readouterr()
        .out.rstrip()
        .endswith("1 model checked: 1 allowed, 0 denied (0 deny, 0 warn)")
    )
    junit = model_repo / job["artifacts"]["reports"]["junit"]
    assert ET.parse(junit).getroot().get("tests") == "1"
    for path in job["artifacts"]["paths"]:
        assert json.loads((model_repo / path).read_text())["result"] == "allow"
