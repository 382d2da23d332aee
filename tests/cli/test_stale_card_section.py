"""Evidence measured under another `monitoring` section of the card is stale.

A card edited after its latest scan (another favourable outcome, label, feature list,
threshold) must not pass a gate on figures measured for the old mapping: the scan stores a
digest of the section it measured with, and the policies compare it with the card being
decided. Real DuckDB file, real Rego, real kernel; the sample loan-approval card monitors
drift, fairness and performance.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from govern.cli import main
from govern.runner.demo import write_sample_data

from ..conftest import CARDS, POLICIES, register_samples

MODEL = "loan-approval@2"
STALE = "the card's monitoring section as it was before a change"


def _run(db: Path, *args: str) -> int:
    return main(["--db", str(db), "-q", *args])


def _decision(db: Path, capsys: pytest.CaptureFixture[str], *how: str) -> tuple[int, list[str]]:
    capsys.readouterr()
    rc = _run(db, "check", *how, "--stage", "production", "--policies", str(POLICIES), "-f", "json")
    (doc,) = json.loads(capsys.readouterr().out)["decisions"]
    return rc, [f"{v['control']}: {v['msg']}" for v in doc["violations"] if v["kind"] == "deny"]


@pytest.fixture
def scanned(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Path]:
    db = tmp_path / "g.duckdb"
    baseline, current = write_sample_data(tmp_path / "data")["loan-approval"]
    card = tmp_path / "loan-approval.yaml"
    shutil.copy(CARDS / "loan-approval.yaml", card)
    assert _run(db, "init") == 0
    register_samples(db, str(card))
    assert _run(db, "baseline", MODEL, "--data", str(baseline)) == 0
    assert _run(db, "scan", MODEL, "--data", str(current)) == 0
    capsys.readouterr()
    return {"db": db, "card": card, "current": current}


def _edit(card: Path, old: str, new: str) -> None:
    text = card.read_text()
    assert old in text
    card.write_text(text.replace(old, new))


def test_a_measured_key_edited_after_the_scan_makes_every_family_stale(
    scanned: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    db, card = scanned["db"], scanned["card"]
    rc, msgs = _decision(db, capsys, "--model", MODEL)
    assert not [m for m in msgs if STALE in m], msgs

    _edit(card, "favourable_outcome: 0", "favourable_outcome: 1")  # reverses the 4/5 rule
    # the edited card checked from its file (a pull request) and once registered
    rc, from_file = _decision(db, capsys, str(card), "--db", str(db))
    assert _run(db, "register", str(card)) == 0
    rc_registered, registered = _decision(db, capsys, "--model", MODEL)
    for code, found in ((rc, from_file), (rc_registered, registered)):
        stale = sorted(m.split(":", 1)[0] for m in found if STALE in m)
        assert code == 1 and stale == ["FAIR-AIR-01", "MON-CSI-01", "MON-PERF-01"], found

    # scanning again with the current card measures under it: current again
    assert _run(db, "scan", MODEL, "--data", str(scanned["current"])) == 0
    rc, msgs = _decision(db, capsys, "--model", MODEL)
    assert not [m for m in msgs if STALE in m], msgs


def test_policy_only_keys_leave_the_evidence_current(
    scanned: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Limits, frequency and escalation change no figure: no re-scan needed."""
    db, card = scanned["db"], scanned["card"]
    before = _decision(db, capsys, "--model", MODEL)
    _edit(card, "frequency_days: 30", "frequency_days: 14")
    _edit(card, "psi_warn: 0.10", "psi_warn: 0.12")
    assert _run(db, "register", str(card)) == 0
    rc, msgs = _decision(db, capsys, "--model", MODEL)
    assert not [m for m in msgs if STALE in m], msgs
    assert rc == before[0]
