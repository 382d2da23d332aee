"""Two processes: a writer that meets the lock retries, then fails naming the holder."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from govern.cli import main
from govern.store import Store

from ..conftest import CARDS, IMPORT

HOLD = """
import sys, time
from govern.store import Store
s = Store.open(sys.argv[1])
print("READY", flush=True)
time.sleep(float(sys.argv[2]))
s.close()
"""


def _holder(db: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "READY"
    return proc


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.kill()
    proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def test_writer_times_out_naming_the_holder_pid(db_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    Store.open(db_path, create=True).close()
    holder = _holder(db_path, 30)
    try:
        start = time.monotonic()
        rc = main(
            [
                "--db",
                str(db_path),
                "--lock-timeout",
                "0.5",
                "register",
                *IMPORT,
                str(CARDS / "credit-risk.yaml"),
            ]
        )
        waited = time.monotonic() - start
        err = capsys.readouterr().err
    finally:
        _stop(holder)
    assert rc == 2
    assert f"(PID {holder.pid})" in err
    assert "stayed locked for" in err and "--lock-timeout" in err
    assert waited >= 0.5
    with Store.open(db_path, read_only=True) as store:
        assert store.query("SELECT count(*) FROM model_versions") == [(0,)]


def test_writer_waits_for_the_lock_and_succeeds(db_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    Store.open(db_path, create=True).close()
    holder = _holder(db_path, 0.8)
    try:
        rc = main(
            [
                "--db",
                str(db_path),
                "--lock-timeout",
                "20",
                "register",
                *IMPORT,
                str(CARDS / "credit-risk.yaml"),
            ]
        )
    finally:
        holder.wait()
        _stop(holder)
    assert rc == 0, capsys.readouterr().err
    with Store.open(db_path, read_only=True) as store:
        assert store.query("SELECT count(*) FROM model_versions") == [(1,)]


def test_reader_also_waits_then_fails_naming_pid(db_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    Store.open(db_path, create=True).close()
    monkeypatch.setenv("GOVERN_LOCK_TIMEOUT", "0.3")
    holder = _holder(db_path, 30)
    try:
        rc = main(["--db", str(db_path), "audit", "verify"])
        err = capsys.readouterr().err
    finally:
        _stop(holder)
    assert rc == 2 and f"(PID {holder.pid})" in err


def test_bad_lock_timeout_env_is_a_usage_error(db_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    Store.open(db_path, create=True).close()
    monkeypatch.setenv("GOVERN_LOCK_TIMEOUT", "soon")
    rc = main(["--db", str(db_path), "audit", "head"])
    assert rc == 2
