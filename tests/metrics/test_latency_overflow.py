"""Latencies above the sketch's range: a quantile that falls among them is invalid, not 1e12.

Checked against numpy's "lower" quantile on the same values: where the rank lands below
the overflowed values the sketch answers within its relative accuracy, elsewhere the row
is invalid and the operational section (what policies read) is not "ok".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from govern.metrics import OperationalAccumulator
from govern.metrics._sketch import MAX_INDEXABLE
from govern.runner.evidence_fairness import operational_section
from tests.metrics._data import make_log, rows_by, scan_parts, write

QUANTILES = {"latency_p50": 0.5, "latency_p95": 0.95, "latency_p99": 0.99}


@pytest.mark.parametrize("huge", [1e308, 1e13, np.finfo(np.float64).max])
@pytest.mark.parametrize("share", [0.0, 0.00002, 0.02, 0.2, 0.7])
def test_overflowed_quantiles_are_invalid(tmp_path: Path, share: float, huge: float) -> None:
    t = make_log(50_000)
    lat = t["latency_ms"].to_numpy().copy()
    n_huge = int(round(share * len(lat)))
    lat[np.random.default_rng(3).permutation(len(lat))[:n_huge]] = huge
    t = t.set_column(t.schema.get_field_index("latency_ms"), "latency_ms", pa.array(lat))
    path = write(t, tmp_path / "ops.parquet", row_group_size=7000)
    rows = rows_by(scan_parts(path, OperationalAccumulator(latency="latency_ms")).finalize())
    for metric, q in QUANTILES.items():
        r = rows[("latency_ms", metric)]
        exact = float(np.quantile(lat, q, method="lower"))
        if exact > MAX_INDEXABLE:
            assert r.status == "invalid" and r.value is None, (metric, r)
            assert r.reason is not None and "(overflow)" in r.reason
        else:
            assert r.status == "ok" and abs(r.value - exact) <= 0.005 * exact * (1 + 1e-9)
    section = operational_section(list(rows.values()))
    assert section is not None
    overflowed = float(np.quantile(lat, 0.99, method="lower")) > MAX_INDEXABLE
    assert (section["status"] == "invalid") is overflowed
    assert (section["latency_p99"] is None) is overflowed
