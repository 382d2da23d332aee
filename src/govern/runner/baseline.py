"""`govern baseline`: build a reference profile from training parquet and store it.

Columns come from the model card (`monitoring.features` plus `monitoring.prediction`), or,
without that list, every numeric, string and boolean column. Numeric edges follow
`monitoring.binning` (strategy decile | uniform, `bins`, explicit `edges` per feature) unless
flags override it. The profile is built one column at a time, so memory holds one reference
column, never the whole training set.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from govern._native import hist_f64
from govern.errors import MetricInputError, ModelCardError, UserInputError
from govern.lifecycle import ModelRef
from govern.metrics._binning import DEFAULT_BINS, STRATEGIES
from govern.metrics._monitoring import column_name
from govern.metrics._profile import (
    MAX_CATEGORIES,
    CategoricalProfile,
    ColumnProfile,
    ProfileSet,
    numeric_profile,
)
from govern.runner import _partitions
from govern.runner._identity import check_unchanged, identify
from govern.runner._parquet import discover_keys, logical_type, open_parquet, reader_message
from govern.store import Store, registry
from govern.store import profiles as profile_store

DEFAULT_MIN_ROWS = 100
# PSI bins per column. Each bin needs enough expected rows on both sides for a stable PSI
# (ten bins is the convention; a hundred is already fine-grained), and the reference profile,
# every stored partial and every evidence row grow with it: 1,000 is a generous ceiling, not
# a recommendation. Above it `baseline` refuses instead of running for minutes.
MAX_BINS = 1000


@dataclass(frozen=True)
class BaselineResult:
    """What `govern baseline` stored."""

    profile_id: str
    model: str
    version: str
    rows: int
    sources: tuple[dict[str, Any], ...]
    profiles: ProfileSet


def is_numeric(t: pa.DataType) -> bool:
    """Types profiled with bins (counted by the float64 kernel)."""
    return bool(pa.types.is_floating(t) or pa.types.is_integer(t))


def is_categorical(t: pa.DataType) -> bool:
    """Types profiled as categories."""
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_boolean(t))


def monitored_columns(
    card: dict[str, Any], schema: pa.Schema, path: Path | str
) -> tuple[list[str], str | None]:
    """(columns, output column) from the card, else every numeric/categorical column."""
    mon = card.get("monitoring") or {}
    output = column_name(mon.get("prediction"))
    names = [str(n) for n in mon.get("features") or []]
    if not names:
        skip = {mon.get("timestamp")}
        names = [
            f.name
            for f in schema
            if f.name not in skip
            and f.name != output
            and (is_numeric(logical_type(f.type)) or is_categorical(logical_type(f.type)))
        ]
    if output and output not in names:
        names.append(str(output))
    if not names:
        raise MetricInputError("no numeric, string or boolean columns to profile", path=path)
    return names, str(output) if output else None


def binning_options(
    card: dict[str, Any], strategy: str | None, n_bins: int | None
) -> tuple[str, int, dict[str, list[float]]]:
    """Binning from flags, else the card's monitoring.binning, else deciles."""
    b = (card.get("monitoring") or {}).get("binning") or {}
    if not isinstance(b, dict):
        raise ModelCardError("monitoring.binning must be a mapping (strategy, bins, edges)")
    strat = strategy or str(b.get("strategy", "decile"))
    if strat not in ("decile", "uniform"):
        raise UserInputError(
            f"binning strategy {strat!r} is not valid; valid strategies are: decile, uniform "
            "(explicit edges go per feature under monitoring.binning.edges)"
        )
    raw = n_bins if n_bins is not None else b.get("bins", DEFAULT_BINS)
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise ModelCardError(f"monitoring.binning.bins must be a whole number, got {raw!r}")
    bins = raw
    if not 2 <= bins <= MAX_BINS:
        raise UserInputError(f"bins must be between 2 and {MAX_BINS}, got {bins}")
    edges = b.get("edges") or {}
    if not isinstance(edges, dict):
        raise ModelCardError("monitoring.binning.edges must map feature names to edge lists")
    out: dict[str, list[float]] = {}
    for k, v in edges.items():
        if not isinstance(v, list) or not v or not all(_is_number(x) for x in v):
            raise ModelCardError(
                f"monitoring.binning.edges.{k} must be a non-empty list of finite numbers"
            )
        if len(v) + 1 > MAX_BINS:
            raise ModelCardError(
                f"monitoring.binning.edges.{k}: {len(v)} edges make {len(v) + 1} bins; "
                f"at most {MAX_BINS} bins are allowed"
            )
        out[str(k)] = [float(x) for x in v]
    return strat, bins, out


