"""A dead inference-log pipeline is not "monitored": re-scans of the same files do not count.

End to end with real parts: a DuckDB file, parquet logs, the kernel, the shipped Rego
library and the CLI (in process, so that one clock can be moved: every `utcnow` of the
package reads it). A production model is scanned by `govern monitor` and `govern scan`; the
clock moves past the model's monitoring gap (the card's 30-day frequency) while the same
files are read again, and the monitoring-gap control denies with its no-new-data message; a
new file, or a file rewritten with new content, lifts it; a scan of an old file alone does
not.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from govern import clock
from govern.cli import main
from govern.clock import rfc3339, utcnow

from .conftest import REF, Env, make_env

NO_NEW_DATA = "no new inference data since {since} ({days} days); the scans since re-read"


class Clock:
    """The time every `utcnow` in govern returns, moved by the test."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, days: float) -> datetime:
        self.now += timedelta(days=days)
        return self.now


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    """Patch govern.clock.utcnow and every govern module that imported it already."""
    c = Clock(utcnow() + timedelta(minutes=1))
    real = clock.utcnow
    monkeypatch.setattr(clock, "utcnow", c)
    for name, module in list(sys.modules.items()):
        if name.startswith("govern.") and getattr(module, "utcnow", None) is real:
            monkeypatch.setattr(module, "utcnow", c)
    yield c


@pytest.fixture
def env(tmp_path: Path) -> Env:
    # the card's source is the folder of logs: every file in it is scanned
    return make_env(tmp_path, source="../logs")


def _base(env: Env) -> list[str]:
    return ["--db", str(env.db), "-q"]


def _check(env: Env, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict[str, object]]]:
    """`govern check --model REF -f json`: exit code and the violations."""
    capsys.readouterr()
    rc = main([*_base(env), "check", "--model", REF, "-f", "json"])
    doc = json.loads(capsys.readouterr().out)
    return rc, doc["violations"]


def _messages(violations: list[dict[str, object]], control: str) -> list[str]:
    return [str(v["msg"]) for v in violations if v["control"] == control]


def _no_new_data(violations: list[dict[str, object]]) -> list[dict[str, object]]:
    return [v for v in violations if "no new inference data" in str(v["msg"])]


def _monitor(env: Env) -> None:
    assert main([*_base(env), "monitor", REF, "--backoff", "0"]) == 0


def _scan(env: Env, capsys: pytest.CaptureFixture[str], *files: Path, full: bool = False) -> str:
    capsys.readouterr()
    args = [*_base(env), "scan", REF, *(a for f in files for a in ("--data", str(f)))]
    assert main([*args, *(["--full"] if full else [])]) == 0
    return capsys.readouterr().out


def _latest_params(env: Env) -> dict[str, object]:
    con = duckdb.connect(str(env.db), read_only=True)
    try:
        text = con.execute("SELECT params FROM scans ORDER BY finished_at DESC LIMIT 1").fetchall()
    finally:
        con.close()
    return dict(json.loads(text[0][0]))


def _new_log(env: Env, name: str, seed: int) -> Path:
    """Another day's log file in the monitored folder (same distribution, other rows)."""
    first = env.logs / "credit-risk.parquet"
    keep = first.read_bytes()
    path = env.write_logs({}, seed=seed)
    path.rename(env.logs / name)
    first.write_bytes(keep)  # the first file is left exactly as it was
    return env.logs / name


