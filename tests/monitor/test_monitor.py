"""`govern monitor` end to end: real DuckDB, Rego, parquet, kernel, HTTP and SMTP receivers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path

import duckdb
import pytest

from govern.cli import main

from ._servers import Mailbox, Receiver, http_receiver, smtp_server
from .conftest import REF, Env, make_env, write_sinks

SECRET = "s3cret"


@pytest.fixture
def rx(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    with http_receiver(SECRET) as r:
        monkeypatch.setenv("TEST_GOVERN_HOOK_SECRET", SECRET)
        monkeypatch.setenv("TEST_GOVERN_SLACK_URL", f"{r.url}/slack")
        yield r


@pytest.fixture
def mail() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


def _monitor(env: Env, sinks: Path, *extra: str) -> int:
    return main(
        ["--db", str(env.db), "monitor", REF, "--sinks", str(sinks), "--backoff", "0", *extra]
    )


def _count(db: Path, sql: str) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return int(con.execute(sql).fetchall()[0][0])
    finally:
        con.close()


def test_drift_deny_one_event_per_sink_then_silence_then_resolved(
    env: Env, rx: Receiver, mail: Mailbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "events.jsonl"
    sinks = write_sinks(tmp_path / "govern-sinks.yaml", rx.url, smtp_port=mail.port, jsonl=log)
    assert _monitor(env, sinks) == 0  # stable data: allowed, nothing to announce
    assert rx.requests == [] and mail.messages == [] and not log.exists()

    env.write_logs({"income": 0.5})  # income PSI far beyond the 0.25 deny band
    assert _monitor(env, sinks) == 0
    hooks = rx.delivered("/hook")
    assert sorted(r.doc["type"] for r in hooks) == ["gate_denied", "retraining_required"]
    assert all(r.signature_ok for r in hooks)
    assert all(r.headers["Idempotency-Key"] == r.doc["idempotency_key"] for r in hooks)
    assert len(rx.delivered("/slack")) == 2 and len(mail.messages) == 2
    lines = [json.loads(x) for x in log.read_text().splitlines()]
    assert sorted(x["type"] for x in lines) == ["gate_denied", "retraining_required"]
    trigger = next(r.doc for r in hooks if r.doc["type"] == "retraining_required")
    assert trigger["model"] == REF and trigger["owner"]
    income = [v for v in trigger["violations"] if "income" in v["msg"]]
    assert [v["control"] for v in income] == ["MON-CSI-01"]
    assert income[0]["title"] and income[0]["remediation"]
    assert income[0]["evidence"]["psi"] >= 0.25
    assert trigger["files"] == [str(env.logs / "credit-risk.parquet")]
    slack = [json.loads(r.body)["text"] for r in rx.delivered("/slack")]
    assert any("MON-CSI-01" in t and "remediation:" in t for t in slack)
    body = message_from_bytes(mail.messages[0][2], policy=email_policy.default)
    assert body["X-Govern-Idempotency-Key"] in {r.doc["idempotency_key"] for r in hooks}

    assert _monitor(env, sinks) == 0  # no change: nothing sent
    assert len(rx.requests) == 4 and len(mail.messages) == 2
    capsys.readouterr()
    assert main(["--db", str(env.db), "events", "--open", "--json"]) == 0
    open_types = sorted(json.loads(x)["type"] for x in capsys.readouterr().out.splitlines())
    assert open_types == ["gate_denied", "retraining_required"]

    env.write_logs({})  # recovery
    assert _monitor(env, sinks) == 0
    new = rx.delivered("/hook")[2:]
    assert [r.doc["type"] for r in new] == ["resolved"] and new[0].doc["previous"] == "deny"
    assert len(rx.delivered("/slack")) == 3 and len(mail.messages) == 3
    assert len(log.read_text().splitlines()) == 3
    capsys.readouterr()
    # the trigger stays open until someone acknowledges it
    assert main(["--db", str(env.db), "events", "--open", "--json"]) == 0
    open_types = [json.loads(x)["type"] for x in capsys.readouterr().out.splitlines()]
    assert open_types == ["retraining_required"]


def test_500_three_times_then_200_is_delivered_once(
    env: Env, rx: Receiver, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sinks = write_sinks(tmp_path / "s.yaml", rx.url, smtp_port=None, jsonl=None)
    env.write_logs({"income": 0.5})
    rx.script = [500, 500, 500]
    assert _monitor(env, sinks, "--attempts", "3") == 0  # 3 tries: all 500, left pending
    assert rx.delivered("/hook") == []
    capsys.readouterr()
    assert main(["--db", str(env.db), "events", "--pending"]) == 0
    out = capsys.readouterr().out
    assert "pending hook: 3 attempt(s), HTTP 500" in out
    assert _monitor(env, sinks) == 0  # the receiver is back: delivered on the next run
    keys = [r.doc["idempotency_key"] for r in rx.delivered("/hook")]
    assert len(keys) == 2 and len(set(keys)) == 2
    assert _monitor(env, sinks) == 0
    assert len(rx.delivered("/hook")) == 2
    capsys.readouterr()
    assert main(["--db", str(env.db), "events", "--pending"]) == 0
    assert capsys.readouterr().out.strip() == ""


def test_retries_within_one_run_deliver_once(env: Env, rx: Receiver, tmp_path: Path) -> None:
    sinks = write_sinks(tmp_path / "s.yaml", rx.url, smtp_port=None, jsonl=None)
    env.write_logs({"income": 0.5})
    rx.script = [500, 500, 500]
    assert _monitor(env, sinks, "--attempts", "4") == 0
    assert sorted(r.doc["type"] for r in rx.delivered("/hook")) == [
        "gate_denied",
        "retraining_required",
    ]


def test_a_hanging_receiver_times_out_and_keeps_events_pending(
    env: Env, rx: Receiver, tmp_path: Path
) -> None:
    sinks = write_sinks(tmp_path / "s.yaml", rx.url, smtp_port=None, jsonl=None, timeout=0.3)
    env.write_logs({"income": 0.5})
    rx.script = ["hang"]
    assert _monitor(env, sinks, "--attempts", "1") == 0
    assert rx.delivered("/hook") == []
    assert _count(env.db, "SELECT count(*) FROM event_deliveries WHERE delivered_at IS NULL") == 1
    assert _monitor(env, sinks) == 0
    assert len(rx.delivered("/hook")) == 2


def test_a_bad_signature_secret_is_detected_by_the_receiver(
    env: Env, rx: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_GOVERN_HOOK_SECRET", "not-the-receivers-secret")
    sinks = write_sinks(tmp_path / "s.yaml", rx.url, smtp_port=None, jsonl=None)
    env.write_logs({"income": 0.5})
    assert _monitor(env, sinks) == 0
    assert [r.signature_ok for r in rx.delivered("/hook")] == [False, False]


def test_persisting_state_is_reannounced_after_the_interval(
    env: Env, rx: Receiver, tmp_path: Path
) -> None:
    sinks = write_sinks(tmp_path / "s.yaml", rx.url, smtp_port=None, jsonl=None)
    env.write_logs({"income": 0.5})
    assert _monitor(env, sinks) == 0
    assert _monitor(env, sinks) == 0
    assert len(rx.delivered("/hook")) == 2
    assert _monitor(env, sinks, "--reannounce-hours", "0") == 0
    again = rx.delivered("/hook")[2:]
    assert sorted(r.doc["type"] for r in again) == ["gate_denied", "retraining_required"]
    assert all(r.doc["reminder"] for r in again)
    first = {r.doc["idempotency_key"] for r in rx.delivered("/hook")[:2]}
    assert not first & {r.doc["idempotency_key"] for r in again}


def test_dry_run_changes_nothing(
    env: Env, rx: Receiver, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sinks = write_sinks(tmp_path / "s.yaml", rx.url, smtp_port=None, jsonl=None)
    before = [
        _count(env.db, f"SELECT count(*) FROM {t}")
        for t in ("scans", "decisions", "events", "audit_log")
    ]
    assert main(["--db", str(env.db), "monitor", "--all", "--dry-run", "--sinks", str(sinks)]) == 0
    out = capsys.readouterr().out
    assert "credit-risk@3 (production): would scan 1 file(s) from" in out
    assert "fraud-detect@7 (deployment): no monitoring.source" in out
    assert "sink hook (webhook): would send 0 pending event(s)" in out
    after = [
        _count(env.db, f"SELECT count(*) FROM {t}")
        for t in ("scans", "decisions", "events", "audit_log")
    ]
    assert after == before and rx.attempts == 0


def test_ack_closes_an_event_and_is_audited(
    env: Env, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env.write_logs({"income": 0.5})
    assert main(["--db", str(env.db), "monitor", REF]) == 0  # no sinks file: events stored
    capsys.readouterr()
    assert main(["--db", str(env.db), "events", "--model", REF, "--json"]) == 0
    docs = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    trigger = next(d for d in docs if d["type"] == "retraining_required")
    eid = trigger["event_id"]
    argv = ["--db", str(env.db), "events", "ack", eid, "--by", "ana", "--note", "retrain v4"]
    assert main(argv) == 0
    assert main(argv) == 2
    assert "already acknowledged by ana" in capsys.readouterr().err
    assert main(["--db", str(env.db), "events", "ack", "nope", "--by", "a", "--note", "b"]) == 2
    assert main(["--db", str(env.db), "events", "--open", "--json"]) == 0
    still = [json.loads(x)["type"] for x in capsys.readouterr().out.splitlines()]
    assert still == ["gate_denied"]
    con = duckdb.connect(str(env.db), read_only=True)
    row = con.execute(
        "SELECT actor, payload->>'event_id', payload->>'note' FROM audit_log "
        "WHERE action = 'event_ack'"
    ).fetchall()
    events = con.execute("SELECT count(*) FROM audit_log WHERE action = 'event'").fetchall()
    con.close()
    assert row == [("ana", eid, "retrain v4")] and events == [(2,)]
    assert main(["--db", str(env.db), "audit", "verify"]) == 0


RETIREMENT = """retirement:
  reason: replaced by v4
  date: 2026-12-01
  archive_uri: s3://archive/credit-risk/3/
