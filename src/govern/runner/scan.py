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

import concurrent.futures
import hashlib
import json
import uuid
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from govern.clock import rfc3339, utcnow
from govern.errors import ModelCardError, ScanPlanError, UserInputError
from govern.lifecycle import ModelRef
from govern.metrics._accumulator import Accumulator
from govern.metrics._drift import DriftAccumulator
from govern.metrics._factory import accumulators_from_card
from govern.metrics._monitoring import MonitoringConfig, measured_digest, parse_monitoring
from govern.metrics._profile import CategoricalProfile, ProfileSet, StaleProfileError
from govern.results import MetricRow, ScanResult, SourceFile
from govern.runner import _blob, _partitions
from govern.runner._blob import UnitState
from govern.runner._engine import DEFAULT_THREADS, ProgressSink, scan_files
from govern.runner._fs import is_uri, redact
from govern.runner._identity import identify
from govern.runner._inmemory import IN_MEMORY
from govern.runner._parquet import Source, Window, check_columns, discover_keys, open_parquet
from govern.runner._plan import LocalState, PlanFile, ScanPlan, WorkUnit, new_plan_id
from govern.runner._units import partitions_of, plan_accumulators, plan_window, source_of
from govern.runner.baseline import build_profiles
from govern.store import Store, registry
from govern.store import evidence as evidence_store
from govern.store import profiles as profile_store
from govern.store._engine import duckdb
from govern.store.audit import Bound

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
# the native kernels; 4: the AUC histogram packed; 5: packed narrow, dense or sparse), so
# older partials are read again.
STATE_FORMAT = 5


