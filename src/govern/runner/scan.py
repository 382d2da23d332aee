"""`govern scan`: drift of inference data against the stored reference profile.

One pass over the data feeds the drift accumulator and any extra accumulators (fairness,
performance, operational) with the union of their columns. Files counted before under the
same configuration (every accumulator's settings, the card's monitoring mapping, the window)
with the same path, size, mtime and parquet footer fingerprint (runner/_identity.py) are not
read again: the stored partial states of all the accumulators are merged instead, so an
incremental scan equals a full one. A file that changes while it is read fails the scan
(exit 2) and nothing is stored. Freshness is
measured against the scan's start time, one instant per scan. Evidence and the new partial
states are written in one transaction, after every file was read, so a bad file leaves
nothing behind.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from govern.clock import rfc3339, utcnow
from govern.errors import ModelCardError, UserInputError
from govern.lifecycle import ModelRef
from govern.metrics._accumulator import Accumulator
from govern.metrics._drift import DriftAccumulator
from govern.metrics._factory import accumulators_from_card, check_schema
from govern.metrics._monitoring import MonitoringConfig, parse_monitoring
from govern.metrics._profile import CategoricalProfile, ProfileSet, StaleProfileError
from govern.results import MetricRow, ScanResult, SourceFile
from govern.runner._engine import DEFAULT_THREADS, ProgressSink, scan_files
from govern.runner._identity import identify
from govern.runner._parquet import Window, discover
from govern.runner.baseline import build_profiles
from govern.store import Store, registry
from govern.store import evidence as evidence_store
from govern.store import profiles as profile_store

NO_BASELINE = (
    "no reference profile for {model}; run `govern baseline {model} --data TRAINING.parquet` "
    "first, or pass --baseline PARQUET"
)


@dataclass(frozen=True)
class ScanStats:
    """How a scan got its counts (for the CLI summary and the benchmarks)."""

    files_read: int
    files_reused: int
    row_groups: int


# Layout of a stored partial: {"states": [one per accumulator, in order]}. Bumped whenever
# what a state holds for the same rows changes (3: sketch buckets and performance sums from
# the native kernels; 4: the AUC histogram packed), so older partials are read again.
STATE_FORMAT = 4


def _config_hash(
    accumulators: Sequence[Accumulator], monitoring: dict[str, Any], window: Window | None
) -> str:
    """Key of the stored partial states: everything that decides what a file's state holds.

    Every accumulator's type and configuration (drift: profile digest and column mapping),
    the card's whole monitoring mapping (a card change invalidates the extras' partials) and
    the time window. Not the scan time: no stored state depends on it.
    """
    doc = {
        "format": STATE_FORMAT,
        "accumulators": [
            [f"{type(a).__module__}.{type(a).__qualname__}", a.config] for a in accumulators
        ],
        "monitoring": monitoring,
        "window": None
        if window is None
        else [window.column, str(window.since or ""), str(window.until or "")],
    }
    text = json.dumps(doc, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def dictionary_columns(drift: DriftAccumulator, cfg: MonitoringConfig | None) -> list[str]:
    """Columns to read as parquet dictionaries: codes plus distinct values, not a string a row.

    Drift's categorical columns, and (with the card's monitoring config) the protected
    attributes and the error code. The engine keeps, file by file, the ones the file stores
    as strings (read_dictionary does nothing for other types).
    """
    out = [
        drift.physical(p.name)
        for p in drift.profiles.columns
        if isinstance(p, CategoricalProfile) and p.dtype != "bool"
    ]
    if cfg is not None:
        grouped = [c for attr in cfg.protected for c in attr]
        grouped.extend([cfg.error_code] if cfg.error_code else [])
        out.extend(c for c in grouped if c not in out)
    return out


def _column_map(raw: object) -> dict[str, str]:
    """monitoring.columns: reference column name -> column name in the inference logs."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in raw.items()
    ):
        raise ModelCardError(
            "monitoring.columns must map reference column names to inference column names "
            f"(strings), e.g. {{income: income_v2}}; got {raw!r}"
        )
    return dict(raw)


def load_profiles(
    store: Store, name: str, version: str, baseline: str | Path | None, card: dict[str, Any]
) -> tuple[ProfileSet, dict[str, Any]]:
    """The stored profile of the version, or one built on the fly from `baseline`."""
    if baseline is not None:
        profiles, rows = build_profiles([baseline], card)
        return profiles, {"baseline": str(Path(baseline).resolve()), "profile_rows": rows}
    stored = profile_store.latest_profile(store, name, version)
    if stored is None:
        raise UserInputError(NO_BASELINE.format(model=f"{name}@{version}"))
    meta = {"profile_id": stored["profile_id"], "profile_rows": stored["rows"]}
    try:
        return ProfileSet.from_dict(stored["profile"]), meta
    except StaleProfileError as exc:
        raise UserInputError(f"{name}@{version}: {exc}") from exc


