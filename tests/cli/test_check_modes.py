"""`govern check` with and without a database, through govern.cli.main."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from govern.cli import main

from ..conftest import CARDS, POLICIES, register_samples


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "models").mkdir()
    shutil.copy(CARDS / "credit-risk.yaml", tmp_path / "models" / "credit-risk.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GOVERN_DB", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    return tmp_path


def _json(capsys: pytest.CaptureFixture[str]) -> dict:
    return json.loads(capsys.readouterr().out)


def test_database_mode_reads_registry_state_and_records(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(repo / "g.duckdb")
    assert main(["--db", db, "init"]) == 0
    register_samples(db, "models/credit-risk.yaml")
    capsys.readouterr()
    base = ["--db", db, "check", "--policies", str(POLICIES), "-f", "json"]
    # default stage: the card's declared stage (deployment), which it passes
    assert main(base) == 0
    assert _json(capsys)["decisions"][0]["stage"] == "deployment"
    # the next stage needs drift evidence that the database does not hold: the library's
    # three no-evidence controls (recent monitoring, drift, zombie) all deny
    assert main([*base, "--stage", "next"]) == 1
    doc = _json(capsys)
    assert doc["decisions"][0]["stage"] == "production"
    assert [v["control"] for v in doc["violations"]] == [
        "INV-ZMB-02",
        "MON-CSI-01",
        "MON-PSI-01",
        "MRM-MON-02",
    ]
    con = duckdb.connect(db, read_only=True)
    assert con.execute("SELECT stage, result FROM decisions ORDER BY decided_at").fetchall() == [
        ("deployment", "allow"),
        ("production", "deny"),
    ]


def test_no_database_mode_creates_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # denied at the card's own stage (its claimed committee approval does not count without
    # a registry) and on a move back (GATE-ORDER) alike
    assert main(["check", "--policies", str(POLICIES)]) == 1
    assert "MRM-GOV-01" in capsys.readouterr().out
    assert main(["check", "--policies", str(POLICIES), "--stage", "validation"]) == 1
    assert "GATE-ORDER" in capsys.readouterr().out
    assert sorted(p.name for p in repo.iterdir()) == ["models"]


def test_database_mode_denies_an_unregistered_card(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With a database the registry is the inventory: a card it lacks is MRM-INV-01, even
    when the card claims a registration of its own."""
    card = repo / "models" / "credit-risk.yaml"
    card.write_text(card.read_text() + 'registered_at: "2026-07-01T00:00:00Z"\n')
    db = str(repo / "g.duckdb")
    assert main(["--db", db, "init"]) == 0
    capsys.readouterr()
    assert main(["--db", db, "check", "--policies", str(POLICIES), "-f", "json"]) == 1
    assert [v["control"] for v in _json(capsys)["violations"]] == ["MRM-GOV-01", "MRM-INV-01"]


def test_evidence_with_a_database_is_a_usage_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "e.json").write_text("{}")
    assert main(["--db", "x.duckdb", "check", "--evidence", "e.json"]) == 2
    assert "--evidence is for checks without a database" in capsys.readouterr().err


def test_no_cards_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GOVERN_DB", raising=False)
    assert main(["check"]) == 2
    assert capsys.readouterr().err.startswith("error: no model cards found:")


def test_fail_on_warn_and_no_fail_exclude_each_other(repo: Path, capsys) -> None:
    assert main(["check", "--fail-on-warn", "--no-fail"]) == 2
    assert "exclude each other" in capsys.readouterr().err