def _is_number(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def build_profiles(
    data: Sequence[str | Path],
    card: dict[str, Any],
    *,
    strategy: str | None = None,
    n_bins: int | None = None,
) -> tuple[ProfileSet, int]:
    """Profile the monitored columns of the training files; returns (profiles, rows)."""
    import pyarrow.compute as pc  # here, not at import: ~0.1 s a scan does not need

    found = discover_keys(data)
    files = [f for f, _ in found]
    first = open_parquet(files[0])
    names, output = monitored_columns(card, first.schema_arrow, files[0])
    # Hive keys the profile names (runner/_partitions.py): typed as pyarrow infers them.
    keyed = [{k: v for k, v in keys.items() if k in names} for _, keys in found]
    hive_types = _partitions.infer_types(keyed)
    constants = [
        _partitions.hive_constants(keys, hive_types, f)
        for f, keys in zip(files, keyed, strict=True)
    ]
    first = _partitions.attach(first, constants[0])
    strat, bins, explicit = binning_options(card, strategy, n_bins)
    unknown = sorted(set(explicit) - set(names))
    if unknown:
        raise ModelCardError(
            f"monitoring.binning.edges names unknown columns: {', '.join(unknown)}; "
            f"profiled columns are: {', '.join(names)}"
        )
    types: dict[str, pa.DataType] = {}
    for n in names:
        idx = first.schema_arrow.get_field_index(n)
        if idx < 0:
            raise MetricInputError(f"column {n!r} is missing", path=files[0])
        t = logical_type(first.schema_arrow.field(idx).type)
        if not (is_numeric(t) or is_categorical(t)):
            raise MetricInputError(
                f"column {n!r} has type {t}; profiled types are floats, integers, strings, "
                "booleans",
                path=files[0],
            )
        types[n] = t
    from govern.runner._parquet import check_columns

    identities = [identify(p) for p in files]  # checked again once every column was read
    opened = [
        (p, _partitions.attach(open_parquet(p), c)) for p, c in zip(files, constants, strict=True)
    ]
    for p, pf in opened:
        check_columns(pf, p, {n: str(t) for n, t in types.items()})
    rows = sum(pf.metadata.num_rows for _, pf in opened)
    mon = card.get("monitoring") or {}
    cols: list[ColumnProfile] = []
    for n in names:
        chunks: list[pa.Array] = []
        for p, pf in opened:
            try:
                chunks.extend(pf.read(columns=[n], use_threads=True).column(0).chunks)
            except (pa.ArrowException, OSError, ValueError) as exc:
                raise MetricInputError(
                    f"cannot decode column {n!r}: {reader_message(exc)}", path=p
                ) from exc
        t = types[n]
        arr = _same_type(chunks, t)
        if is_numeric(t):
            f64 = arr
            finite = np.asarray(
                f64.filter(pc.is_finite(f64)).to_numpy() if len(f64) else np.empty(0),
                dtype=np.float64,
            )
            s = "explicit" if n in explicit else strat
            profile, b = numeric_profile(
                n, str(t), finite, strategy=s, n_bins=bins, edges=explicit.get(n)
            )
            hist_f64(f64, profile.fine_edges, into=profile.reference)
            cols.append(profile)
        else:
            cols.append(_categorical(n, t, arr, files[0]))
        del arr, chunks
    min_rows = int(mon.get("min_rows", DEFAULT_MIN_ROWS))
    sources = []
    for (p, pf), ident in zip(opened, identities, strict=True):
        check_unchanged(ident, p)
        sources.append(
            {
                "path": ident.path,
                "size": ident.size,
                "mtime": ident.mtime,
                "fingerprint": ident.fingerprint,
                "rows": pf.metadata.num_rows,
            }
        )
    return ProfileSet(tuple(cols), output, min_rows, tuple(sources)), rows


def _same_type(chunks: list[pa.Array], t: pa.DataType) -> pa.ChunkedArray:
    """One column of every training file, in one type (files may differ within a family).

    Numbers become float64, the values the kernel bins (integers beyond 2**53 round to the
    nearest float64, as in a scan); text becomes large_string when the files mix string and
    large_string; dictionaries are decoded when they are mixed with plain arrays.
    """
    import pyarrow.compute as pc  # here, not at import: ~0.1 s a scan does not need

    if is_numeric(t):
        return pa.chunked_array(
            [c if c.type == pa.float64() else pc.cast(c, pa.float64(), safe=False) for c in chunks],
            type=pa.float64(),
        )
    kinds = {c.type for c in chunks}
    if len(kinds) > 1:
        target = pa.large_string() if not pa.types.is_boolean(t) else pa.bool_()
        chunks = [c.cast(target) for c in chunks]
        return pa.chunked_array(chunks, type=target)
    return pa.chunked_array(chunks, type=chunks[0].type if chunks else t)


def _categorical(
    name: str, t: pa.DataType, arr: pa.ChunkedArray, path: Path | str
) -> CategoricalProfile:
    import pyarrow.compute as pc  # here, not at import: ~0.1 s a scan does not need

    nulls = arr.null_count
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    vc = pc.value_counts(arr.drop_null()) if len(arr) else None
    cats: list[tuple[str | bool, int]] = []
    if vc is not None:
        for v, c in zip(
            vc.field("values").to_pylist(), vc.field("counts").to_pylist(), strict=True
        ):
            cats.append((v, int(c)))
    if len(cats) > MAX_CATEGORIES:
        raise MetricInputError(
            f"column {name!r} has {len(cats)} distinct values, more than {MAX_CATEGORIES}; "
            "drop it from monitoring.features or bin it upstream",
            path=path,
        )
    cats.sort(key=lambda kv: (str(type(kv[0])), kv[0]))  # stable, content-defined order
    counts = np.asarray([c for _, c in cats], dtype=np.int64)
    return CategoricalProfile(name, str(t), tuple(v for v, _ in cats), counts, int(nulls))


def baseline(
    store: Store,
    ref: ModelRef,
    *,
    data: Sequence[str | Path],
    strategy: str | None = None,
    n_bins: int | None = None,
) -> BaselineResult:
    """Build the reference profile of a model version and store it."""
    if not data:
        raise UserInputError("no training data given; pass --data PARQUET (one or more)")
    if strategy is not None and strategy not in STRATEGIES[:2]:
        raise UserInputError(
            f"binning strategy {strategy!r} is not valid; valid strategies are: decile, uniform"
        )
    name, version = registry.resolve(store, ref)
    card = registry.get_version(store, name, version)["card"]
    profiles, rows = build_profiles(data, card, strategy=strategy, n_bins=n_bins)
    profile_id = profile_store.save_profile(
        store,
        name,
        version,
        digest=profiles.digest,
        rows=rows,
        sources=list(profiles.sources),
        profile=profiles.to_dict(),
    )
    return BaselineResult(profile_id, name, version, rows, profiles.sources, profiles)
