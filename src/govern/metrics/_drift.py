"""The drift accumulator: per-column partial counts against a reference profile.

It follows the Accumulator protocol (metrics/_accumulator.py): a scan calls `update` with
each projected row group, merges per-thread and per-file states, and `finalize` turns the
merged counts into evidence rows. Counts are integers, so merging is exact and the result is
independent of the split and of the merge order. `to_state`/`from_state` serialise a state so
that the partial counts of one source file can be stored and reused by a later scan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np
import pyarrow as pa

from govern._native import HistCounts, count_dictionary, hist
from govern.metrics._chi2 import chi2_homogeneity, chi2_sf
from govern.metrics._profile import CategoricalProfile, NumericProfile, ProfileSet
from govern.metrics._psi import psi
from govern.results import MetricRow

UNSEEN_EXAMPLES = 10
NUMERIC_METRICS = (
    "psi",
    "chi2",
    "p_value",
    "missing_rate",
    "missing_rate_change",
    "out_of_range_rate",
    "inf_rate",
)
CATEGORICAL_METRICS = (
    "psi",
    "chi2",
    "p_value",
    "missing_rate",
    "missing_rate_change",
    "unseen_rate",
)


@dataclass
class CategoryCounts:
    """Mergeable counts of one categorical column: reference categories + unseen, nulls."""

    counts: np.ndarray  # int64[len(categories) + 1]; the last slot counts unseen categories
    nulls: int = 0
    unseen_examples: tuple[str, ...] = ()  # the smallest few unseen values (deterministic)

    @property
    def valid(self) -> int:
        """Non-null rows, seen or unseen."""
        return int(self.counts.sum())

    @property
    def rows(self) -> int:
        """Every row seen: valid + null."""
        return self.valid + self.nulls

    def merge(self, other: CategoryCounts) -> CategoryCounts:
        """Exact merge over the same categories."""
        examples = tuple(sorted(set(self.unseen_examples) | set(other.unseen_examples)))
        return CategoryCounts(
            self.counts + other.counts, self.nulls + other.nulls, examples[:UNSEEN_EXAMPLES]
        )


ColumnState = HistCounts | CategoryCounts


def _chunks(col: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    return list(col.chunks) if isinstance(col, pa.ChunkedArray) else [col]


def _update_numeric(p: NumericProfile, state: HistCounts, col: pa.Array | pa.ChunkedArray) -> None:
    # Any integer or float width (the schema contract checked the family), read in place and
    # binned by its float64 value: exact up to 2**53, nearest float64 beyond.
    hist(col, p.fine_edges, into=state)


def _update_categorical(
    p: CategoricalProfile,
    index: dict[str | bool, int],
    state: CategoryCounts,
    col: pa.Array | pa.ChunkedArray,
) -> None:
    unseen_slot = len(p.categories)
    unseen: set[str] = set(state.unseen_examples)
    for chunk in _chunks(col):
        if len(chunk) == 0:
            continue
        if pa.types.is_boolean(chunk.type):
            import pyarrow.compute as pc  # here, not at import: ~0.1 s a scan does not need

            nulls = chunk.null_count
            trues = int(pc.sum(chunk).as_py() or 0)
            falses = len(chunk) - nulls - trues
            for value, n in ((True, trues), (False, falses)):
                if n:
                    state.counts[index.get(value, unseen_slot)] += n
                    if value not in index:
                        unseen.add(str(value))
            state.nulls += nulls
            continue
        if not pa.types.is_dictionary(chunk.type):
            chunk = chunk.dictionary_encode()
        dictionary = chunk.dictionary.to_pylist()
        counts, nulls = count_dictionary(chunk, len(dictionary))
        state.nulls += nulls
        for value, n in zip(dictionary, counts.tolist(), strict=True):
            if not n:
                continue
            if value is None:
                state.nulls += n
                continue
            slot = index.get(value, unseen_slot)
            state.counts[slot] += n
            if slot == unseen_slot:
                unseen.add(str(value))
    state.unseen_examples = tuple(sorted(unseen))[:UNSEEN_EXAMPLES]


def _fresh(p: NumericProfile | CategoricalProfile) -> ColumnState:
    if isinstance(p, NumericProfile):
        return HistCounts(np.zeros(p.fine_edges.size + 1, dtype=np.int64))
    return CategoryCounts(np.zeros(len(p.categories) + 1, dtype=np.int64))


class DriftAccumulator:
    """Drift of every profiled column; `column_map` renames reference columns in the data.

    Columns are counted independently (`independent_columns`): `update` accepts a batch with
    any subset of `columns`, so the scan can decode and count one column at a time while its
    buffers are still in cache. Rows read are counted on the first column, which every row
    group delivers exactly once.
    """

    independent_columns = True

    def __init__(self, profiles: ProfileSet, column_map: dict[str, str] | None = None) -> None:
        self.profiles = profiles
        self.column_map = dict(column_map or {})
        self.rows = 0
        self.states: dict[str, ColumnState] = {p.name: _fresh(p) for p in profiles.columns}
        self._index: dict[str, dict[str | bool, int]] = {
            p.name: {c: i for i, c in enumerate(p.categories)}
            for p in profiles.columns
            if isinstance(p, CategoricalProfile)
        }
        # Looked up once here, not per column and row group (the scan calls `update` and
        # `columns` ~24 times per row group, and `empty` once per row group).
        self._columns = tuple(self.physical(p.name) for p in profiles.columns)
        self._by_physical: dict[str, list[NumericProfile | CategoricalProfile]] = {}
        for p in profiles.columns:
            self._by_physical.setdefault(self.physical(p.name), []).append(p)

    def physical(self, name: str) -> str:
        """Column name of a profiled column in the scanned data."""
        return self.column_map.get(name, name)

    @property
    def columns(self) -> tuple[str, ...]:
        """Data columns read (after the column mapping)."""
        return self._columns

    def update(self, batch: pa.RecordBatch | pa.Table) -> None:
        """Count one batch; the batch is not retained."""
        names = batch.schema.names
        if self._columns and self._columns[0] in names:
            self.rows += batch.num_rows
        for physical in dict.fromkeys(names):
            for p in self._by_physical.get(physical, ()):
                col = batch.column(physical)
                state = self.states[p.name]
                if isinstance(p, NumericProfile):
                    assert isinstance(state, HistCounts)
                    _update_numeric(p, state, col)
                else:
                    assert isinstance(state, CategoryCounts)
                    _update_categorical(p, self._index[p.name], state, col)

    def empty(self) -> Self:
        """A fresh state over the same profiles and mapping (lookups shared, not rebuilt)."""
        out = object.__new__(type(self))
        out.__dict__.update(self.__dict__)
        out.rows = 0
        out.states = {p.name: _fresh(p) for p in self.profiles.columns}
        return out

    def merge(self, other: Self) -> Self:
        """Exact merge of two states (a new object; both inputs are left untouched)."""
        out = self.empty()
        out.rows = self.rows + other.rows
        for name, state in self.states.items():
            out.states[name] = state.merge(other.states[name])  # type: ignore[arg-type]
        return out

    def check_rows(self) -> None:
        """Invariant: per column, valid + null + NaN + inf == rows read."""
        for name, state in self.states.items():
            if state.rows != self.rows:
                raise AssertionError(
                    f"row accounting broken for {name}: {state.rows} counted, {self.rows} read"
                )

    @property
    def config(self) -> dict[str, Any]:
        """The profile (by digest) and the column mapping."""
        return {"profile": self.profiles.digest, "columns": dict(sorted(self.column_map.items()))}

    def to_state(self) -> dict[str, Any]:
        """JSON-ready partial counts (stored per source file for incremental scans)."""
        cols: dict[str, Any] = {}
        for name, s in self.states.items():
            if isinstance(s, HistCounts):
                cols[name] = [s.counts.tolist(), s.nulls, s.nans, s.posinf, s.neginf]
            else:
                cols[name] = [s.counts.tolist(), s.nulls, list(s.unseen_examples)]
        return {"rows": self.rows, "columns": cols}

    def load_state(self, doc: dict[str, Any]) -> Self:
        """A state holding the counts of `to_state` output (same profiles)."""
        out = self.empty()
        out.rows = int(doc["rows"])
        for name, v in doc["columns"].items():
            if isinstance(self.states[name], HistCounts):
                out.states[name] = HistCounts(np.asarray(v[0], dtype=np.int64), *map(int, v[1:]))
            else:
                out.states[name] = CategoryCounts(
                    np.asarray(v[0], dtype=np.int64), int(v[1]), tuple(v[2])
                )
        return out

    def finalize(self) -> list[MetricRow]:
        """Evidence rows for every column (numbers, or a status and a reason)."""
        self.check_rows()
        out: list[MetricRow] = []
        for p in self.profiles.columns:
            role = "output" if p.name == self.profiles.output else "feature"
            state = self.states[p.name]
            if isinstance(p, NumericProfile):
                assert isinstance(state, HistCounts)
                out.extend(numeric_rows(p, state, min_rows=self.profiles.min_rows, role=role))
            else:
                assert isinstance(state, CategoryCounts)
                out.extend(categorical_rows(p, state, min_rows=self.profiles.min_rows, role=role))
        return out


@dataclass
class _Rows:
    subject: str
    detail: dict[str, Any]
    rows: list[MetricRow] = field(default_factory=list)

    def add(
        self, metric: str, value: float | None, status: str = "ok", reason: str | None = None
    ) -> None:
        if status == "ok" and value is None:
            raise ValueError(f"{self.subject}.{metric}: status ok needs a value")
        self.rows.append(
            MetricRow("drift", self.subject, metric, value, status, reason, self.detail)
        )

    def fail(self, metrics: tuple[str, ...], status: str, reason: str) -> None:
        for m in metrics:
            self.add(m, None, status, reason)


ONE_BIN = (
    "the reference's valid values all fall in one bin ({what}), so PSI and chi-square have "
    "nothing to compare; re-baseline on data where the column varies, or stop monitoring it"
)


def _compare(
    r: _Rows,
    ref_bins: np.ndarray,
    cur_bins: np.ndarray,
    valid: int,
    ref_valid: int,
    min_rows: int,
    *,
    one_bin: str,
) -> str | None:
    """PSI, chi2 and p-value over the same bins; None, or why the comparison failed.

    The reason is "reference" when only the reference is degenerate (one bin): the rates
    that do not need two bins (out of range, unseen) are still measured then.
    """
    stats = ("psi", "chi2", "p_value")
    if ref_valid == 0:
        r.fail(stats, "invalid", "the reference has no valid values for this column")
        return "no reference"
    if valid == 0:
        r.fail(stats, "insufficient_data", "no valid values in the current data")
        return "no current"
    if valid < min_rows:
        r.fail(
            stats,
            "insufficient_data",
            f"{valid} valid values, fewer than the minimum of {min_rows}",
        )
        return "few current"
    if np.count_nonzero(ref_bins) < 2:
        r.fail(stats, "invalid", ONE_BIN.format(what=one_bin))
        return "reference"
    r.add("psi", psi(ref_bins, cur_bins))
    stat, df = chi2_homogeneity(ref_bins, cur_bins)  # df >= 1: two reference bins hold counts
    r.add("chi2", stat)
    r.add("p_value", chi2_sf(stat, df))
    return None


def _rate(r: _Rows, metric: str, failed: str | None, value: float) -> None:
    """A rate that needs current rows only: measured unless the comparison lacked them."""
    if failed in (None, "reference"):
        r.add(metric, value)
    else:
        last = r.rows[-1]
        r.add(metric, None, last.status, last.reason)


def numeric_rows(
    p: NumericProfile, cur: HistCounts, *, min_rows: int, role: str = "feature"
) -> list[MetricRow]:
    """Evidence rows of one numeric column."""
    ref = p.reference
    detail: dict[str, Any] = {
        "kind": p.kind,
        "role": role,
        "binning": p.strategy,
        "rule": p.rule,
        "rows": cur.rows,
        "valid": cur.valid,
        "nulls": cur.nulls,
        "nans": cur.nans,
        "posinf": cur.posinf,
        "neginf": cur.neginf,
    }
    r = _Rows(p.name, detail)
    if cur.rows == 0:
        r.fail(NUMERIC_METRICS, "insufficient_data", "no rows in the current data")
        return r.rows
    missing = (cur.nulls + cur.nans) / cur.rows
    r.add("missing_rate", missing)
    if ref.rows:
        r.add("missing_rate_change", missing - (ref.nulls + ref.nans) / ref.rows)
    else:
        r.add("missing_rate_change", None, "invalid", "the reference has no rows")
    r.add("inf_rate", (cur.posinf + cur.neginf) / cur.rows)
    if p.bins is None:
        reason = "the reference has no finite values for this column"
        r.fail(("psi", "chi2", "p_value", "out_of_range_rate"), "invalid", reason)
        return r.rows
    ref_bins = p.bins.psi_counts(ref.counts)
    detail["bins"] = p.bins.psi_counts(cur.counts).tolist()
    detail["reference_bins"] = ref_bins.tolist()
    one_bin = (
        f"the column is constant at {p.bins.lo!r}"
        if p.rule == "constant" or p.bins.lo == float(np.nextafter(p.bins.hi, -np.inf))
        else f"{p.rule} edges {p.bins.psi_edges.tolist()}"
    )
    failed = _compare(
        r, ref_bins, p.bins.psi_counts(cur.counts), cur.valid, ref.valid, min_rows, one_bin=one_bin
    )
    oor = p.bins.out_of_range(cur.counts) / cur.valid if cur.valid else 0.0
    _rate(r, "out_of_range_rate", failed, oor)
    return r.rows


def categorical_rows(
    p: CategoricalProfile, cur: CategoryCounts, *, min_rows: int, role: str = "feature"
) -> list[MetricRow]:
    """Evidence rows of one categorical column (PSI over categories + an unseen bin)."""
    detail: dict[str, Any] = {
        "kind": p.kind,
        "role": role,
        "rows": cur.rows,
        "valid": cur.valid,
        "nulls": cur.nulls,
        "unseen": int(cur.counts[-1]),
        "unseen_examples": list(cur.unseen_examples),
        "categories": len(p.categories),
    }
    r = _Rows(p.name, detail)
    if cur.rows == 0:
        r.fail(CATEGORICAL_METRICS, "insufficient_data", "no rows in the current data")
        return r.rows
    missing = cur.nulls / cur.rows
    r.add("missing_rate", missing)
    if p.rows:
        r.add("missing_rate_change", missing - p.nulls / p.rows)
    else:
        r.add("missing_rate_change", None, "invalid", "the reference has no rows")
    detail["bins"] = cur.counts.tolist()  # per category, then unseen (the report's bars)
    ref_bins = np.concatenate([p.counts, [0]]).astype(np.int64)
    seen = [c for c, n in zip(p.categories, p.counts.tolist(), strict=True) if n]
    failed = _compare(
        r,
        ref_bins,
        cur.counts,
        cur.valid,
        int(p.counts.sum()),
        min_rows,
        one_bin=f"the only category is {seen[0]!r}" if seen else "no category",
    )
    unseen = int(cur.counts[-1]) / cur.valid if cur.valid else 0.0
    _rate(r, "unseen_rate", failed, unseen)
    return r.rows
