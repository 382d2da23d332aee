"""The demo stores fairness and performance evidence, not only drift (issue 13, item 4)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from govern.runner.demo import run_demo


def test_demo_shows_fairness_and_performance_evidence(tmp_path: Path) -> None:
    result = run_demo(tmp_path)
    assert {d.model: d.allowed for d in result.decisions} == {
        "credit-risk": True,
        "fraud-detect": False,
        "loan-approval": True,
    }
    con = duckdb.connect(str(result.db), read_only=True)
    families = dict(
        con.execute(
            "SELECT family, count(*) FROM v_latest_evidence WHERE name = 'loan-approval' "
            "GROUP BY family"
        ).fetchall()
    )
    assert set(families) == {"drift", "fairness", "performance"}
    status = dict(
        con.execute(
            "SELECT metric, status FROM v_latest_evidence WHERE name = 'loan-approval' "
            "AND family = 'performance'"
        ).fetchall()
    )
    assert status["auc"] == "ok" and status["brier_score"] == "not_applicable"
