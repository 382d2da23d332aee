"""A decision's data overlays are stored with it: replay needs no file outside the database."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from govern.cli import main

from ..conftest import CARDS, register_samples

GATE = """package govern.gates.production

import rego.v1

deny contains {"control": "LIM-01", "msg": "limit too low"} if data.limits.max < 5
"""


@pytest.fixture
def decided(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path, str]:
    policies = tmp_path / "policies"
    (policies / "gates").mkdir(parents=True)
    (policies / "gates" / "production.rego").write_text(GATE)
    overlay = tmp_path / "limits.yaml"
    overlay.write_text("limits:\n  max: 1  # a comment, kept byte for byte\n")
    db = tmp_path / "g.duckdb"
    assert main(["--db", str(db), "init"]) == 0
    register_samples(db, CARDS / "credit-risk.yaml")
    capsys.readouterr()
    args = ["--db", str(db), "check", "--model", "credit-risk@3", "--stage", "production"]
    args += ["--policies", str(policies), "--data", str(overlay), "--format", "json"]
    assert main(args) == 1  # denied by the overlay's limit
    doc = json.loads(capsys.readouterr().out)
    decision_id = doc["decisions"][0]["decision_id"]
    overlay.unlink()  # nothing outside the database is kept
    return db, policies, decision_id


def _replay(db: Path, policies: Path, decision_id: str, capsys: pytest.CaptureFixture[str]) -> dict:  # type: ignore[type-arg]
    rc = main(
        ["--db", str(db), "decision", "replay", decision_id, "--policies", str(policies),
         "--format", "json"]
    )  # fmt: skip
    doc = json.loads(capsys.readouterr().out)
    doc["rc"] = rc
    return doc


def test_replay_uses_the_stored_overlay(
    decided: tuple[Path, Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    db, policies, decision_id = decided
    doc = _replay(db, policies, decision_id, capsys)
    assert doc["rc"] == 0, doc
    assert (doc["same_bundle"], doc["same_input"], doc["same_outcome"]) == (True, True, True)
    assert doc["replayed"]["result"] == "deny"
    assert doc["replayed"]["overlays"][0]["path"].endswith("limits.yaml")


def test_overlay_rows_are_bound_to_the_chain(
    decided: tuple[Path, Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    db, _, _ = decided
    assert main(["--db", str(db), "audit", "verify"]) == 0
    for sql, table in (
        ("UPDATE policy_overlays SET content = 'limits: {max: 9}'", "policy_overlays"),
        ("DELETE FROM decision_overlays", "decision_overlays"),
    ):
        copy = db.with_name(f"{table}.duckdb")
        copy.write_bytes(db.read_bytes())
        con = duckdb.connect(str(copy))
        con.execute(sql)
        con.close()
        capsys.readouterr()
        assert main(["--db", str(copy), "audit", "verify"]) == 1
        assert f"table {table}" in capsys.readouterr().out