def _config_hash(
    accumulators: Sequence[Accumulator],
    monitoring: dict[str, Any],
    window: Window | None,
    hive: Mapping[str, str] | None = None,
) -> str:
    """Key of the stored partial states: everything that decides what a file's state holds.

    Every accumulator's type and configuration (drift: profile digest and column mapping),
    the card's whole monitoring mapping (a card change invalidates the extras' partials),
    the time window and the types of the hive partition keys read (a key typed otherwise
    by another scan is another configuration; absent without keys, so scans without them
    keep their key). Not the scan time: no stored state depends on it.
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
    if hive:
        doc["hive"] = dict(hive)
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
        where = str(baseline) if is_uri(baseline) else str(Path(baseline).resolve())
        return profiles, {"baseline": where, "profile_rows": rows}
    stored = profile_store.latest_profile(store, name, version)
    if stored is None:
        raise UserInputError(NO_BASELINE.format(model=f"{name}@{version}"))
    meta = {"profile_id": stored["profile_id"], "profile_rows": stored["rows"]}
    try:
        return ProfileSet.from_dict(stored["profile"]), meta
    except StaleProfileError as exc:
        raise UserInputError(f"{name}@{version}: {exc}") from exc


DEFAULT_SPLIT_BYTES = 256 << 20  # files larger than this become several row-group ranges


def prepare_scan(
    store: Store,
    ref: ModelRef,
    data: Sequence[str | Path],
    *,
    baseline: str | Path | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    incremental: bool = True,
    extra: Sequence[Accumulator] | None = None,
    split_bytes: int | None = DEFAULT_SPLIT_BYTES,
    partitions: Mapping[str, str] | None = None,
) -> ScanPlan:
    """Plan a scan of `data` on the driver: the only step that reads the store.

    Identifies every file (local footer fingerprint, object ETag), looks up the stored
    partial states of files counted before under the same configuration, and turns the
    others into work units; files larger than `split_bytes` (None: never) become ranges of
    whole row groups of about that size. `partitions` maps a file (as given in `data`) to
    the table's partition values the file does not hold (runner/_partitions.py; set by
    `--table`).
    """
    if not data:
        raise UserInputError("no data files given; pass --data PARQUET (one or more)")
    return _prepare(
        store,
        ref,
        data,
        baseline=baseline,
        since=since,
        until=until,
        incremental=incremental,
        extra=extra,
        split_bytes=split_bytes,
        partitions=partitions,
    )


def _prepare(
    store: Store,
    ref: ModelRef,
    data: Sequence[str | Path] | None,
    *,
    baseline: str | Path | None,
    since: datetime | None,
    until: datetime | None,
    incremental: bool,
    extra: Sequence[Accumulator] | None,
    split_bytes: int | None,
    partitions: Mapping[str, str] | None = None,
) -> ScanPlan:
    """prepare_scan; `data` None plans no files (an in-memory table is counted instead)."""
    if split_bytes is not None and split_bytes < 1:
        raise UserInputError(f"split_bytes must be positive, got {split_bytes}")
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
    found = discover_keys(data) if data is not None else []
    files = [f for f, _ in found]
    started = utcnow()  # the scan's one reference time (freshness is measured against it)
    cfg: MonitoringConfig | None = None
    if extra is None:  # fairness / performance / operational, as the card's monitoring names
        accs = accumulators_from_card(card, now=started)
        cfg = parse_monitoring(card)
    else:
        accs = list(extra)
    drift = DriftAccumulator(profiles, column_map)
    accumulators: list[Accumulator] = [drift, *accs]
    expected = {drift.physical(p.name): p.dtype for p in profiles.columns}
    hive_types = _hive_types(found, accumulators, window, expected)
    config = _config_hash(accumulators, monitoring, window, hive_types)
    # Identity first (local: regular file, size, times, footer fingerprint; object: size and
    # ETag): the cache key, and what the workers check again before and after reading.
    identities = _identify_all(files)
    reusable: dict[tuple[str, int, float, str], dict[str, Any]] = {}
    if incremental:
        stored = profile_store.get_partials(store, config, [i.key for i in identities.values()])
        reusable = _loadable(accumulators, stored)
    hive = _hive_partitions(found, hive_types)
    plan_files: list[PlanFile] = []
    units: list[WorkUnit] = []
    for f in files:
        ident = identities[f]
        reused = ident.key in reusable
        part = partitions.get(str(f)) if partitions else None
        if part is None:
            part = hive.get(f)
        plan_files.append(
            PlanFile(ident.path, ident.size, ident.mtime, ident.fingerprint, reused, part)
        )
        if not reused:
            units.extend(_units_of(f, ident.path, ident.size, ident.version, split_bytes))
    return ScanPlan(
        plan_id=new_plan_id(),
        model=name,
        version=version,
        card=card,
        profile=profiles.to_dict(),
        profile_meta=meta,
        column_map=column_map,
        scanned_at=rfc3339(started),
        config=config,
        dictionary=tuple(dictionary_columns(drift, cfg)),
        window=None
        if window is None
        else {
            "column": window.column,
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
        },
        expected=expected,
        incremental=incremental,
        files=tuple(plan_files),
        units=tuple(units),
        local=LocalState(
            reusable=reusable,
            identities={identities[f].path: identities[f] for f in files},
            profiles=profiles,
            extra=tuple(extra) if extra is not None else None,
        ),
    )


def _hive_types(
    found: Sequence[tuple[Source, dict[str, str | None]]],
    accumulators: Sequence[Accumulator],
    window: Window | None,
    expected: Mapping[str, str],
) -> dict[str, str]:
    """The hive partition keys the scan reads, and the type each is read as.

    Only keys naming a column some accumulator (or the window) reads: a scan of
    `dt=2026-11-01/` folders that does not monitor `dt` reads what it read before. A key of
    the reference profile takes the profile's type (a value that does not parse is an error
    naming the file, raised by _hive_partitions); any other key (a protected attribute, an
    error code) is typed as `govern baseline` types keys: int64 when all of its values in
    this scan are integers, else string.
    """
    wanted = {c for a in accumulators for c in a.columns}
    if window is not None:
        wanted.add(window.column)
    keyed = [{k: v for k, v in keys.items() if k in wanted} for _, keys in found]
    inferred = _partitions.infer_types(keyed)
    return {k: expected.get(k, t) for k, t in inferred.items()}


def _hive_partitions(
    found: Sequence[tuple[Source, dict[str, str | None]]], types: Mapping[str, str]
) -> dict[Source, str]:
    """Each file's hive keys among `types`, typed and encoded for the plan.

    A column the file holds itself wins (runner/_partitions.py, HiveConstants). The key of a
    stored partial is the file's path, and the keys come from that path (and the key types
    from the scan's configuration), so a file under another partition folder is another file.
    """
    out: dict[Source, str] = {}
    encoded: dict[tuple[tuple[str, str | None], ...], str] = {}  # one per distinct folder
    for f, keys in found:
        read = tuple((k, v) for k, v in keys.items() if k in types)
        if read and read not in encoded:
            where = f if not is_uri(f) else redact(str(f))
            values = _partitions.hive_values(dict(read), types, where)
            encoded[read] = _partitions.encode(values, hive=True)
        if read:
            out[f] = encoded[read]
    return out


class StoredStateWarning(UserWarning):
    """A stored partial state could not be loaded; its file is read again instead."""


def _loadable(
    accumulators: Sequence[Accumulator],
    stored: dict[tuple[str, int, float, str], dict[str, Any]],
) -> dict[tuple[str, int, float, str], dict[str, Any]]:
    """The stored partials that load and fit the accumulators, each with its loaded states.

    A damaged row (a disk fault, a hand edit, an interrupted copy of the database) must
    neither stop the scan nor be merged: it is left out with a StoredStateWarning naming
    the file, so the file is read again and its fresh partial replaces the row. Loading,
    merging into an empty state and each state's own invariant (`check_rows`) catch
    missing or mistyped fields and counts of the wrong shape.
    """
    out: dict[tuple[str, int, float, str], dict[str, Any]] = {}
    for key, entry in stored.items():
        try:
            docs = entry["state"]["states"]
            if not isinstance(docs, list) or len(docs) != len(accumulators):
                raise ValueError(f"expected {len(accumulators)} accumulator states")
            parts = [a.load_state(d) for a, d in zip(accumulators, docs, strict=True)]
            for a, part in zip(accumulators, parts, strict=True):
                merged = a.empty().merge(part)
                check = getattr(merged, "check_rows", None)
                if check is not None:
                    check()
            int(entry["rows"])
        except Exception as exc:  # noqa: BLE001 - any damage means: read the file again
            reason = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
            warnings.warn(
                f"{key[0]}: its stored partial state cannot be loaded ({reason}); "
                "the file is read again",
                StoredStateWarning,
                stacklevel=2,
            )
            continue
        out[key] = {**entry, "loaded": parts}
    return out


IDENTIFY_THREADS = 16  # concurrent HEAD requests while planning a scan of objects


def _identify_all(files: Sequence[Source]) -> dict[Source, Any]:
    """Every file's identity; objects concurrently (one HEAD each, latency-bound)."""
    if not any(is_uri(f) for f in files):
        return {f: identify(f) for f in files}
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(IDENTIFY_THREADS, thread_name_prefix="govern-head") as pool:
        return dict(zip(files, pool.map(identify, files), strict=True))


