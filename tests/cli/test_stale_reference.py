"""Drift evidence measured against a reference the version no longer has is stale.

A version re-baselined after its latest scan must not pass a gate on that scan: its PSI
figures compare the logs with the old reference. Real DuckDB file, real Rego, real kernel.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from govern.cli import main
from govern.runner.demo import write_sample_data

from ..conftest import CARDS, POLICIES, register_samples

MODEL = "credit-risk@3"
STALE = "drift: the latest scan measured against reference profile"


def _run(db: Path, *args: str) -> int:
    return main(["--db", str(db), "-q", *args])


def _shifted(src: Path, dst: Path) -> Path:
    """The same reference with every float column tripled (a very different reference)."""
    table = pq.read_table(src)
    columns = {
        f.name: pc.multiply(table[f.name], 3) if pa.types.is_floating(f.type) else table[f.name]
        for f in table.schema
    }
    pq.write_table(pa.table(columns), dst)
    return dst


def _denials(db: Path, capsys: pytest.CaptureFixture[str], *how: str) -> tuple[int, list[str]]:
    capsys.readouterr()
    rc = _run(db, "check", *how, "--policies", str(POLICIES), "--format", "json")
    doc = json.loads(capsys.readouterr().out)
    docs = doc["decisions"]  # `check --model` and `check --all` print the same report
    msgs = [
        v["msg"]
        for d in docs
        if f"{d['model']}@{d['version']}" == MODEL
        for v in d["violations"]
        if v["kind"] == "deny"
    ]
    return rc, msgs


@pytest.fixture
def scanned(tmp_path: Path) -> dict[str, Path]:
    """credit-risk@3 baselined on its reference and scanned on logs that match it."""
    db = tmp_path / "g.duckdb"
    baseline, current = write_sample_data(tmp_path / "data")["credit-risk"]
    assert _run(db, "init") == 0
    register_samples(db, str(CARDS / "credit-risk.yaml"))
    assert _run(db, "baseline", MODEL, "--data", str(baseline)) == 0
    assert _run(db, "scan", MODEL, "--data", str(current)) == 0
    return {"db": db, "baseline": baseline, "current": current, "tmp": tmp_path}


@pytest.mark.parametrize("how", [("--model", MODEL, "--stage", "production"), ("--all",)])
def test_rebaselined_version_is_denied_until_scanned_again(
    scanned: dict[str, Path], capsys: pytest.CaptureFixture[str], how: tuple[str, ...]
) -> None:
    db = scanned["db"]
    rc, msgs = _denials(db, capsys, *how)
    assert (rc, msgs) == (0, []), msgs  # measured against the reference it has: allowed

    shifted = _shifted(scanned["baseline"], scanned["tmp"] / "shifted.parquet")
    assert _run(db, "baseline", MODEL, "--data", str(shifted)) == 0
    rc, msgs = _denials(db, capsys, *how)
    assert rc == 1
    assert [m for m in msgs if m.startswith(STALE)] == msgs and len(msgs) == 1, msgs
    assert "re-baselined after the scan" in msgs[0]

    # a new scan measures against the new reference: no longer stale (and now it drifts)
    assert _run(db, "scan", MODEL, "--data", str(scanned["current"]), "--full") == 0
    rc, msgs = _denials(db, capsys, *how)
    assert rc == 1
    assert msgs and not [m for m in msgs if m.startswith(STALE)], msgs
    assert any("PSI" in m for m in msgs)


def test_rebaselining_back_to_the_scanned_reference_is_still_stale(
    scanned: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """A new profile of the same data is a new reference: the scan names the old id."""
    db = scanned["db"]
    assert _run(db, "baseline", MODEL, "--data", str(scanned["baseline"])) == 0
    rc, msgs = _denials(db, capsys, "--model", MODEL, "--stage", "production")
    assert rc == 1 and len(msgs) == 1 and msgs[0].startswith(STALE), msgs
