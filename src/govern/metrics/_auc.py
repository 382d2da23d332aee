"""Mergeable AUC state: exact per distinct score, or a fine histogram with a proven bound.

AUC = P(score of a positive > score of a negative) + 0.5 * P(tie), as scikit-learn computes it.
Given positive and negative counts per ordered score cell, pairs in different cells are
ordered exactly; pairs inside one cell are counted as ties (0.5).

* Exact mode (the default): one cell per distinct score, so within-cell pairs really are ties
  and the AUC is exact (integer numerator, one rounding). Used while there are at most
  MAX_DISTINCT distinct scores, which covers rounded, integer and discrete scores.
* Histogram mode: past MAX_DISTINCT distinct scores the cells become HIST_BINS equal-width
  bins over `score_range` (outside values go to the end bins). A within-bin pair is off by at
  most 0.5, so |AUC - exact| <= 0.5 * sum_b pos_b * neg_b / (P * N), which is computed from
  the same counts and reported; the AUC is status ok only when this bound is <= 1e-3.

The final mode depends only on the union of the data (distinct count), not on merge order.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np

from govern._native import Float64Column, ScoreStats, score_stats
from govern.metrics._state import (
    packed_counts,
    packed_floats,
    unpacked_counts,
    unpacked_floats,
)

MAX_DISTINCT = 65_536
HIST_BINS = 65_536
MAX_AUC_ERROR = 1e-3


class AucState:
    """Positive/negative counts per score cell (exact values or fine bins)."""

    def __init__(self, score_range: tuple[float, float] = (0.0, 1.0)) -> None:
        self.score_range = score_range
        self.values: np.ndarray | None = np.empty(0, dtype=np.float64)  # None in histogram mode
        self.counts = np.zeros((0, 2), dtype=np.int64)  # [cell, label] (label 0 neg, 1 pos)
        self.outside = 0  # histogram mode: scores outside score_range (clipped)

    @property
    def exact(self) -> bool:
        """True while one cell is one distinct score."""
        return self.values is not None

    def empty(self) -> Self:
        """Fresh state, same range."""
        return type(self)(self.score_range)

    def _bin(self, scores: np.ndarray) -> np.ndarray:
        lo, hi = self.score_range
        idx = np.floor((scores - lo) * (HIST_BINS / (hi - lo)))
        idx = np.clip(np.nan_to_num(idx, nan=0.0, posinf=HIST_BINS, neginf=-1), 0, HIST_BINS - 1)
        out: np.ndarray = idx.astype(np.int64)
        return out

    def _to_histogram(self) -> None:
        if self.values is None:
            return
        lo, hi = self.score_range
        hist = np.zeros((HIST_BINS, 2), dtype=np.int64)
        if self.values.size:
            b = self._bin(self.values)
            np.add.at(hist, b, self.counts)
            outside = (self.values < lo) | (self.values > hi)
            self.outside += int(self.counts[outside].sum())
        self.values, self.counts = None, hist

    def add(self, scores: np.ndarray, labels: np.ndarray) -> None:
        """Add scores (not NaN) with their 0/1 labels."""
        if scores.size == 0:
            return
        lab = labels.astype(np.int64)
        # A prefix with more than MAX_DISTINCT distinct values decides the mode without
        # sorting the whole batch (same outcome as the full np.unique below, ~10x cheaper).
        if (
            self.values is not None
            and scores.size > 2 * MAX_DISTINCT
            and np.unique(scores[: 2 * MAX_DISTINCT]).size > MAX_DISTINCT
        ):
            self._to_histogram()
        if self.values is not None:
            uniq, inv = np.unique(scores, return_inverse=True)
            if uniq.size <= MAX_DISTINCT:
                batch = np.bincount(inv * 2 + lab, minlength=uniq.size * 2).reshape(-1, 2)
                self._merge_exact(uniq, batch)
                return
            self._to_histogram()
        lo, hi = self.score_range
        self.outside += int(np.count_nonzero((scores < lo) | (scores > hi)))
        b = self._bin(scores)
        self.counts += np.bincount(b * 2 + lab, minlength=HIST_BINS * 2).reshape(-1, 2)

    def add_columns(self, score: Float64Column, cells: np.ndarray) -> ScoreStats:
        """Add a batch's rows with a 0/1 label and a score (cells 0..3 of `score_cells`).

        One native pass bins the scores and also marks 2 * HIST_BINS finer bins: more than
        MAX_DISTINCT of those hit proves more than MAX_DISTINCT distinct scores, hence
        histogram mode, with no sort. Otherwise (discrete scores, small batches, scores in a
        narrow range) the NumPy path of `add` decides. Returns the pass's sums and counts,
        which the performance accumulator also needs.
        """
        fine = np.zeros(HIST_BINS // 4, dtype=np.uint8)
        hist = self.counts if self.values is None else np.zeros((HIST_BINS, 2), dtype=np.int64)
        stats = score_stats(
            score,
            cells,
            score_range=self.score_range,
            auc_counts=hist,
            fine_seen=fine,
            fine_limit=-1 if self.values is None else MAX_DISTINCT,
        )
        if self.values is None:
            self.outside += stats.outside
            return stats
        if stats.distinct_fine > MAX_DISTINCT:
            if self.values.size:
                self._to_histogram()
                self.counts += hist
            else:
                self.values, self.counts = None, hist
            self.outside += stats.outside
            return stats
        use = cells <= 3  # a 0/1 label (cell >> 1) and a score
        self.add(score.values[use], cells[use] >> 1)
        return stats

    def _merge_exact(self, values: np.ndarray, counts: np.ndarray) -> None:
        assert self.values is not None
        allv = np.concatenate([self.values, values])
        uniq, inv = np.unique(allv, return_inverse=True)
        merged = np.zeros((uniq.size, 2), dtype=np.int64)
        np.add.at(merged, inv, np.concatenate([self.counts, counts]))
        self.values, self.counts = uniq, merged
        if uniq.size > MAX_DISTINCT:
            self._to_histogram()

    def merge(self, other: AucState) -> Self:
        """Exact merge (histogram mode if either side or the union needs it)."""
        if other.score_range != self.score_range:
            raise ValueError("cannot merge AUC states over different score ranges")
        out = self.empty()
        out.values, out.counts, out.outside = self.values, self.counts.copy(), self.outside
        if other.values is not None and out.values is not None:
            out._merge_exact(other.values, other.counts)
            return out
        out._to_histogram()
        if other.values is None:  # already a histogram: add it without a copy
            out.counts += other.counts
            out.outside += other.outside
            return out
        o = other.empty()
        o.values, o.counts, o.outside = other.values, other.counts.copy(), other.outside
        o._to_histogram()
        out.counts += o.counts
        out.outside += o.outside
        return out

    def to_state(self) -> dict[str, Any]:
        """JSON-safe exact state of the cells.

        Exact mode: the distinct scores (bit patterns, packed) with their [neg, pos] counts;
        histogram mode: the [bin, neg/pos] counts. Counts are packed narrow, dense or sparse
        (zlib + base64, see _state.py).
        """
        doc: dict[str, Any] = {"outside": self.outside}
        if self.values is not None:
            doc["values"] = packed_floats(self.values)
            doc["counts"] = packed_counts(self.counts)
        else:
            doc["histogram"] = packed_counts(self.counts)
        return doc

    def load_state(self, doc: dict[str, Any]) -> Self:
        """A state holding the counts of `to_state` output (same score range)."""
        out = self.empty()
        out.outside = int(doc["outside"])
        if "values" in doc:
            out.values = unpacked_floats(doc["values"])
            out.counts = unpacked_counts(doc["counts"], (out.values.size, 2))
        else:
            out.values = None
            out.counts = unpacked_counts(doc["histogram"], (HIST_BINS, 2))
        return out

    def positives_negatives(self) -> tuple[int, int]:
        """Labelled rows counted: (positives, negatives)."""
        return int(self.counts[:, 1].sum()), int(self.counts[:, 0].sum())

    def auc(self) -> tuple[float | None, float]:
        """(AUC or None without both classes, the bound on |AUC - exact AUC|)."""
        pos_total, neg_total = self.positives_negatives()
        if pos_total == 0 or neg_total == 0:
            return None, 0.0
        neg, pos = self.counts[:, 0], self.counts[:, 1]
        below = np.cumsum(neg) - neg  # negatives in strictly lower cells
        twice = int(np.sum(pos * (2 * below + neg)))  # exact integer: 2 * (wins + ties/2)
        denom = 2 * pos_total * neg_total
        bound = 0.0 if self.exact else int(np.sum(pos * neg)) / denom
        return twice / denom, bound