def _units_of(
    source: Source, uri: str, size: int, version: str, split_bytes: int | None
) -> list[WorkUnit]:
    """One unit for the whole file, or ranges of whole row groups of ~split_bytes each."""
    whole = [WorkUnit(uri, size, version, None, size)]
    if split_bytes is None or size <= split_bytes:
        return whole
    with open_parquet(source) as pf:
        meta = pf.metadata
        sizes = [
            sum(meta.row_group(i).column(c).total_compressed_size for c in range(meta.num_columns))
            for i in range(meta.num_row_groups)
        ]
    if len(sizes) <= 1:
        return whole
    out: list[WorkUnit] = []
    first, used = 0, 0
    for i, n in enumerate(sizes):
        if i > first and used + n > split_bytes:
            out.append(WorkUnit(uri, size, version, (first, i), used))
            first, used = i, 0
        used += n
    out.append(WorkUnit(uri, size, version, (first, len(sizes)), used))
    return out if len(out) > 1 else whole


def scan(
    store: Store,
    ref: ModelRef,
    *,
    data: Sequence[str | Path] | object,
    baseline: str | Path | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    threads: int = DEFAULT_THREADS,
    extra: Sequence[Accumulator] | None = None,
    progress: ProgressSink | None = None,
    incremental: bool = True,
) -> ScanResult:
    """Scan `data` for the model version, store the evidence, return what was stored.

    `data` is paths / globs / directories / object URIs, or an in-memory table (pyarrow
    Table, polars DataFrame or LazyFrame, pandas DataFrame; runner/_inmemory.py). The same
    three steps as a distributed scan: prepare, count the units here on `threads` threads,
    finish.
    """
    if threads < 1:
        raise UserInputError(f"threads must be at least 1, got {threads}")
    from govern.runner import _inmemory

    if _inmemory.is_table(data):
        return _inmemory.scan_table(
            store, ref, data, baseline=baseline, since=since, until=until, extra=extra
        )
    plan = prepare_scan(
        store,
        ref,
        data,  # type: ignore[arg-type]  # not a table: a sequence of sources
        baseline=baseline,
        since=since,
        until=until,
        incremental=incremental,
        extra=extra,
        split_bytes=None,
    )
    assert plan.local is not None
    accumulators, schema_check = plan_accumulators(plan)
    results = scan_files(
        [source_of(u.uri) for u in plan.units],
        accumulators,
        expected=plan.expected,
        dictionary=plan.dictionary,
        window=plan_window(plan),
        threads=threads,
        progress=progress,
        check_schema=schema_check,
        identities=[plan.local.identities[u.uri] for u in plan.units],
        constants=partitions_of(plan, plan.units),
    )
    totals: list[Any] = [a.empty() for a in accumulators]
    counted: dict[str, tuple[int, str | None]] = {}
    for u, r in zip(plan.units, results, strict=True):
        totals = [t.merge(p) for t, p in zip(totals, r.states, strict=True)]
        text = json.dumps({"states": [p.to_state() for p in r.states]}) if incremental else None
        counted[u.uri] = (r.rows, text)
    return _finish(store, plan, accumulators, totals, counted, {"threads": threads})


