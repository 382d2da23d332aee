"""Inputs that used to hang, crash with exit 3 or be stored unchecked: exit 0 or 2, clearly.

A FIFO as --data, `baseline --bins 1000000`, window bounds outside a timestamp unit's
range, and a feature that is almost all +-inf (stored, then denied by the real library).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from govern.cli import main
from govern.policy import load
from govern.runner.baseline import MAX_BINS
from govern.runner.check import build_input
from govern.store import Store
from govern.store.registry import upsert_card

from ..conftest import POLICIES
from .conftest import table

CLI = "import sys; from govern.cli import main; sys.exit(main(sys.argv[1:]))"


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a child process: a regression that blocks fails on the timeout."""
    return subprocess.run(
        [sys.executable, "-c", CLI, *argv], capture_output=True, text=True, timeout=120
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
@pytest.mark.parametrize("command", ["scan", "baseline"])
def test_a_fifo_as_data_is_refused_instead_of_blocking(model: dict, command: str) -> None:
    fifo = model["tmp"] / "pipe.parquet"
    os.mkfifo(fifo)
    done = _run("--db", str(model["db"]), command, "m@1", "--data", str(fifo))
    assert done.returncode == 2, done.stderr
    assert done.stderr == f"error: {fifo}: is not a regular file (a FIFO); pass parquet files\n"


@pytest.mark.parametrize("bins", ["1000000", str(MAX_BINS + 1), "1", "0", "-3"])
def test_baseline_bins_are_bounded(
    model: dict, bins: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--db", str(model["db"]), "baseline", "m@1", "--data", str(model["ref"])]
    assert main([*argv, "--bins", bins]) == 2
    err = capsys.readouterr().err
    assert err == f"error: bins must be between 2 and {MAX_BINS}, got {bins}\n"


def test_baseline_at_the_bin_limit_works(model: dict) -> None:
    argv = ["--db", str(model["db"]), "-q", "baseline", "m@1", "--data", str(model["ref"])]
    assert main([*argv, "--bins", str(MAX_BINS)]) == 0


@pytest.mark.parametrize(
    ("binning", "message"),
    [
        ("bins: 1000000", f"bins must be between 2 and {MAX_BINS}, got 1000000"),
        ("bins: '12'", "monitoring.binning.bins must be a whole number, got '12'"),
        (
            "edges: {x: [" + ", ".join(str(i) for i in range(MAX_BINS)) + "]}",
            f"monitoring.binning.edges.x: {MAX_BINS} edges make {MAX_BINS + 1} bins; "
            f"at most {MAX_BINS} bins are allowed",
        ),
        ("edges: {x: [1, a]}", "monitoring.binning.edges.x must be a non-empty list of finite"),
        ("edges: {x: []}", "monitoring.binning.edges.x must be a non-empty list of finite"),
        ("edges: {x: [1, .nan]}", "monitoring.binning.edges.x must be a non-empty list of finite"),
    ],
    ids=["bins", "bins-string", "edges", "edges-string", "edges-empty", "edges-nan"],
)
def test_card_binning_is_bounded(
    model: dict, binning: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    card = model["tmp"] / "m.yaml"
    card.write_text(card.read_text() + f"  binning: {{{binning}}}\n")
    db = str(model["db"])
    if main(["--db", db, "-q", "register", str(card)]) == 2:  # refused when the card is read
        assert capsys.readouterr().err.startswith(f"error: {card}:")
        return
    capsys.readouterr()
    assert main(["--db", db, "baseline", "m@1", "--data", str(model["ref"])]) == 2
    assert message in capsys.readouterr().err


def _ns_logs(model: dict) -> Path:
    t = table(21)
    ns = pc.cast(t["ts"], pa.timestamp("ns"))
    p = model["tmp"] / "ns.parquet"
    pq.write_table(t.set_column(t.schema.get_field_index("ts"), "ts", ns), p)
    return p


def _rows(db: Path) -> int:
    with Store.open(db) as store:
        return int(build_input(store, "m", "1", "production")["evidence"]["drift"]["rows"])


@pytest.mark.parametrize(
    ("window", "rows"),
    [
        (["--until", "9999-01-01"], 2_000),
        (["--since", "1600-01-01"], 2_000),
        (["--since", "1600-01-01", "--until", "9999-12-31T23:59:59"], 2_000),
        (["--since", "9999-01-01"], 0),
        (["--until", "1600-01-01"], 0),
    ],
)
def test_window_bounds_outside_the_nanosecond_range(
    model: dict, window: list[str], rows: int
) -> None:
    """timestamp[ns] holds 1677-2262 only: a bound beyond keeps or drops every row."""
    db = model["db"]
    argv = ["--db", str(db), "-q", "scan", "m@1", "--data", str(_ns_logs(model))]
    assert main([*argv, *window]) == 0
    assert _rows(db) == rows


def test_a_bound_that_overflows_in_utc_is_exit_2(
    model: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--db", str(model["db"]), "scan", "m@1", "--data", str(model["logs"])]
    assert main([*argv, "--until", "9999-12-31T23:00:00-05:00"]) == 2
    err = capsys.readouterr().err
    assert err == "error: --until: '9999-12-31T23:00:00-05:00' is out of range in UTC\n"


def test_a_feature_of_infinities_is_denied_by_the_library(model: dict) -> None:
    """97% +-inf: PSI sees only the finite 3%, the data-quality control must deny."""
    t = table(31)
    x = t["x"].to_numpy(zero_copy_only=False).copy()
    rng = np.random.default_rng(5)
    x[rng.random(len(x)) < 0.97] = np.inf * rng.choice([-1.0, 1.0], size=len(x))[0]
    t = t.set_column(t.schema.get_field_index("x"), "x", pa.array(x))
    p = model["tmp"] / "inf.parquet"
    pq.write_table(t, p)
    db = model["db"]
    assert main(["--db", str(db), "-q", "scan", "m@1", "--data", str(p)]) == 0
    with Store.open(db) as store:
        doc = build_input(store, "m", "1", "production")
    feature = next(f for f in doc["evidence"]["drift"]["features"] if f["name"] == "x")
    assert feature["inf_rate"] == pytest.approx(np.mean(np.isinf(x)))
    with load(POLICIES) as prepared:
        d = prepared.decide(doc, model="m", version="1", stage="production")
    dq = [v.msg for v in d.denials if v.control == "MON-DQ-01"]
    assert dq and dq[0].startswith("feature x: unusable share"), d.denials


def _far_future_logs(model: dict) -> Path:
    """Nanoseconds written as microseconds: year ~58000, which a timestamp[us] can hold."""
    t = table(41)
    ns = pc.multiply(pc.cast(t["ts"], pa.int64()), 1000)
    wrong = pc.cast(ns, pa.timestamp("us"))
    p = model["tmp"] / "far.parquet"
    pq.write_table(t.set_column(t.schema.get_field_index("ts"), "ts", wrong), p)
    return p


@pytest.mark.parametrize("window", [[], ["--since", "2026-01-01"], ["--until", "2026-01-01"]])
def test_timestamps_beyond_year_9999_are_invalid_evidence_not_a_crash(
    model: dict, window: list[str]
) -> None:
    db = model["db"]
    argv = ["--db", str(db), "-q", "scan", "m@1", "--data", str(_far_future_logs(model))]
    assert main([*argv, *window]) == 0
    with Store.open(db) as store:
        doc = build_input(store, "m", "1", "production")["evidence"]
    if window[:1] == ["--until"]:
        assert doc["drift"]["rows"] == 0
        return
    assert doc["drift"]["rows"] == 2_000
    ops = doc["operational"]
    assert ops["status"] == "invalid" and ops["freshness_seconds"] is None
    assert "outside 1-9999" in ops["reasons"][0]


def test_a_column_map_that_is_not_a_mapping_is_exit_2(
    model: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    card = model["tmp"] / "m.yaml"
    card.write_text(card.read_text() + "  columns: [x, z]\n")
    db = str(model["db"])
    if main(["--db", db, "-q", "register", str(card)]) == 2:  # refused when the card is read
        assert capsys.readouterr().err.startswith(f"error: {card}:")
        return
    capsys.readouterr()
    assert main(["--db", db, "scan", "m@1", "--data", str(model["logs"])]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: monitoring.columns must map reference column names")


def test_operational_slos_read_what_the_scan_measures(tmp_path: Path) -> None:
    """MON-OPS-01 compares slo.p99_latency_ms and max_freshness_hours with scanned evidence."""
    from govern.cards import parse_card
    from govern.lifecycle import ModelRef
    from govern.runner.baseline import baseline
    from govern.runner.scan import scan

    from .test_scan_partials import CARD as OPS_CARD
    from .test_scan_partials import _table

    pq.write_table(_table(1, 3_000, 1), tmp_path / "t.parquet")
    card = OPS_CARD + "slo: {p99_latency_ms: 1, max_freshness_hours: 1000000}\n"
    with Store.open(tmp_path / "g.duckdb", create=True) as store:
        upsert_card(store, parse_card(card, "m.yaml"))
        baseline(store, ModelRef("m", "1"), data=[tmp_path / "t.parquet"])
        scan(store, ModelRef("m", "1"), data=[tmp_path / "t.parquet"])
        doc = build_input(store, "m", "1", "production")
    ops = doc["evidence"]["operational"]
    assert ops["latency_p99_ms"] == ops["latency_p99"]
    assert ops["freshness_hours"] == pytest.approx(ops["freshness_seconds"] / 3600)
    with load(POLICIES) as prepared:
        d = prepared.decide(doc, model="m", version="1", stage="production")
    ops_msgs = [v.msg for v in d.violations if v.control == "MON-OPS-01"]
    assert not any("not measured" in m or "no usable" in m for m in ops_msgs), ops_msgs
    assert any(m.startswith("operational latency_p99_ms:") for m in ops_msgs), ops_msgs
