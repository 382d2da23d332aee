"""kill -9 of `govern monitor` at random points: no event lost, none sent under two keys.

Each round changes the monitored data (so the run raises new events), starts the real CLI
in a subprocess and kills it with SIGKILL at a random moment: while it starts, scans,
records, or between a receiver's answer and the delivery mark. A last, uninterrupted run
then delivers whatever is left.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from ._servers import http_receiver
from .conftest import make_env, write_sinks

ROUNDS = int(os.environ.get("GOVERN_CRASH_ROUNDS", "8"))
SECRET = "s3cret"


@pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")
def test_kill_9_never_loses_or_rekeys_an_event(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    rng = random.Random(20261202)
    with http_receiver(SECRET) as rx:
        rx.delay = 0.03  # widens the window between a receiver's answer and the mark
        sinks = write_sinks(tmp_path / "s.yaml", rx.url, smtp_port=None, jsonl=None)
        child_env = {
            **os.environ,
            "TEST_GOVERN_HOOK_SECRET": SECRET,
            "TEST_GOVERN_SLACK_URL": f"{rx.url}/slack",
        }
        argv = [
            sys.executable,
            "-c",
            "from govern.cli import run; run()",
            "--db",
            str(env.db),
            "monitor",
            "credit-risk@3",
            "--sinks",
            str(sinks),
            "--backoff",
            "0",
        ]
        killed = 0
        for i in range(ROUNDS + 1):
            env.write_logs({"income": 0.5} if i % 2 == 0 else {}, seed=i)
            last = i == ROUNDS
            proc = subprocess.Popen(
                argv,
                env=child_env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE if last else subprocess.DEVNULL,
            )
            if last:  # the last run is left to finish
                _, err = proc.communicate(timeout=120)
                assert proc.returncode == 0, err.decode()
                break
            start, seen = time.monotonic(), rx.attempts
            # most rounds: right after the want-th request of the round (during delivery);
            # the others at a random moment (start-up, scan, record or delivery)
            during_delivery = rng.random() < 0.7
            deadline = 60.0 if during_delivery else rng.uniform(0.5, 8.0)
            want = rng.randint(1, 4) if during_delivery else 10**6
            while proc.poll() is None and time.monotonic() - start < deadline:
                if rx.attempts - seen >= want:
                    time.sleep(rng.uniform(0.0, 0.05))
                    break
                time.sleep(0.005)
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                killed += 1
            proc.wait(timeout=60)
        con = duckdb.connect(str(env.db), read_only=True)
        stored = dict(con.execute("SELECT event_id, idempotency_key FROM events").fetchall())
        undelivered = con.execute(
            """SELECT count(*) FROM events e, (VALUES ('hook'), ('chat')) s(sink)
               WHERE NOT EXISTS (SELECT 1 FROM event_deliveries d WHERE d.event_id = e.event_id
                                 AND d.sink = s.sink AND d.delivered_at IS NOT NULL)"""
        ).fetchall()[0][0]
        con.close()
    assert killed >= ROUNDS // 2, "most rounds should have been interrupted"
    assert len(stored) >= ROUNDS // 2 and undelivered == 0
    for path in ("/hook", "/slack"):
        got = rx.delivered(path)
        docs = [r.doc for r in got] if path == "/hook" else []
        keys = {r.headers["Idempotency-Key"] for r in got}
        assert keys == set(stored.values()), f"{path}: lost or foreign events"
        for d in docs:  # one key per event, always the stored one
            assert stored[d["event_id"]] == d["idempotency_key"]
        assert all(r.signature_ok for r in got if path == "/hook")