def finish_scan(
    store: Store,
    plan: ScanPlan,
    blobs: Sequence[bytes],
    *,
    engine: dict[str, Any] | None = None,
) -> ScanResult:
    """Merge the workers' blobs (every unit of the plan exactly once) and store the scan.

    Each blob's total (its units folded) is merged with the others and with the reused
    partials; each file's partial is stored as its worker encoded it, and the row-group
    ranges of a split file are merged in row-group order first. Exact merges make the
    evidence the one a local scan stores. A missing, repeated, damaged or foreign unit
    raises ScanPlanError and nothing is stored. `engine` is recorded in the scan's
    parameters (e.g. {"engine": "dask", "workers": 4}).
    """
    accumulators, _ = plan_accumulators(plan)
    totals: list[Any] = [a.empty() for a in accumulators]
    got: dict[tuple[str, int, int], UnitState] = {}
    # Blobs are checked (CRC-32 of ~1 GB for 10,000 files of every family; zlib releases
    # the GIL) on a second thread while this one merges; in order, so the first bad blob
    # is the one named, as before.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        decoded = pool.map(lambda ib: _blob.decode(plan, ib[1], ib[0]), enumerate(blobs))
        for i, blob in enumerate(decoded):
            _merge_blob(accumulators, totals, got, blob, i)
    expected = {u.key: u for u in plan.units}
    foreign = [k for k in got if k not in expected or got[k].unit != expected[k]]
    if foreign:
        raise ScanPlanError(f"{foreign[0][0]}: a blob holds a unit that is not in the plan")
    missing = [u for u in plan.units if u.key not in got]
    if missing:
        raise ScanPlanError(
            f"{missing[0].uri}: {len(missing)} of {len(plan.units)} work units have no state "
            f"(first: {missing[0].row_groups or 'whole file'}); nothing was stored"
        )
    by_file: dict[str, list[UnitState]] = {}
    for u in plan.units:
        by_file.setdefault(u.uri, []).append(got[u.key])
    counted: dict[str, tuple[int, str | memoryview | None]] = {}
    for uri, units in by_file.items():
        if len(units) == 1:  # a whole file: its document is stored as the worker wrote it
            us = units[0]
            _check_envelope(us.text, f"{uri}: the state of the whole file")
            counted[uri] = (us.rows, us.text)
            continue
        states = [a.empty() for a in accumulators]
        for us in sorted(units, key=lambda x: (x.unit.row_groups or (0, 0))[0]):
            where = f"{uri}: the state of row groups {us.unit.row_groups}"
            doc = _check_doc(us.text, len(accumulators), where)
            parts = _load(accumulators, doc["states"], where)
            states = [t.merge(p) for t, p in zip(states, parts, strict=True)]
        text = json.dumps({"states": [st.to_state() for st in states]})
        counted[uri] = (sum(us.rows for us in units), text)
    return _finish(store, plan, accumulators, totals, counted, engine or {"engine": "units"})


