"""Fairness metrics of one protected attribute (or intersection) from confusion counts.

State: for every group, int64 counts of 9 cells (decision 0/1 x label 0/1/missing/invalid, and
"no prediction"), so the state is exact, mergeable and a few hundred bytes per group. All
rates are ratios of these counts (definitions in docs/metrics-fairness.md). Disparities are
taken over the groups with at least `min_group_size` rows; smaller groups are reported with
status insufficient_data and left out of the disparities, so a handful of rows cannot decide
the largest gap.
"""

from __future__ import annotations

import json
import math
from typing import Any, Self

import numpy as np
import pyarrow as pa

from govern._native import group_cell_counts
from govern.metrics._batch import (
    BAD_LABEL,
    MISSING_PRED_CELL,
    N_CELLS,
    NEG,
    POS,
    UNLABELLED,
    group_codes,
    scored_rows,
)
from govern.metrics._grouped import GroupedResult
from govern.metrics._state import float_to_json
from govern.results import MetricRow

MISSING_GROUP = "(missing)"
GROUP_METRICS = (
    "selection_rate",
    "adverse_action_rate",
    "adverse_impact_ratio",
    "adverse_impact_p_value",
    "true_positive_rate",
    "false_positive_rate",
    "false_negative_rate",
    "accuracy",
)
ATTRIBUTE_METRICS = (
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "accuracy_difference",
    "min_adverse_impact_ratio",
)


def group_label(key: tuple[object, ...]) -> str:
    """`F` for one column, `F,white` for an intersection; a null value is `(missing)`."""
    return ",".join(MISSING_GROUP if v is None else str(v) for v in key)


def _cell(decision: int, state: int) -> int:
    return decision + 2 * state


class ConfusionCounts:
    """Derived counts of one group's 9 cells."""

    def __init__(self, cells: np.ndarray, favourable: int) -> None:
        c = [int(x) for x in cells]
        self.rows = sum(c)
        self.missing_prediction = c[MISSING_PRED_CELL]
        self.n = self.rows - self.missing_prediction  # rows with a decision
        self.selected = sum(c[_cell(1, s)] for s in (NEG, POS, UNLABELLED, BAD_LABEL))
        self.favoured = self.selected if favourable == 1 else self.n - self.selected
        self.tp, self.fn = c[_cell(1, POS)], c[_cell(0, POS)]
        self.fp, self.tn = c[_cell(1, NEG)], c[_cell(0, NEG)]
        self.unlabelled = c[_cell(0, UNLABELLED)] + c[_cell(1, UNLABELLED)]
        self.bad_label = c[_cell(0, BAD_LABEL)] + c[_cell(1, BAD_LABEL)]
        self.positives = self.tp + self.fn
        self.negatives = self.fp + self.tn
        self.labelled = self.positives + self.negatives

    def detail(self) -> dict[str, int]:
        """The counts every rate of the group is computed from."""
        return {
            "rows": self.rows,
            "n": self.n,
            "missing_prediction": self.missing_prediction,
            "selected": self.selected,
            "favoured": self.favoured,
            "labelled": self.labelled,
            "unlabelled": self.unlabelled,
            "invalid_label": self.bad_label,
            "tp": self.tp,
            "fp": self.fp,
            "tn": self.tn,
            "fn": self.fn,
        }


def two_proportion_p_value(x1: int, n1: int, x2: int, n2: int) -> float:
    """Two-sided pooled z-test that two proportions are equal (1.0 when undefined by ties)."""
    pooled = (x1 + x2) / (n1 + n2)
    var = pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)
    if var <= 0.0:
        return 1.0
    z = (x1 / n1 - x2 / n2) / math.sqrt(var)
    return math.erfc(abs(z) / math.sqrt(2.0))


FAVOURABLE_NOTE = (
    "monitoring.favourable_outcome is not declared, so decision 1 is taken as favourable; "
    "{what} is 1 for only {share:.1%} of rows, as for an adverse event (default, fraud, "
    "re-offending): if 1 is adverse, declare favourable_outcome: 0 (the default reverses "
    "every adverse impact ratio), else declare 1"
)


