"""End to end: the demo's CLI flow against a real DuckDB file and the compiled kernel."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from govern.cli import main
from govern.runner.demo import write_sample_data

from ..conftest import CARDS, POLICIES, register_samples


@pytest.fixture
def flow(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    db = tmp_path / "g.duckdb"
    data = write_sample_data(tmp_path / "data")
    assert main(["--db", str(db), "init"]) == 0
    cards = sorted(str(p) for p in CARDS.glob("*.yaml"))
    register_samples(db, *cards)
    for name, ver in (("credit-risk", "3"), ("fraud-detect", "7")):
        baseline, current = data[name]
        rc = main(
            [
                "--db",
                str(db),
                "scan",
                f"{name}@{ver}",
                "--baseline",
                str(baseline),
                "--data",
                str(current),
            ]
        )
        assert rc == 0
    capsys.readouterr()
    return {"db": db}


def _check(db: Path, model: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    rc = main(
        [
            "--db",
            str(db),
            "check",
            "--model",
            model,
            "--stage",
            "production",
            "--policies",
            str(POLICIES),
            "--format",
            "json",
        ]
    )
    return rc, json.loads(capsys.readouterr().out)


def test_stable_model_is_allowed(flow: dict, capsys: pytest.CaptureFixture[str]) -> None:
    rc, doc = _check(flow["db"], "credit-risk@3", capsys)
    assert rc == 0
    assert doc["result"] == "allow"
    assert [v for v in doc["violations"] if v["kind"] == "deny"] == []


def test_drifted_model_is_denied(flow: dict, capsys: pytest.CaptureFixture[str]) -> None:
    rc, doc = _check(flow["db"], "fraud-detect@7", capsys)
    assert rc == 1
    found = {(v["kind"], v["msg"].split(":")[0]) for v in doc["violations"]}
    assert found == {("deny", "feature amount"), ("warn", "feature velocity_1h")}


def test_decisions_are_recorded(flow: dict, capsys: pytest.CaptureFixture[str]) -> None:
    _check(flow["db"], "credit-risk@3", capsys)
    _check(flow["db"], "fraud-detect@7", capsys)
    con = duckdb.connect(str(flow["db"]), read_only=True)
    rows = con.execute(
        "SELECT name, result, length(bundle_hash), length(input_hash) FROM decisions ORDER BY name"
    ).fetchall()
    assert rows == [("credit-risk", "allow", 64, 64), ("fraud-detect", "deny", 64, 64)]