def _merge_blob(
    accumulators: list[Accumulator],
    totals: list[Any],
    got: dict[tuple[str, int, int], UnitState],
    blob: _blob.Blob,
    i: int,
) -> None:
    """Note blob i's units in `got` (each once) and merge its total into `totals`."""
    for us in blob.units:
        if us.unit.key in got:
            raise ScanPlanError(
                f"{us.unit.uri}: unit {us.unit.row_groups or 'whole file'} is in two "
                "blobs; each unit must be counted exactly once"
            )
        got[us.unit.key] = us
    parts = _load(accumulators, blob.total, f"state blob {i}: the total")
    totals[:] = [t.merge(p) for t, p in zip(totals, parts, strict=True)]


def _check_envelope(text: str | memoryview, where: str) -> None:
    """A stored-form document's envelope, checked without parsing its ~100 KB of counts.

    The blob's checksum already caught damage in transit; the store's JSON type rejects
    text that is not JSON (ScanPlanError, nothing stored). Parsing each document here cost
    ~0.5 ms a file, 5 s of the 10,000-file merge (benchmarks/merge_states.py).
    """
    raw = text.encode() if isinstance(text, str) else text
    if not (bytes(raw[:12]) == b'{"states": [' and bytes(raw[-2:]) == b"]}"):
        raise ScanPlanError(f"{where} is damaged (not a state document); nothing was stored")


def _check_doc(text: str | memoryview, n: int, where: str) -> dict[str, Any]:
    """A stored-form state document: JSON {"states": [n documents]}, or ScanPlanError."""
    try:
        doc = json.loads(text if isinstance(text, str) else bytes(text))
    except ValueError:
        doc = None
    if isinstance(doc, dict) and isinstance(doc.get("states"), list) and len(doc["states"]) == n:
        return doc
    raise ScanPlanError(f"{where} is damaged (not {n} state documents); nothing was stored")


def _load(accumulators: list[Accumulator], docs: Any, where: str) -> list[Any]:
    """States loaded from their documents, or ScanPlanError naming where they came from."""
    try:
        parts = [a.load_state(d) for a, d in zip(accumulators, docs, strict=True)]
        for a, p in zip(accumulators, parts, strict=True):
            a.empty().merge(p)  # a state of the wrong shape fails here, not in the totals
        return parts
    except (KeyError, ValueError, TypeError, IndexError, AttributeError) as exc:
        raise ScanPlanError(
            f"{where} is damaged ({type(exc).__name__}: {exc}); nothing was stored"
        ) from exc