def test_rescanning_the_same_files_past_the_gap_denies_until_new_data_arrives(
    env: Env, fake_clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    old = env.logs / "credit-risk.parquet"
    t0 = fake_clock.now
    _monitor(env)  # first scan of the folder: its one file is new data
    first = _latest_params(env)["data_changed_at"]
    assert first == rfc3339(t0)
    rc, violations = _check(env, capsys)
    assert rc == 0 and _no_new_data(violations) == []

    # The pipeline dies: no new file for 40 days, while the monitor keeps re-scanning.
    fake_clock.advance(20)
    _monitor(env)
    rc, violations = _check(env, capsys)
    assert rc == 0 and _no_new_data(violations) == []  # 20 days: within the 30-day gap
    fake_clock.advance(20)
    _monitor(env)
    assert _latest_params(env)["data_changed_at"] == first  # fresh scan, old data
    rc, violations = _check(env, capsys)
    assert rc == 1
    [mon] = _messages(violations, "MRM-MON-02")
    assert NO_NEW_DATA.format(since=first, days=40) in mon
    assert "more than the 30-day gap" in mon
    assert "no evidence" not in mon  # the scans did run: the message does not claim otherwise
    assert {str(v["control"]) for v in _no_new_data(violations)} == {"MRM-MON-02"}
    capsys.readouterr()  # `govern show --format json` has it under provenance
    assert main([*_base(env), "show", REF, "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)["provenance"]
    assert shown["data_changed_at"] == first and shown["scanned_at"] > first
    # the scan summary says so too, and neither a full re-read nor a scan of the file by
    # itself refreshes it
    fake_clock.advance(1 / 24)
    out = _scan(env, capsys, old, full=True)
    assert f"data changed at {first} (no file new since then)" in out
    rc, violations = _check(env, capsys)
    assert rc == 1 and _messages(violations, "MRM-MON-02") == [mon]
    fake_clock.advance(1 / 24)
    with pytest.MonkeyPatch.context() as m:  # a new engine: every stored partial is stale
        m.setattr("govern.runner.scan.STATE_FORMAT", 10_000)
        out = _scan(env, capsys, old)
    assert f"data changed at {first} (no file new since then)" in out
    assert _latest_params(env)["files_read"] == 1  # read again, still not new data
    rc, violations = _check(env, capsys)
    assert rc == 1 and _messages(violations, "MRM-MON-02") == [mon]

    # The pipeline comes back: a new file in the folder.
    t_new = fake_clock.advance(1)
    _new_log(env, "credit-risk-2.parquet", seed=2)
    _monitor(env)
    assert _latest_params(env)["data_changed_at"] == rfc3339(t_new)
    rc, violations = _check(env, capsys)
    assert rc == 0, violations
    assert _no_new_data(violations) == [] and _messages(violations, "MRM-MON-02") == []

    # Later, a scan of the old file alone is not new data: its first scan was at t0.
    fake_clock.advance(40)
    out = _scan(env, capsys, old)
    assert f"data changed at {first} (no file new since then)" in out
    rc, violations = _check(env, capsys)
    assert rc == 1
    [mon] = _messages(violations, "MRM-MON-02")
    assert NO_NEW_DATA.format(since=first, days=81) in mon
    # ... while the folder's newest file, first scanned 40 days ago, is beyond the gap too
    fake_clock.advance(1 / 24)
    _monitor(env)
    rc, violations = _check(env, capsys)
    assert rc == 1
    assert (
        NO_NEW_DATA.format(since=rfc3339(t_new), days=40) in _messages(violations, "MRM-MON-02")[0]
    )
    assert main([*_base(env), "audit", "verify"]) == 0


def test_a_rewritten_file_is_new_data_and_a_touched_one_is_not(
    env: Env, fake_clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    log = env.logs / "credit-risk.parquet"
    t0 = fake_clock.now
    out = _scan(env, capsys, log)
    assert f"data changed at {rfc3339(t0)} (new files in this scan)" in out

    # 40 days later the file is only touched (same bytes, new mtime): not new data.
    fake_clock.advance(40)
    st = log.stat()
    os.utime(log, (st.st_atime + 86400 * 40, st.st_mtime + 86400 * 40))
    out = _scan(env, capsys, log)
    assert f"data changed at {rfc3339(t0)} (no file new since then)" in out
    rc, violations = _check(env, capsys)
    assert rc == 1 and _messages(violations, "MRM-MON-02")

    # Rewritten in place with other rows (same path): new data, the denial is lifted.
    t1 = fake_clock.advance(1)
    before = pq.read_metadata(log).num_rows
    env.write_logs({}, seed=7)
    assert pq.read_metadata(log).num_rows == before  # same path and shape, other content
    out = _scan(env, capsys, log)
    assert f"data changed at {rfc3339(t1)} (new files in this scan)" in out
    rc, violations = _check(env, capsys)
    assert rc == 0, violations
    assert _no_new_data(violations) == []