class FairnessAccumulator:
    """Selection, error and accuracy rates per group of one protected attribute."""

    def __init__(
        self,
        attribute: tuple[str, ...],
        *,
        prediction: str,
        label: str | None = None,
        threshold: float = 0.5,
        prediction_positive: tuple[Any, ...] | None = None,
        label_positive: tuple[Any, ...] | None = None,
        min_group_size: int = 30,
        favourable_outcome: int = 1,
        favourable_outcome_declared: bool = True,
    ) -> None:
        self.attribute = attribute
        self.favourable_outcome_declared = favourable_outcome_declared
        self.prediction = prediction
        self.label = label
        self.threshold = threshold
        self.prediction_positive = prediction_positive
        self.label_positive = label_positive
        self.min_group_size = min_group_size
        self.favourable_outcome = favourable_outcome
        self.cells: dict[tuple[object, ...], np.ndarray] = {}

    @property
    def name(self) -> str:
        """Subject of the attribute-level rows: `sex`, or `sex,race` for an intersection."""
        return ",".join(self.attribute)

    @property
    def columns(self) -> tuple[str, ...]:
        """Prediction, label (if any) and the attribute's columns."""
        cols = [self.prediction, *([self.label] if self.label else []), *self.attribute]
        return tuple(dict.fromkeys(cols))

    def empty(self) -> Self:
        """Same configuration, no counts."""
        return type(self)(
            self.attribute,
            prediction=self.prediction,
            label=self.label,
            threshold=self.threshold,
            prediction_positive=self.prediction_positive,
            label_positive=self.label_positive,
            min_group_size=self.min_group_size,
            favourable_outcome=self.favourable_outcome,
            favourable_outcome_declared=self.favourable_outcome_declared,
        )

    def update(self, batch: pa.RecordBatch | pa.Table) -> None:
        """Count the batch's rows into group x cell counts."""
        if batch.num_rows == 0:
            return
        rows = scored_rows(
            batch,
            self.prediction,
            self.label,
            self.threshold,
            prediction_positive=self.prediction_positive,
            label_positive=self.label_positive,
        )
        codes, keys = group_codes(batch, self.attribute)
        counts = group_cell_counts(rows.cells, codes)
        for i in np.flatnonzero(counts.sum(axis=1)):
            key = keys[i]
            if key in self.cells:
                self.cells[key] += counts[i]
            else:
                self.cells[key] = counts[i].copy()

    def merge(self, other: Self) -> Self:
        """Exact merge: counts added group by group."""
        out = self.empty()
        for src in (self.cells, other.cells):
            for key, c in src.items():
                out.cells[key] = out.cells[key] + c if key in out.cells else c.copy()
        return out

    @property
    def config(self) -> dict[str, Any]:
        """Attribute, columns, threshold, minimum group size and favourable outcome."""
        return {
            "attribute": list(self.attribute),
            "prediction": self.prediction,
            "label": self.label,
            "threshold": float_to_json(self.threshold),
            "prediction_positive": None
            if self.prediction_positive is None
            else list(self.prediction_positive),
            "label_positive": None if self.label_positive is None else list(self.label_positive),
            "min_group_size": self.min_group_size,
            "favourable_outcome": self.favourable_outcome,
        }

    def to_state(self) -> dict[str, Any]:
        """JSON-safe exact state: [group key, 9 cell counts] per group, in a stable order.

        Group values are what Arrow gives for string, integer and boolean columns (str, int,
        bool, None), all of which JSON holds exactly and distinctly.
        """
        groups = []
        for key, c in self.cells.items():
            for v in key:
                if v is not None and not isinstance(v, str | int):
                    raise TypeError(
                        f"fairness state: group value {v!r} of {self.name!r} is a "
                        f"{type(v).__name__}; valid types are: str, int, bool, None"
                    )
            groups.append([list(key), c.tolist()])
        groups.sort(key=lambda g: json.dumps(g[0]))
        return {"groups": groups}

    def load_state(self, doc: dict[str, Any]) -> Self:
        """A state holding the counts of `to_state` output (same configuration)."""
        out = self.empty()
        for key, counts in doc["groups"]:
            if len(key) != len(self.attribute):
                raise ValueError(
                    f"fairness state: group {key!r} does not match attribute {self.name!r}"
                )
            out.cells[tuple(key)] = np.array(counts, dtype=np.int64).reshape(N_CELLS)
        return out

    def _small(self, what: str, count: int) -> str:
        return f"{what} {count}, fewer than monitoring.min_group_size {self.min_group_size}"

    def finalize(self) -> list[MetricRow]:
        """Group rows (`attr=group`) and attribute rows (`attr`)."""
        name = self.name
        groups = {
            group_label(k): ConfusionCounts(c, self.favourable_outcome)
            for k, c in self.cells.items()
        }
        out: list[MetricRow] = []
        base = {"attribute": name, "columns": list(self.attribute)}
        if not groups or all(g.n == 0 for g in groups.values()):
            reason = "no rows with a prediction" if groups else "no rows in the data"
            return [
                MetricRow("fairness", name, m, None, "insufficient_data", reason, base)
                for m in ATTRIBUTE_METRICS
            ]
        eligible = {k: g for k, g in groups.items() if g.n >= self.min_group_size and g.n > 0}
        fav = {k: g.favoured / g.n for k, g in eligible.items()}
        best = max(fav, key=lambda k: (fav[k], k)) if fav else None
        rates: dict[str, dict[str, float | None]] = {m: {} for m in GROUP_METRICS}
        for key in sorted(groups):
            g = groups[key]
            subject = f"{name}={key}"
            detail = {**base, "group": key, **g.detail()}
            out.append(MetricRow("fairness", subject, "group_size", float(g.n), detail=detail))
            for metric, value, why in self._group_values(key, g, eligible, fav, best, groups):
                if key in eligible:
                    rates[metric][key] = value
                status = "ok" if value is not None else "insufficient_data"
                out.append(MetricRow("fairness", subject, metric, value, status, why, detail))
        out.extend(self._attribute_rows(groups, eligible, rates, best, base))
        return out

    def _group_values(
        self,
        key: str,
        g: ConfusionCounts,
        eligible: dict[str, ConfusionCounts],
        fav: dict[str, float],
        best: str | None,
        groups: dict[str, ConfusionCounts],
    ) -> list[tuple[str, float | None, str | None]]:
        if key not in eligible:
            reason = (
                self._small(f"group {key!r} has", g.n) + " rows with a prediction"
                if g.n
                else f"group {key!r} has no rows with a prediction"
            )
            return [(m, None, reason) for m in GROUP_METRICS]
        vals: list[tuple[str, float | None, str | None]] = [
            ("selection_rate", g.selected / g.n, None),
            ("adverse_action_rate", (g.n - g.favoured) / g.n, None),
        ]
        assert best is not None
        top = fav[best]
        if top > 0:
            b = groups[best]
            vals.append(("adverse_impact_ratio", fav[key] / top, None))
            p = two_proportion_p_value(g.favoured, g.n, b.favoured, b.n)
            vals.append(("adverse_impact_p_value", p, None))
        else:
            reason = "no group has a favourable outcome; the ratio is undefined"
            vals += [
                ("adverse_impact_ratio", None, reason),
                ("adverse_impact_p_value", None, reason),
            ]
        vals.extend(self._label_values(key, g))
        return vals

    def _label_values(
        self, key: str, g: ConfusionCounts
    ) -> list[tuple[str, float | None, str | None]]:
        label_metrics = (
            "true_positive_rate",
            "false_positive_rate",
            "false_negative_rate",
            "accuracy",
        )
        if self.label is None:
            reason = "no label column configured (monitoring.label)"
            return [(m, None, reason) for m in label_metrics]
        if g.labelled == 0:
            reason = f"group {key!r} has no labelled rows"
            return [(m, None, reason) for m in label_metrics]
        if g.labelled < self.min_group_size:
            reason = self._small(f"group {key!r} has", g.labelled) + " labelled rows"
            return [(m, None, reason) for m in label_metrics]
        no_pos = f"group {key!r} has no positive labels"
        no_neg = f"group {key!r} has no negative labels"
        return [
            (
                "true_positive_rate",
                g.tp / g.positives if g.positives else None,
                None if g.positives else no_pos,
            ),
            (
                "false_positive_rate",
                g.fp / g.negatives if g.negatives else None,
                None if g.negatives else no_neg,
            ),
            (
                "false_negative_rate",
                g.fn / g.positives if g.positives else None,
                None if g.positives else no_pos,
            ),
            ("accuracy", (g.tp + g.tn) / g.labelled, None),
        ]

    def _favourable_note(self, groups: dict[str, ConfusionCounts]) -> str | None:
        """A note when decision 1 is taken as favourable by default and the data doubts it.

        A rare label 1 (or, without labels, a rare decision 1) is typical of an adverse
        event (default, fraud, re-offending); with 1 adverse, the default would reverse every
        adverse impact ratio, so the note asks for the value to be declared.
        """
        if self.favourable_outcome_declared or self.favourable_outcome != 1:
            return None
        labelled = sum(g.labelled for g in groups.values())
        if labelled:
            rate, what = sum(g.positives for g in groups.values()) / labelled, "the label"
        else:
            n = sum(g.n for g in groups.values())
            rate, what = (sum(g.selected for g in groups.values()) / n if n else 1.0), "decision"
        if rate >= 0.5:
            return None
        return FAVOURABLE_NOTE.format(what=what, share=rate)

    def _attribute_rows(
        self,
        groups: dict[str, ConfusionCounts],
        eligible: dict[str, ConfusionCounts],
        rates: dict[str, dict[str, float | None]],
        best: str | None,
        base: dict[str, Any],
    ) -> list[MetricRow]:
        name = self.name
        detail = {
            **base,
            "groups": sorted(groups),
            "eligible_groups": sorted(eligible),
            "min_group_size": self.min_group_size,
            "most_favoured_group": best,
            "threshold": self.threshold,
            "favourable_outcome": self.favourable_outcome,
            "favourable_outcome_declared": self.favourable_outcome_declared,
        }
        note = self._favourable_note(groups)
        if note:
            detail["favourable_outcome_note"] = note
        out: list[MetricRow] = [
            MetricRow("fairness", name, "groups", float(len(groups)), detail=detail),
            MetricRow("fairness", name, "eligible_groups", float(len(eligible)), detail=detail),
        ]

        def row(metric: str, value: float | None, reason: str | None) -> None:
            status = "ok" if value is not None else "insufficient_data"
            out.append(MetricRow("fairness", name, metric, value, status, reason, detail))

        if len(eligible) < 2:
            reason = (
                f"{len(eligible)} group(s) with at least monitoring.min_group_size "
                f"{self.min_group_size} rows; a disparity needs two"
            )
            for m in ATTRIBUTE_METRICS:
                row(m, None, reason)
            return out

        def grouped(metric: str) -> GroupedResult:
            return GroupedResult(None, rates[metric])

        def undefined(metrics: tuple[str, ...]) -> str:
            missing = sorted({k for m in metrics for k, v in rates[m].items() if v is None})
            return f"undefined for group(s) {', '.join(missing)}"

        sel = grouped("selection_rate")
        row("demographic_parity_difference", sel.difference(), None)
        ratio = sel.ratio()
        row(
            "demographic_parity_ratio",
            ratio,
            None
            if ratio is not None
            else "no group has a selected outcome; the ratio is undefined",
        )
        tpr = grouped("true_positive_rate").difference()
        fpr = grouped("false_positive_rate").difference()
        if tpr is not None and fpr is not None:
            row("equalized_odds_difference", max(tpr, fpr), None)
        else:
            row(
                "equalized_odds_difference",
                None,
                undefined(("true_positive_rate", "false_positive_rate")),
            )
        acc = grouped("accuracy").difference()
        row("accuracy_difference", acc, None if acc is not None else undefined(("accuracy",)))
        air = grouped("adverse_impact_ratio").group_min()
        row(
            "min_adverse_impact_ratio",
            air,
            None
            if air is not None
            else "no group has a favourable outcome; the ratio is undefined",
        )
        return out