def _finish(
    store: Store,
    plan: ScanPlan,
    accumulators: list[Accumulator],
    counted_total: list[Any],
    counted: Mapping[str, tuple[int, str | memoryview | None]],
    engine: dict[str, Any],
) -> ScanResult:
    """Add the reused partials to the counted total; store evidence + new partials.

    `counted` maps each file counted in this scan to (rows, its partial state document as
    JSON text or its UTF-8 bytes, or None when no partial is stored).
    """
    reusable = _reused_partials(store, plan)
    totals = list(counted_total)
    sources: list[SourceFile] = []
    new_partials: list[tuple[str, int, float, str, int, str | memoryview]] = []
    for f in plan.files:
        if f.reused:
            parts = reusable[f.key].get("loaded") or [  # loaded while planning, if here
                a.load_state(d)
                for a, d in zip(accumulators, reusable[f.key]["state"]["states"], strict=True)
            ]
            totals = [t.merge(p) for t, p in zip(totals, parts, strict=True)]
            rows = int(reusable[f.key]["rows"])
        else:
            rows, text = counted[f.uri]
            if plan.incremental and text is not None:
                new_partials.append((*f.key, rows, text))
        sources.append(SourceFile(f.uri, f.size, f.mtime, rows, f.fingerprint))
    total: DriftAccumulator = totals[0]
    metrics: list[MetricRow] = total.finalize()
    for e in totals[1:]:
        metrics.extend(e.finalize())
    result = ScanResult(
        scan_id=str(uuid.uuid4()),
        model=plan.model,
        version=plan.version,
        rows=total.rows,
        sources=tuple(sources),
        metrics=tuple(metrics),
        scanned_at=plan.scanned_at,
    )
    profiles = total.profiles
    window = plan.window
    params = {
        **plan.profile_meta,
        "profile_digest": profiles.digest,
        "columns": [p.name for p in profiles.columns],
        "output": profiles.output,
        "column_map": plan.column_map,
        "min_rows": profiles.min_rows,
        "window": None
        if window is None
        else {
            "column": window["column"],
            "since": _when(window["since"]),
            "until": _when(window["until"]),
        },
        "files_read": sum(1 for f in plan.files if not f.reused),
        "files_reused": sum(1 for f in plan.files if f.reused),
        # the card's monitoring mapping as measured: a later edit makes the evidence stale
        "monitoring_sha256": measured_digest(plan.card.get("monitoring")),
        **engine,
    }

    def store_partials(conn: duckdb.DuckDBPyConnection) -> list[Bound]:
        if not plan.incremental:
            return []
        try:
            return profile_store.write_partials(conn, plan.config, new_partials)
        except ValueError as exc:
            raise ScanPlanError(f"{exc}; nothing was stored") from exc

    # Partials of many files (~90 KB each with every family) commit by a checkpoint rather
    # than through DuckDB's write-ahead log (Store.transaction).
    large = sum(len(p[-1]) for p in new_partials) >= profile_store.LARGE_WRITE
    changed = evidence_store.write_scan(
        store, result, kind="drift", params=params, also=store_partials, large=large
    )
    return replace(result, data_changed_at=changed)


def _reused_partials(
    store: Store, plan: ScanPlan
) -> dict[tuple[str, int, float, str], dict[str, Any]]:
    """The stored partials of the plan's reused files (loaded while planning, if here)."""
    keys = [f.key for f in plan.files if f.reused]
    if not keys:
        return {}
    if plan.local is not None:
        return plan.local.reusable
    found = profile_store.get_partials(store, plan.config, keys)
    gone = [k for k in keys if k not in found]
    if gone:
        raise ScanPlanError(
            f"{gone[0][0]}: its stored partial state disappeared since the scan was planned; "
            "nothing was stored; prepare the scan again"
        )
    return found


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text is not None else None


class _SchemaOnly:
    """What Window.check reads of a parquet file: its Arrow schema."""

    def __init__(self, schema: pa.Schema) -> None:
        self.schema_arrow = schema


def count_table(
    store: Store,
    ref: ModelRef,
    table: pa.Table,
    content_digest: str,
    *,
    baseline: str | Path | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    extra: Sequence[Accumulator] | None = None,
) -> ScanResult:
    """Count an in-memory Arrow table as one batch and store the scan (no partials)."""
    plan = _prepare(
        store,
        ref,
        None,
        baseline=baseline,
        since=since,
        until=until,
        incremental=False,
        extra=extra,
        split_bytes=None,
    )
    accumulators, schema_check = plan_accumulators(plan)
    check_columns(table.schema, IN_MEMORY, plan.expected)
    window = plan_window(plan)
    if window is not None:
        window.check(_SchemaOnly(table.schema), IN_MEMORY)
    if schema_check is not None:
        schema_check(table.schema, IN_MEMORY)
    columns: list[str] = []
    for acc in accumulators:
        columns.extend(c for c in acc.columns if c not in columns)
    if window is not None:
        table = table.filter(window.mask(table.column(window.column)))
    table = table.select(columns)
    states = [a.empty() for a in accumulators]
    for st in states:
        st.update(table)
    plan = replace(
        plan, files=(PlanFile(IN_MEMORY, table.nbytes, 0.0, content_digest, reused=False),)
    )
    counted: dict[str, tuple[int, str | None]] = {IN_MEMORY: (table.num_rows, None)}
    return _finish(store, plan, accumulators, states, counted, {"source": IN_MEMORY})
