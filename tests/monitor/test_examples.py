"""The monitoring examples: each example's `govern` command runs as written on a registry."""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
from pathlib import Path

import pytest
import yaml

from govern.alerts import load_sinks
from govern.cli import main

from ..conftest import REPO
from .conftest import make_env

EXAMPLES = REPO / "examples" / "monitoring"


def _crontab_command() -> list[str]:
    lines = [x for x in (EXAMPLES / "crontab").read_text().splitlines() if x and x[0] != "#"]
    assert len(lines) == 1
    m = re.search(r"\bgovern (monitor [^>]*)", lines[0])
    assert m is not None
    return shlex.split(m.group(1))


def _actions_command() -> list[str]:
    doc = yaml.safe_load((EXAMPLES / "github-actions-monitor.yml").read_text())
    runs = [
        s["run"] for s in doc["jobs"]["monitor"]["steps"] if "govern monitor" in s.get("run", "")
    ]
    assert len(runs) == 1
    assert shlex.split(runs[0])[0] == "govern"
    return shlex.split(runs[0])[1:]


def _airflow_command() -> list[str]:
    spec = importlib.util.spec_from_file_location("govern_example_dag", EXAMPLES / "airflow_dag.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # importable without Airflow
    cmd: list[str] = module.MONITOR_COMMAND
    assert cmd[0] == "govern"
    return cmd[1:]


@pytest.mark.parametrize("command", [_crontab_command, _actions_command, _airflow_command])
def test_example_command_runs_as_written(
    command: object,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = make_env(tmp_path)
    env.write_logs({"income": 0.5})
    out = tmp_path / "events.jsonl"
    # the example's sinks file names real hosts: the scratch folder gets a local one
    (env.cards / "govern-sinks.yaml").write_text(
        f"sinks:\n  - name: log\n    type: jsonl\n    path: {out}\n", encoding="utf-8"
    )
    monkeypatch.chdir(env.cards)
    monkeypatch.setenv("GOVERN_DB", str(env.db))
    assert callable(command)
    assert main(command()) == 0
    types = sorted(
        json.loads(x)["type"]
        for x in out.read_text().splitlines()
        if json.loads(x)["model"] == "credit-risk@3"
    )
    assert types == ["gate_denied", "retraining_required"]


def test_example_sinks_file_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("GOVERN_HOOK_SECRET", "SLACK_WEBHOOK_URL", "SMTP_USER", "SMTP_PASSWORD"):
        monkeypatch.setenv(var, "https://x.example" if var == "SLACK_WEBHOOK_URL" else "v")
    sinks = load_sinks(EXAMPLES / "govern-sinks.yaml")
    assert [s.type for s in sinks] == ["webhook", "slack", "smtp", "jsonl"]
