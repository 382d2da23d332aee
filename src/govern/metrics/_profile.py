"""Reference profiles: what a scan needs to know of each reference column, and nothing more.

A numeric profile holds the bins (see _binning) and the reference counts over the fine
edges; a categorical profile holds the reference categories and their counts. Profiles are
built once from training data (`govern baseline`), stored as JSON in DuckDB, and compared
against any amount of inference data without the training data.

The stored document carries a `format` number. Format 2 added the binning `rule` of each
numeric column (see _binning). A format-1 profile still loads when its edges are distinct;
one whose decile edges collapsed on tied values (the shape that hid shifts in discrete and
zero-inflated features) is refused with a message saying to re-run `govern baseline`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from govern._native import HistCounts
from govern.metrics._binning import (
    DEFAULT_BINS,
    STRATEGIES,
    Bins,
    make_bins,
    tie_aware_edges,
    uniform_edges,
)

DECILES = np.linspace(0.1, 0.9, 9)
MAX_CATEGORIES = 10_000
NUMERIC = "numeric"
CATEGORICAL = "categorical"
PROFILE_FORMAT = 2
LEGACY_RULE = "legacy"  # a format-1 profile's decile edges, loaded as they were stored
STALE_PROFILE = (
    "the stored reference profile predates tie-aware binning and its decile edges collapse "
    "on tied values in column(s) {columns}, which hides shifts there; re-run "
    "`govern baseline` for this model version"
)


class StaleProfileError(ValueError):
    """A stored profile that cannot be used as it is (the runner names the model)."""


@dataclass(frozen=True)
class NumericProfile:
    """One numeric reference column: bins plus reference counts over the fine edges."""

    name: str
    dtype: str  # Arrow type of the reference column, e.g. "double"
    strategy: str  # decile | uniform | explicit
    bins: Bins | None  # None when the reference had no finite values
    reference: HistCounts
    rule: str = "quantile"  # which binning rule applied (_binning.RULES, or "legacy")
    kind: str = field(default=NUMERIC, init=False)

    @property
    def usable(self) -> bool:
        """False when the reference had no finite values (no edges can be derived)."""
        return self.bins is not None

    @property
    def fine_edges(self) -> np.ndarray:
        """Edges the kernel counts against (empty when unusable)."""
        return self.bins.fine_edges if self.bins is not None else np.empty(0)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        r = self.reference
        b = self.bins
        return {
            "name": self.name,
            "kind": self.kind,
            "dtype": self.dtype,
            "strategy": self.strategy,
            "rule": self.rule,
            "psi_edges": b.psi_edges.tolist() if b is not None else None,
            "range": [b.lo, b.hi] if b is not None else None,
            "counts": r.counts.tolist(),
            "nulls": r.nulls,
            "nans": r.nans,
            "posinf": r.posinf,
            "neginf": r.neginf,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> NumericProfile:
        """Inverse of to_dict."""
        bins = None
        if d["psi_edges"] is not None:
            lo, hi = d["range"]
            bins = make_bins(np.asarray(d["psi_edges"], dtype=np.float64), lo, hi)
        ref = HistCounts(
            np.asarray(d["counts"], dtype=np.int64), d["nulls"], d["nans"], d["posinf"], d["neginf"]
        )
        return cls(d["name"], d["dtype"], d["strategy"], bins, ref, d.get("rule", LEGACY_RULE))


@dataclass(frozen=True)
class CategoricalProfile:
    """One categorical reference column (strings or booleans): categories and counts."""

    name: str
    dtype: str
    categories: tuple[str | bool, ...]
    counts: np.ndarray  # int64[len(categories)]
    nulls: int
    kind: str = field(default=CATEGORICAL, init=False)

    @property
    def rows(self) -> int:
        """Reference rows (valid + null)."""
        return int(self.counts.sum()) + self.nulls

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "kind": self.kind,
            "dtype": self.dtype,
            "categories": list(self.categories),
            "counts": self.counts.tolist(),
            "nulls": self.nulls,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CategoricalProfile:
        """Inverse of to_dict."""
        return cls(
            d["name"],
            d["dtype"],
            tuple(d["categories"]),
            np.asarray(d["counts"], dtype=np.int64),
            int(d["nulls"]),
        )


ColumnProfile = NumericProfile | CategoricalProfile


@dataclass(frozen=True)
class ProfileSet:
    """Every profiled column of a model version, in a fixed order, plus scan settings."""

    columns: tuple[ColumnProfile, ...]
    output: str | None = None  # the prediction/score column, if profiled
    min_rows: int = 100
    sources: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the stored document)."""
        return {
            "format": PROFILE_FORMAT,
            "columns": [c.to_dict() for c in self.columns],
            "output": self.output,
            "min_rows": self.min_rows,
            "sources": list(self.sources),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ProfileSet:
        """Inverse of to_dict; StaleProfileError for a format-1 profile with collapsed edges."""
        fmt = int(d.get("format", 1))
        if fmt > PROFILE_FORMAT:
            raise StaleProfileError(
                f"the stored reference profile has format {fmt}, newer than this govern "
                f"reads ({PROFILE_FORMAT}); upgrade govern or re-run `govern baseline`"
            )
        if fmt == 1:
            collapsed = [
                str(c["name"])
                for c in d["columns"]
                if c["kind"] == NUMERIC
                and c.get("psi_edges")
                and len(set(c["psi_edges"])) < len(c["psi_edges"])
            ]
            if collapsed:
                raise StaleProfileError(STALE_PROFILE.format(columns=", ".join(collapsed)))
        cols: list[ColumnProfile] = []
        for c in d["columns"]:
            cols.append(
                NumericProfile.from_dict(c)
                if c["kind"] == NUMERIC
                else CategoricalProfile.from_dict(c)
            )
        return cls(tuple(cols), d.get("output"), int(d["min_rows"]), tuple(d.get("sources", ())))

    @property
    def digest(self) -> str:
        """Content hash of the profile: keys stored partial aggregates to this profile."""
        doc = {k: v for k, v in self.to_dict().items() if k != "sources"}
        text = json.dumps(doc, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def get(self, name: str) -> ColumnProfile:
        """The profile of one column."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def numeric_profile(
    name: str,
    dtype: str,
    finite_values: np.ndarray,
    reference: HistCounts | None = None,
    *,
    strategy: str = "decile",
    n_bins: int = DEFAULT_BINS,
    edges: list[float] | None = None,
) -> tuple[NumericProfile, Bins | None]:
    """Build the bins of one numeric column from its finite reference values.

    `reference` counts are filled by the caller (kernel pass over the column); this returns
    the profile with empty reference counts when `reference` is None.
    """
    if strategy not in STRATEGIES:
        raise ValueError(
            f"unknown binning {strategy!r}; valid strategies are: {', '.join(STRATEGIES)}"
        )
    bins: Bins | None = None
    rule = strategy if strategy != "decile" else "quantile"
    if finite_values.size:
        lo = float(finite_values.min())
        vmax = float(finite_values.max())
        hi = float(np.nextafter(vmax, np.inf))
        if strategy == "decile":
            psi_edges, rule = tie_aware_edges(finite_values, n_bins)
        elif strategy == "uniform":
            psi_edges = uniform_edges(lo, vmax, n_bins)
            rule = "uniform" if vmax > lo else "constant"
        else:
            if not edges:
                raise ValueError(f"column {name!r}: explicit binning needs a list of edges")
            psi_edges = np.asarray(sorted(float(x) for x in edges), dtype=np.float64)
        bins = make_bins(psi_edges, lo, hi)
    n_fine = bins.fine_edges.size + 1 if bins is not None else 1
    ref = reference if reference is not None else HistCounts(np.zeros(n_fine, dtype=np.int64))
    return NumericProfile(name, dtype, strategy, bins, ref, rule), bins


def fine_edges_from_values(finite_values: np.ndarray) -> np.ndarray:
    """Decile fine edges [min, q1..q9, nextafter(max)] (empty array for no values)."""
    if finite_values.size == 0:
        return np.empty(0, dtype=np.float64)
    q = np.quantile(finite_values, DECILES, method="linear")
    lo = float(finite_values.min())
    hi = float(np.nextafter(finite_values.max(), np.inf))
    return np.concatenate([[lo], q, [hi]]).astype(np.float64)


def decile_counts(fine_counts: np.ndarray) -> np.ndarray:
    """Collapse the 12 decile fine bins into the 10 decile bins (outer bins open-ended)."""
    c = np.asarray(fine_counts, dtype=np.int64)
    return np.concatenate([[c[0] + c[1]], c[2:10], [c[10] + c[11]]])


def out_of_range(fine_counts: np.ndarray) -> int:
    """Values below the reference minimum or above its maximum (decile layout)."""
    return int(fine_counts[0] + fine_counts[-1])
