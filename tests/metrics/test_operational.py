from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from govern.errors import MetricInputError
from govern.metrics import OperationalAccumulator
from tests.metrics._data import make_log, rows_by, scan_parts, write

NOW = datetime(2026, 6, 1, 12, 0, 0)


def _acc(**kw: object) -> OperationalAccumulator:
    opts: dict[str, object] = {
        "latency": "latency_ms",
        "error_code": "error_code",
        "timestamp": "ts",
        "ok_codes": ("",),
        "now": NOW,
    }
    opts.update(kw)
    return OperationalAccumulator(**opts)  # type: ignore[arg-type]


def test_latency_errors_throughput_freshness(tmp_path: Path) -> None:
    t = make_log(50_000)
    lat = t["latency_ms"].to_numpy().copy()
    lat[::100] = np.nan
    lat[1::100] = -1.0
    t = t.set_column(4, "latency_ms", pa.array(lat, mask=np.arange(len(lat)) % 100 == 2))
    path = write(t, tmp_path / "ops.parquet", row_group_size=6000)
    rows = rows_by(scan_parts(path, _acc(), parts=3).finalize())
    good = np.isfinite(lat) & (lat >= 0) & (np.arange(len(lat)) % 100 != 2)
    for metric, q in (("latency_p50", 0.5), ("latency_p95", 0.95), ("latency_p99", 0.99)):
        exact = float(np.quantile(lat[good], q, method="lower"))
        r = rows[("latency_ms", metric)]
        assert abs(r.value - exact) <= 0.005 * exact * (1 + 1e-9)
    assert rows[("latency_ms", "latency_p50")].detail["invalid"] == 2 * 500
    assert rows[("latency_ms", "latency_p50")].detail["nulls"] == 500
    codes = np.array(t["error_code"].to_pylist())
    assert rows[("error_code", "error_rate")].value == np.mean(codes != "")
    assert rows[("error_code=500", "error_rate")].value == np.mean(codes == "500")
    ts = t["ts"].cast(pa.int64()).to_numpy()
    hours = (ts.max() - ts.min()) / 3.6e9
    assert rows[("ts", "throughput_rows_per_hour")].value == pytest.approx(
        len(t) / hours, rel=1e-12
    )
    age = (NOW - datetime(1970, 1, 1)).total_seconds() - ts.max() / 1e6
    assert rows[("ts", "freshness_seconds")].value == pytest.approx(age, abs=1e-6)


def test_zero_rows_and_single_timestamp(tmp_path: Path) -> None:
    path = write(make_log(3).slice(0, 0), tmp_path / "e.parquet")
    rows = rows_by(scan_parts(path, _acc()).finalize())
    assert rows[("latency_ms", "latency_p99")].reason == "no finite, non-negative latency values"
    assert rows[("error_code", "error_rate")].reason == "no rows in the data"
    assert rows[("ts", "freshness_seconds")].reason == "no non-null timestamps"
    one = make_log(1)
    rows = rows_by(scan_parts(write(one, tmp_path / "one.parquet"), _acc()).finalize())
    r = rows[("ts", "throughput_rows_per_hour")]
    assert r.value is None and r.reason == "all timestamps are equal; the window has no length"


def test_wrong_timestamp_type_names_column() -> None:
    acc = _acc()
    with pytest.raises(MetricInputError) as e:
        acc.update(pa.table({"latency_ms": [1.0], "error_code": ["x"], "ts": [1]}))
    assert str(e.value) == "timestamp column 'ts' has type int64; expected an Arrow timestamp"
