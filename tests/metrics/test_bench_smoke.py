"""Tiny-size smoke run of benchmarks/bench_fairness.py: the three methods agree."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_fairness.py"


def test_bench_methods_agree(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("bench_fairness", BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    path = tmp_path / "small.parquet"
    bench.generate(path, 30_000)
    got = {m: bench.run(m, path) for m in ("govern", "fairlearn", "polars", "drift+fair")}
    ref = got["fairlearn"]
    for m in ("govern", "polars", "drift+fair"):
        for key in ("dpd", "eod", "auc"):
            assert got[m][key] == pytest.approx(ref[key], abs=1e-12), (m, key)
        for g, v in ref["selection_rate"].items():
            assert got[m]["selection_rate"][g] == pytest.approx(v, abs=1e-12)
    assert got["govern"]["p99"] == pytest.approx(ref["p99"], rel=0.005)
    assert got["drift+fair"]["drift_rows"] == 10 * 30_000