"""


def test_retirement_is_announced_once(rx: Receiver, tmp_path: Path) -> None:
    env = make_env(tmp_path / "reg", card_extra=RETIREMENT)
    sinks = write_sinks(tmp_path / "s.yaml", rx.url, smtp_port=None, jsonl=None)
    assert _monitor(env, sinks) == 0
    assert main(["--db", str(env.db), "retire", REF, "--reason", "replaced by v4"]) == 0
    assert _monitor(env, sinks) == 0
    assert [r.doc["type"] for r in rx.delivered("/hook")] == ["retired"]
    assert _monitor(env, sinks, "--reannounce-hours", "0") == 0  # final: never re-announced
    assert len(rx.delivered("/hook")) == 1


def test_a_model_without_data_raises_monitor_failed(env: Env, rx: Receiver, tmp_path: Path) -> None:
    sinks = write_sinks(tmp_path / "s.yaml", rx.url, smtp_port=None, jsonl=None)
    assert _monitor(env, sinks) == 0
    (env.logs / "credit-risk.parquet").unlink()
    assert _monitor(env, sinks) == 0  # its own run completed: exit 0, the failure is an event
    got = [r.doc for r in rx.delivered("/hook")]
    assert [d["type"] for d in got] == ["monitor_failed"]
    assert "credit-risk.parquet" in got[0]["error"]


def test_decision_and_events_commit_together(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure while writing the events leaves no decision, no state and no audit row."""
    from govern.store import events as event_store

    env.write_logs({"income": 0.5})
    before = [_count(env.db, f"SELECT count(*) FROM {t}") for t in ("decisions", "audit_log")]

    def broken(conn: object, events: object) -> None:
        raise RuntimeError("disk full while writing events")

    monkeypatch.setattr(event_store, "insert_events", broken)
    assert main(["--db", str(env.db), "monitor", REF]) == 3
    after = [_count(env.db, f"SELECT count(*) FROM {t}") for t in ("decisions", "audit_log")]
    # the scan's evidence is its own transaction; the decision and its events are one
    assert after[0] == before[0]
    assert _count(env.db, "SELECT count(*) FROM events") == 0
    assert _count(env.db, "SELECT count(*) FROM monitor_state") == 0
    assert _count(env.db, "SELECT count(*) FROM audit_log WHERE action = 'decision'") == 0


def test_jsonl_to_stdout(env: Env, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sinks = tmp_path / "s.yaml"
    sinks.write_text('sinks:\n  - name: out\n    type: jsonl\n    path: "-"\n')
    env.write_logs({"income": 0.5})
    assert _monitor(env, sinks) == 0
    docs = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    assert sorted(d["type"] for d in docs) == ["gate_denied", "retraining_required"]
