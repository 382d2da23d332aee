"""Monitor decisions are monitoring, not reviews: the "no review" zombie flag stays visible.

A review is a recorded approval or a gate decision recorded by a command a person or a CI
pipeline runs (check, promote, retire, register). A decision recorded by `govern monitor`
refreshes last_decision_at, never last_review_at (migration 0007). Before that, every
monitor run counted as a review, so a production model nobody had looked at for years was
never flagged while the monitor ran.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from govern.cli import main
from govern.clock import utcnow
from govern.store import Store

from .conftest import REF, Env, make_env

NO_REVIEW = "no review for more than 365 days"


@pytest.fixture
def stale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Env:
    """The monitored registry, whose approvals (its last reviews) are 400 days old."""
    past = utcnow() - timedelta(days=400)
    with monkeypatch.context() as m:
        m.setattr("govern.store.lifecycle.utcnow", lambda: past)
        return make_env(tmp_path)


def _zombie_events(env: Env, capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    capsys.readouterr()
    assert main(["--db", str(env.db), "events", "--model", REF, "--json"]) == 0
    docs = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    return [d for d in docs if d["kind"] == "zombie"]


def _inventory_reasons(env: Env, capsys: pytest.CaptureFixture[str]) -> list[str]:
    capsys.readouterr()
    assert main(["--db", str(env.db), "inventory", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    [row] = [r for r in rows if f"{r['name']}@{r['version']}" == REF]
    return list(row["reasons"])


def test_monitor_runs_do_not_hide_the_no_review_flag(
    stale: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in range(2):  # the second run: the flag persists, nothing new to announce
        assert main(["--db", str(stale.db), "monitor", REF]) == 0
    assert NO_REVIEW in _inventory_reasons(stale, capsys)
    events = _zombie_events(stale, capsys)
    assert [(e["type"], e["reasons"]) for e in events] == [("zombie_flagged", [NO_REVIEW])]
    with Store.open(stale.db, read_only=True) as store:
        [(decided, reviewed)] = store.query(
            "SELECT last_decision_at, last_review_at FROM v_model_status WHERE name = 'credit-risk'"
        )
    assert reviewed < utcnow() - timedelta(days=399) < decided


@pytest.mark.parametrize(
    "review",
    [
        ["check", "--model", REF],
        ["approve", REF, "--stage", "production", "--role", "validator", "--by", "val@example.com"],
    ],
    ids=["check", "approve"],
)
def test_a_human_or_ci_review_clears_the_flag(
    stale: Env, capsys: pytest.CaptureFixture[str], review: list[str]
) -> None:
    assert main(["--db", str(stale.db), "monitor", REF]) == 0
    assert main(["--db", str(stale.db), *review]) in (0, 1)  # a denial is a review too
    assert NO_REVIEW not in _inventory_reasons(stale, capsys)
    assert main(["--db", str(stale.db), "monitor", REF]) == 0
    events = _zombie_events(stale, capsys)
    assert [e["type"] for e in events] == ["zombie_flagged", "resolved"]


def test_monitor_decisions_say_so_in_the_audit_trail(
    stale: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--db", str(stale.db), "monitor", REF]) == 0
    assert main(["--db", str(stale.db), "check", "--model", REF]) in (0, 1)
    with Store.open(stale.db, read_only=True) as store:
        rows = store.query(
            "SELECT a.payload->>'$.origin', m.decision_id IS NOT NULL FROM audit_log a "
            "LEFT JOIN monitor_decisions m ON m.decision_id = a.payload->>'$.decision_id' "
            "WHERE a.action = 'decision' ORDER BY a.seq"
        )
    assert rows == [("monitor", True), (None, False)]
    assert main(["--db", str(stale.db), "audit", "verify"]) == 0


@pytest.mark.parametrize("tamper", ["delete", "insert"])
def test_audit_verify_sees_monitor_decisions_changed_outside_govern(
    stale: Env, capsys: pytest.CaptureFixture[str], tamper: str
) -> None:
    """Deleting a monitor_decisions row would turn a monitor run into a review (and hide the
    flag); inserting one would hide a real review. Both break the audit state binding."""
    assert main(["--db", str(stale.db), "monitor", REF]) == 0
    assert main(["--db", str(stale.db), "check", "--model", REF]) in (0, 1)
    assert main(["--db", str(stale.db), "audit", "verify"]) == 0
    with Store.open(stale.db) as store, store.transaction() as conn:
        if tamper == "delete":
            conn.execute("DELETE FROM monitor_decisions")
        else:
            conn.execute(
                "INSERT INTO monitor_decisions SELECT decision_id FROM decisions "
                "WHERE decision_id NOT IN (SELECT decision_id FROM monitor_decisions)"
            )
    capsys.readouterr()
    assert main(["--db", str(stale.db), "audit", "verify"]) != 0
    out = capsys.readouterr()
    assert "monitor_decisions" in out.out + out.err