def scan(
    store: Store,
    ref: ModelRef,
    *,
    data: Sequence[str | Path],
    baseline: str | Path | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    threads: int = DEFAULT_THREADS,
    extra: Sequence[Accumulator] | None = None,
    progress: ProgressSink | None = None,
    incremental: bool = True,
) -> ScanResult:
    """Scan `data` for the model version, store the evidence, return what was stored."""
    if not data:
        raise UserInputError("no data files given; pass --data PARQUET (one or more)")
    if threads < 1:
        raise UserInputError(f"threads must be at least 1, got {threads}")
    name, version = registry.resolve(store, ref)
    card = registry.get_version(store, name, version)["card"]
    monitoring = card.get("monitoring") or {}
    profiles, meta = load_profiles(store, name, version, baseline, card)
    column_map = _column_map(monitoring.get("columns"))
    window = None
    if since is not None or until is not None:
        ts = monitoring.get("timestamp")
        if not ts:
            raise UserInputError(
                "--since/--until need the model card's monitoring.timestamp column"
            )
        window = Window(str(ts), since, until)
    files = discover(data)
    started = utcnow()  # the scan's one reference time (freshness is measured against it)
    schema_check = None
    cfg: MonitoringConfig | None = None
    if extra is None:  # fairness / performance / operational, as the card's monitoring names
        extra = accumulators_from_card(card, now=started)
        cfg = parse_monitoring(card)
        if extra:

            def schema_check(schema: pa.Schema, path: Path) -> None:
                check_schema(card, schema, path)

    drift = DriftAccumulator(profiles, column_map)
    accumulators: list[Accumulator] = [drift, *extra]
    expected = {drift.physical(p.name): p.dtype for p in profiles.columns}
    dictionary = dictionary_columns(drift, cfg)
    config = _config_hash(accumulators, monitoring, window)
    # Identity first (regular file, size, times, footer fingerprint): the cache key, and
    # what the engine checks again after reading.
    identities = {f: identify(f) for f in files}
    reusable: dict[tuple[str, int, float, str], dict[str, Any]] = {}
    if incremental:
        reusable = profile_store.get_partials(store, config, [i.key for i in identities.values()])
    to_read = [f for f in files if identities[f].key not in reusable]

    scanned_at = rfc3339(started)
    results = scan_files(
        to_read,
        accumulators,
        expected=expected,
        dictionary=dictionary,
        window=window,
        threads=threads,
        progress=progress,
        check_schema=schema_check,
        identities=[identities[f] for f in to_read],
    )
    by_path = {r.path: r for r in results}
    totals: list[Any] = [a.empty() for a in accumulators]
    sources: list[SourceFile] = []
    new_partials: list[tuple[str, int, float, str, int, dict[str, Any]]] = []
    for f in files:
        ident = identities[f]
        if ident.key in reusable:
            docs = reusable[ident.key]["state"]["states"]
            parts = [a.load_state(d) for a, d in zip(accumulators, docs, strict=True)]
            rows = int(reusable[ident.key]["rows"])
        else:
            r = by_path[f]
            parts, rows = r.states, r.rows
            new_partials.append((*ident.key, rows, {"states": [p.to_state() for p in parts]}))
        # Merged in the files' order, whether read or reused: the same merge tree either way.
        totals = [t.merge(p) for t, p in zip(totals, parts, strict=True)]
        sources.append(SourceFile(ident.path, ident.size, ident.mtime, rows, ident.fingerprint))
    total: DriftAccumulator = totals[0]
    extras = totals[1:]

    metrics: list[MetricRow] = total.finalize()
    for e in extras:
        metrics.extend(e.finalize())
    result = ScanResult(
        scan_id=str(uuid.uuid4()),
        model=name,
        version=version,
        rows=total.rows,
        sources=tuple(sources),
        metrics=tuple(metrics),
        scanned_at=scanned_at,
    )
    params = {
        **meta,
        "profile_digest": profiles.digest,
        "columns": [p.name for p in profiles.columns],
        "output": profiles.output,
        "column_map": column_map,
        "min_rows": profiles.min_rows,
        "window": None
        if window is None
        else {"column": window.column, "since": since, "until": until},
        "files_read": len(to_read),
        "files_reused": len(files) - len(to_read),
        "threads": threads,
    }

    def store_partials(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, dict[str, Any]]]:
        if incremental:
            return profile_store.write_partials(conn, config, new_partials)
        return []

    evidence_store.write_scan(store, result, kind="drift", params=params, also=store_partials)
    return result
