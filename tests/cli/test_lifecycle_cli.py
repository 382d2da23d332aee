"""CLI acceptance: promote / retire / approve / inventory / audit verify and head."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
import pytest

from govern.cli import main

from ..conftest import CARDS, POLICIES, register_samples


@pytest.fixture
def db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "g.duckdb"
    assert main(["--db", str(path), "init"]) == 0
    register_samples(path, *(CARDS / f"{m}.yaml" for m in ("credit-risk", "fraud-detect")))
    capsys.readouterr()
    return path


def _run(db: Path, *args: str) -> int:
    return main(["--db", str(db), *args])


def test_promote_dry_run_then_denied(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pol = ["--policies", str(POLICIES)]
    assert _run(db, "promote", "credit-risk@3", "--to", "production", "--dry-run", *pol) == 1
    out = capsys.readouterr().out
    assert "DENIED" in out and "dry run: nothing recorded" in out
    rc = _run(db, "promote", "credit-risk@3", "--to", "production", *pol, "--format", "json")
    doc = json.loads(capsys.readouterr().out)
    assert rc == 1 and doc["applied"] is False and doc["decision"]["result"] == "deny"
    assert _run(db, "promote", "credit-risk@3", "--to", "validation", *pol) == 2
    assert "only moves forward" in capsys.readouterr().err


def test_approve_retire_and_inventory(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pol = ["--policies", str(POLICIES)]
    assert (
        _run(
            db,
            "approve",
            "fraud-detect@7",
            "--stage",
            "production",
            "--role",
            "validator",
            "--by",
            "val",
        )
        == 0
    )
    assert "recorded approval of fraud-detect@7" in capsys.readouterr().out
    # The retirement record needs an archive (MRM-RET-01): denied until the card has one.
    assert _run(db, "retire", "fraud-detect@7", "--reason", "replaced", *pol) == 1
    assert "retirement.archive_uri" in capsys.readouterr().out
    card = tmp_path / "fraud-detect.yaml"
    card.write_text(
        (CARDS / "fraud-detect.yaml").read_text()
        + "retirement:\n  archive_uri: s3://archive/fraud-detect/7/\n"
        + "  successor_model_id: fraud-detect@8\n"
    )
    assert _run(db, "register", str(card)) == 0
    assert _run(db, "retire", "fraud-detect@7", "--reason", "replaced", *pol) == 0
    assert "moved to retired" in capsys.readouterr().out

    assert _run(db, "inventory", "--format", "json") == 0
    rows = json.loads(capsys.readouterr().out)
    by_name = {r["name"]: r for r in rows}
    assert by_name["fraud-detect"]["stage"] == "retired"
    assert by_name["credit-risk"]["reasons"] == ["in deployment but never scanned"]
    assert by_name["credit-risk"]["zombie"] is True

    assert _run(db, "inventory", "--format", "csv") == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["name"] for r in table] == ["credit-risk", "fraud-detect"]
    assert table[0]["zombie"] == "true" and table[1]["zombie"] == "false"

    assert _run(db, "inventory") == 0
    assert "never scanned" in capsys.readouterr().out


def test_audit_head_and_verify_with_anchor(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    anchor = tmp_path / "head.json"
    assert _run(db, "audit", "head", "-o", str(anchor)) == 0
    head = json.loads(anchor.read_text())
    # migrate, two registrations, two approvals (tests/conftest.py register_samples)
    assert head["seq"] == 5 and len(head["hash"]) == 64
    assert _run(db, "audit", "verify", "--anchor", str(anchor)) == 0
    out = capsys.readouterr().out
    assert out.startswith("audit log intact: 5 rows, matches the anchor at seq 5")
    assert f"head: seq 5 hash {head['hash']}" in out

    con = duckdb.connect(str(db))
    con.execute("DELETE FROM audit_log WHERE seq = 5")
    con.close()
    # the cut record bound rows that are still there: caught even without an anchor
    assert _run(db, "audit", "verify") == 1
    assert "has no audit record (inserted outside govern?)" in capsys.readouterr().out
    assert _run(db, "audit", "verify", "--anchor", str(anchor)) == 1
    out = capsys.readouterr().out
    assert "audit log BROKEN at seq 5: log is shorter than the anchor" in out


def test_verify_bad_anchor_is_usage_error(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "h.json"
    bad.write_text("nope")
    assert _run(db, "audit", "verify", "--anchor", str(bad)) == 2
    assert f"{bad}: not an audit head file" in capsys.readouterr().err
    assert _run(db, "audit", "verify", "--anchor", str(tmp_path / "missing.json")) == 2


def test_register_warns_on_unknown_field(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    card = tmp_path / "c.yaml"
    card.write_text("name: x\nversion: 1\nowner: o\nrisk_tier: 1\nuse_case: u\ncolour: red\n")
    assert _run(db, "register", str(card)) == 0
    assert f"warning: {card}:6: field 'colour': unknown field" in capsys.readouterr().err


def test_db_opens_read_only_in_plain_duckdb(db: Path) -> None:
    con = duckdb.connect(str(db), read_only=True)
    for view in ("v_model_status", "v_latest_evidence", "v_decisions", "v_zombies"):
        con.execute(f"SELECT * FROM {view}").fetchall()
    con.close()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "credit@risk", "model name 'credit@risk' is not valid"),
        ("name", "Credit-Risk", "did you mean 'credit-risk'?"),
        ("name", "credit-risk\u200b", "did you mean 'credit-risk'?"),
        ("version", "3@4", "version '3@4' is not valid"),
    ],
)
def test_register_refuses_identities_that_cannot_be_told_apart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], field: str, value: str, message: str
) -> None:
    db = tmp_path / "g.duckdb"
    card = tmp_path / "m.yaml"
    text = (CARDS / "credit-risk.yaml").read_text(encoding="utf-8")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith(f"{field}:"))
    lines = text.splitlines()
    lines[line - 1] = f"{field}: {json.dumps(value)}"
    card.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["--db", str(db), "register", str(card)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {card}:{line}: field '{field}': ") and message in err
    assert not db.exists()  # cards are validated before the database is created
