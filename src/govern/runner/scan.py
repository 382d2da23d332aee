"""`govern scan`: numeric drift of inference data against a reference parquet file.

Per numeric feature: PSI over reference-decile bins, missing-value rate (null and NaN),
±inf counts, and the out-of-range rate. The whole scan is written in one transaction.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from govern._native import HistCounts, hist_f64
from govern.clock import rfc3339, utcnow
from govern.errors import MetricInputError, UserInputError
from govern.lifecycle import ModelRef
from govern.metrics import NumericProfile, decile_counts, fine_edges_from_values, out_of_range, psi
from govern.results import MetricRow, ScanResult, SourceFile
from govern.runner._parquet import check_columns, iter_row_groups, open_parquet
from govern.store import Store, registry
from govern.store import evidence as evidence_store

DEFAULT_MIN_ROWS = 100


def _feature_names(card: dict[str, Any], baseline_schema: pa.Schema) -> list[str]:
    monitoring = card.get("monitoring") or {}
    names = monitoring.get("features")
    if names:
        return [str(n) for n in names]
    return [f.name for f in baseline_schema if f.type == pa.float64()]


def build_profiles(baseline: Path, features: Sequence[str]) -> list[NumericProfile]:
    """Reference profiles of float64 features from a baseline parquet file."""
    pf = open_parquet(baseline)
    check_columns(pf, baseline, {f: pa.float64() for f in features})
    columns: dict[str, list[pa.Array]] = {f: [] for f in features}
    for table in iter_row_groups(pf, baseline, features):
        for f in features:
            columns[f].extend(table.column(f).chunks)
    profiles = []
    for f in features:
        arr = pa.chunked_array(columns[f], type=pa.float64())
        finite = arr.filter(pc.is_finite(arr)).to_numpy() if len(arr) else np.empty(0)
        edges = fine_edges_from_values(np.asarray(finite, dtype=np.float64))
        ref = hist_f64(arr, edges)
        profiles.append(NumericProfile(f, edges, ref))
    return profiles


def drift_rows(profile: NumericProfile, current: HistCounts, *, min_rows: int) -> list[MetricRow]:
    """Evidence rows of one feature: PSI, missing rate, out-of-range rate, inf rate."""
    name = profile.name
    rows = current.rows
    detail: dict[str, Any] = {
        "rows": rows,
        "valid": current.valid,
        "nulls": current.nulls,
        "nans": current.nans,
        "posinf": current.posinf,
        "neginf": current.neginf,
    }

    def row(
        metric: str, value: float | None, status: str = "ok", reason: str | None = None
    ) -> MetricRow:
        return MetricRow("drift", name, metric, value, status, reason, detail)

    if rows == 0:
        reason = "no rows in the current data"
        return [
            row(m, None, "insufficient_data", reason)
            for m in ("psi", "missing_rate", "out_of_range_rate", "inf_rate")
        ]
    out = [
        row("missing_rate", (current.nulls + current.nans) / rows),
        row("inf_rate", (current.posinf + current.neginf) / rows),
    ]
    if not profile.usable or profile.reference.valid == 0:
        reason = "the reference has no finite values for this feature"
        out += [
            row("psi", None, "invalid", reason),
            row("out_of_range_rate", None, "invalid", reason),
        ]
    elif current.valid == 0:
        reason = "no finite, non-null values in the current data"
        out += [
            row("psi", None, "insufficient_data", reason),
            row("out_of_range_rate", None, "insufficient_data", reason),
        ]
    elif current.valid < min_rows:
        reason = f"{current.valid} finite values, fewer than the minimum of {min_rows}"
        out += [
            row("psi", None, "insufficient_data", reason),
            row("out_of_range_rate", None, "insufficient_data", reason),
        ]
    else:
        value = psi(decile_counts(profile.reference.counts), decile_counts(current.counts))
        out += [
            row("psi", value),
            row("out_of_range_rate", out_of_range(current.counts) / current.valid),
        ]
    return out


def scan(
    store: Store,
    ref: ModelRef,
    *,
    baseline: str | Path,
    data: Sequence[str | Path],
) -> ScanResult:
    """Scan `data` against `baseline` for the model version and store the evidence."""
    if not data:
        raise UserInputError("no data files given; pass --data PARQUET (one or more)")
    name, version = registry.resolve(store, ref)
    card = registry.get_version(store, name, version)["card"]
    monitoring = card.get("monitoring") or {}
    min_rows = int(monitoring.get("min_rows", DEFAULT_MIN_ROWS))
    baseline_path = Path(baseline)
    schema = open_parquet(baseline_path).schema_arrow
    features = _feature_names(card, schema)
    if not features:
        raise MetricInputError("no float64 feature columns to scan", path=baseline_path)
    profiles = build_profiles(baseline_path, features)

    # Check every file's schema before computing anything.
    files = [(Path(p), open_parquet(p)) for p in data]
    expected = {f: pa.float64() for f in features}
    for path, pf in files:
        check_columns(pf, path, expected)

    scanned_at = rfc3339(utcnow())
    current = {
        p.name: HistCounts(np.zeros(p.fine_edges.size + 1, dtype=np.int64)) for p in profiles
    }
    sources = []
    total_rows = 0
    for path, pf in files:
        file_rows = 0
        for table in iter_row_groups(pf, path, features):
            file_rows += table.num_rows
            for p in profiles:
                hist_f64(table.column(p.name), p.fine_edges, into=current[p.name])
        stat = os.stat(path)
        sources.append(SourceFile(str(path.resolve()), stat.st_size, stat.st_mtime, file_rows))
        total_rows += file_rows

    metrics: list[MetricRow] = []
    for p in profiles:
        counts = current[p.name]
        if counts.rows != total_rows:  # invariant: valid + null + NaN + inf == rows read
            raise AssertionError(f"row accounting broken for {p.name}")
        metrics.extend(drift_rows(p, counts, min_rows=min_rows))

    result = ScanResult(
        scan_id=str(uuid.uuid4()),
        model=name,
        version=version,
        rows=total_rows,
        sources=tuple(sources),
        metrics=tuple(metrics),
        scanned_at=scanned_at,
    )
    evidence_store.write_scan(
        store,
        result,
        kind="drift",
        params={
            "baseline": str(baseline_path.resolve()),
            "features": features,
            "min_rows": min_rows,
            "profiles": [p.to_dict() for p in profiles],
        },
    )
    return result
