"""A JSON lines sink on stdout owns stdout: every line parses, the human summary is on stderr.

Run as a real process, so anything else writing to file descriptor 1 would show up.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REF, Env

RUN = [sys.executable, "-c", "from govern.cli import run; run()"]


def _govern(env: Env, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*RUN, "--db", str(env.db), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )


def _sinks(tmp_path: Path, jsonl_path: str, *, also_file: bool) -> Path:
    lines = ["sinks:", "  - name: orchestrator", "    type: jsonl", f'    path: "{jsonl_path}"']
    if also_file:
        lines += ["  - name: archive", "    type: jsonl", f"    path: {tmp_path / 'a.jsonl'}"]
    path = tmp_path / "govern-sinks.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("also_file", [False, True], ids=["stdout-only", "stdout-and-file"])
def test_stdout_is_pure_json_lines(env: Env, tmp_path: Path, also_file: bool) -> None:
    sinks = _sinks(tmp_path, "-", also_file=also_file)
    env.write_logs({"income": 0.5})  # deny-band drift: gate_denied + retraining_required
    for args in (["--dry-run"], [], []):  # the last run: nothing new, stdout stays empty
        done = _govern(env, "monitor", REF, "--sinks", str(sinks), "--backoff", "0", *args)
        assert done.returncode == 0, done.stderr
        docs = [json.loads(line) for line in done.stdout.splitlines()]  # every line is JSON
        assert all(isinstance(d, dict) for d in docs)
        assert f"{REF} (production)" in done.stderr  # the human summary
        if args == ["--dry-run"]:
            assert docs == [] and "dry run" in done.stderr
    first = _govern(env, "events", "--model", REF, "--json")
    types = sorted(json.loads(x)["type"] for x in first.stdout.splitlines())
    assert types == ["gate_denied", "retraining_required"]


def test_stdout_carries_each_event_once(env: Env, tmp_path: Path) -> None:
    sinks = _sinks(tmp_path, "-", also_file=False)
    env.write_logs({"income": 0.5})
    done = _govern(env, "monitor", REF, "--sinks", str(sinks), "--backoff", "0")
    assert done.returncode == 0, done.stderr
    docs = [json.loads(line) for line in done.stdout.splitlines()]
    assert sorted(d["type"] for d in docs) == ["gate_denied", "retraining_required"]
    assert len({d["idempotency_key"] for d in docs}) == 2
    assert "sink orchestrator: 2 delivered" in done.stderr


def test_without_a_stdout_sink_the_summary_stays_on_stdout(env: Env, tmp_path: Path) -> None:
    sinks = _sinks(tmp_path, str(tmp_path / "events.jsonl"), also_file=False)
    done = _govern(env, "monitor", REF, "--sinks", str(sinks))
    assert done.returncode == 0, done.stderr
    assert f"{REF} (production)" in done.stdout
