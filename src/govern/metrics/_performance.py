"""Model performance on labelled inference rows, from exact mergeable state.

Classification: confusion counts at the threshold (accuracy, precision, recall, F1), AUC
(see _auc.py), Brier score and expected calibration error over 10 equal-width bins (sums kept
as ExactSum so merged scans agree bit for bit). Regression: RMSE and MAE. Both: label coverage,
the share of rows that carry a usable label (labels may arrive late).
"""

from __future__ import annotations

import math
from typing import Any, Self

import numpy as np
import pyarrow as pa

from govern.metrics._auc import MAX_AUC_ERROR, AucState
from govern.metrics._batch import (
    N_CELLS,
    as_float,
    column,
    scored_rows,
)
from govern.metrics._exactsum import ExactSum
from govern.metrics._fairness import ConfusionCounts
from govern.metrics._state import exactsum_from_json, exactsum_to_json, float_to_json
from govern.results import CLASSIFICATION_METRICS, REGRESSION_METRICS, MetricRow

ECE_BINS = 10


class PerformanceAccumulator:
    """Performance of one model over the scanned rows (classification or regression)."""

    # Each batch's Brier/ECE/error sums are rounded once to a float before the exact sum, so
    # the state depends on where batches start: the engine must hand whole row groups.
    whole_row_groups = True

    def __init__(
        self,
        *,
        prediction: str,
        label: str,
        task: str = "classification",
        threshold: float = 0.5,
        prediction_positive: tuple[Any, ...] | None = None,
        label_positive: tuple[Any, ...] | None = None,
        score_range: tuple[float, float] = (0.0, 1.0),
    ) -> None:
        self.prediction = prediction
        self.label = label
        self.task = task
        self.threshold = threshold
        self.prediction_positive = prediction_positive
        self.label_positive = label_positive
        self.score_range = score_range
        self.rows = 0
        self.cells = np.zeros(N_CELLS, dtype=np.int64)
        self.auc = AucState(score_range)
        self.outside_unit = 0  # labelled scores outside [0, 1]: no Brier/ECE
        self.sq_error = ExactSum()
        self.abs_error = ExactSum()
        self.ece_n = np.zeros(ECE_BINS, dtype=np.int64)
        self.ece_pos = np.zeros(ECE_BINS, dtype=np.int64)
        self.ece_score = [ExactSum() for _ in range(ECE_BINS)]
        self.reg_n = 0  # regression: rows with finite prediction and label
        self.reg_missing_prediction = 0
        self.reg_missing_label = 0

    @property
    def columns(self) -> tuple[str, ...]:
        """Prediction and label."""
        return tuple(dict.fromkeys((self.prediction, self.label)))

    def empty(self) -> Self:
        """Same configuration, no data."""
        return type(self)(
            prediction=self.prediction,
            label=self.label,
            task=self.task,
            threshold=self.threshold,
            prediction_positive=self.prediction_positive,
            label_positive=self.label_positive,
            score_range=self.score_range,
        )

    def update(self, batch: pa.RecordBatch | pa.Table) -> None:
        """Fold one batch."""
        if batch.num_rows == 0:
            return
        self.rows += batch.num_rows
        if self.task == "regression":
            pred, _ = as_float(column(batch, self.prediction), self.prediction)
            label, _ = as_float(column(batch, self.label), self.label)
            self._update_regression(pred, label)
            return
        rows = scored_rows(
            batch,
            self.prediction,
            self.label,
            self.threshold,
            prediction_positive=self.prediction_positive,
            label_positive=self.label_positive,
        )
        self.cells += rows.counts
        stats = self.auc.add_columns(rows.score, rows.cells)
        self.outside_unit += stats.outside_unit
        if stats.used > stats.outside_unit:
            self.sq_error.add(stats.sq_error)
            self.ece_n += stats.ece_n
            self.ece_pos += stats.ece_pos
            for i, total in enumerate(stats.ece_score):
                if total:
                    self.ece_score[i].add(total)

    def _update_regression(self, pred: np.ndarray, label: np.ndarray) -> None:
        good_pred = np.isfinite(pred)
        good_label = np.isfinite(label)
        self.reg_missing_prediction += int(pred.size - np.count_nonzero(good_pred))
        self.reg_missing_label += int(np.count_nonzero(good_pred & ~good_label))
        use = good_pred & good_label
        err = pred[use] - label[use]
        self.reg_n += int(err.size)
        if err.size:
            self.sq_error.add(float(np.sum(err * err)))
            self.abs_error.add(float(np.sum(np.abs(err))))

    def merge(self, other: Self) -> Self:
        """Exact merge of every count and sum."""
        out = self.empty()
        out.rows = self.rows + other.rows
        out.cells = self.cells + other.cells
        out.auc = self.auc.merge(other.auc)
        out.outside_unit = self.outside_unit + other.outside_unit
        out.sq_error = self.sq_error.merge(other.sq_error)
        out.abs_error = self.abs_error.merge(other.abs_error)
        out.ece_n = self.ece_n + other.ece_n
        out.ece_pos = self.ece_pos + other.ece_pos
        out.ece_score = [a.merge(b) for a, b in zip(self.ece_score, other.ece_score, strict=True)]
        out.reg_n = self.reg_n + other.reg_n
        out.reg_missing_prediction = self.reg_missing_prediction + other.reg_missing_prediction
        out.reg_missing_label = self.reg_missing_label + other.reg_missing_label
        return out

    @property
    def config(self) -> dict[str, Any]:
        """Columns, task, threshold and AUC score range."""
        return {
            "prediction": self.prediction,
            "label": self.label,
            "task": self.task,
            "threshold": float_to_json(self.threshold),
            "prediction_positive": None
            if self.prediction_positive is None
            else list(self.prediction_positive),
            "label_positive": None if self.label_positive is None else list(self.label_positive),
            "score_range": [float_to_json(x) for x in self.score_range],
        }

    def to_state(self) -> dict[str, Any]:
        """JSON-safe exact state: counts as ints, sums as ExactSum units, AUC cells."""
        return {
            "rows": self.rows,
            "cells": self.cells.tolist(),
            "auc": self.auc.to_state(),
            "outside_unit": self.outside_unit,
            "sq_error": exactsum_to_json(self.sq_error),
            "abs_error": exactsum_to_json(self.abs_error),
            "ece_n": self.ece_n.tolist(),
            "ece_pos": self.ece_pos.tolist(),
            "ece_score": [exactsum_to_json(s) for s in self.ece_score],
            "reg_n": self.reg_n,
            "reg_missing_prediction": self.reg_missing_prediction,
            "reg_missing_label": self.reg_missing_label,
        }

    def load_state(self, doc: dict[str, Any]) -> Self:
        """A state holding the counts and sums of `to_state` output (same configuration)."""
        out = self.empty()
        out.rows = int(doc["rows"])
        out.cells = np.array(doc["cells"], dtype=np.int64).reshape(N_CELLS)
        out.auc = self.auc.load_state(doc["auc"])
        out.outside_unit = int(doc["outside_unit"])
        out.sq_error = exactsum_from_json(doc["sq_error"])
        out.abs_error = exactsum_from_json(doc["abs_error"])
        out.ece_n = np.array(doc["ece_n"], dtype=np.int64).reshape(ECE_BINS)
        out.ece_pos = np.array(doc["ece_pos"], dtype=np.int64).reshape(ECE_BINS)
        out.ece_score = [exactsum_from_json(v) for v in doc["ece_score"]]
        if len(out.ece_score) != ECE_BINS:
            raise ValueError(f"stored state has {len(out.ece_score)} ECE sums, not {ECE_BINS}")
        out.reg_n = int(doc["reg_n"])
        out.reg_missing_prediction = int(doc["reg_missing_prediction"])
        out.reg_missing_label = int(doc["reg_missing_label"])
        return out

    def finalize(self) -> list[MetricRow]:
        """Performance rows (subject "") and label coverage."""
        if self.task == "regression":
            return self._finalize_regression()
        c = ConfusionCounts(self.cells, 1)
        detail: dict[str, Any] = {"rows": self.rows, "threshold": self.threshold, **c.detail()}
        out: list[MetricRow] = []

        def row(
            metric: str,
            value: float | None,
            reason: str | None = None,
            status: str = "insufficient_data",
            extra: dict[str, Any] | None = None,
        ) -> None:
            d = {**detail, **(extra or {})}
            if value is None:
                out.append(MetricRow("performance", "", metric, None, status, reason, d))
            else:
                out.append(MetricRow("performance", "", metric, value, detail=d))

        if self.rows == 0:
            row("label_coverage", None, "no rows in the data")
        else:
            row("label_coverage", c.labelled / self.rows)
        if c.labelled == 0:
            reason = "no rows with both a prediction and a 0/1 label"
            for m in CLASSIFICATION_METRICS:
                row(m, None, reason)
            return out
        auc, bound = self.auc.auc()
        auc_detail = {
            "auc_method": "exact" if self.auc.exact else "histogram",
            "auc_max_error": bound,
            "scores_outside_range": self.auc.outside,
        }
        if auc is None:
            row("auc", None, "labelled rows hold only one class; AUC needs both", extra=auc_detail)
        elif bound > MAX_AUC_ERROR:
            row(
                "auc",
                None,
                f"histogram AUC error bound {bound:.2g} exceeds {MAX_AUC_ERROR}; set "
                "monitoring.score_range to the range of the scores",
                "invalid",
                auc_detail,
            )
        else:
            row("auc", auc, extra=auc_detail)
        row("accuracy", (c.tp + c.tn) / c.labelled)
        sel = c.tp + c.fp
        row("precision", c.tp / sel if sel else None, "no labelled row was predicted positive")
        row("recall", c.tp / c.positives if c.positives else None, "no positive labels")
        denom = 2 * c.tp + c.fp + c.fn
        row("f1", 2 * c.tp / denom if denom else None, "no positive labels or predictions")
        self._calibration(row)
        return out

    def hard_predictions(self) -> bool:
        """Whether every labelled score is exactly 0 or 1 (or the prediction is a mapping).

        Read from the calibration bins: bin 0 holds scores in [0, 0.1), so a zero sum means
        only zeros; the last bin holds [0.9, 1], so a sum equal to its count means only ones.
        """
        if self.prediction_positive is not None:
            return True
        inner = self.ece_n[1:-1].sum()
        return bool(
            inner == 0
            and self.ece_score[0].value == 0.0
            and self.ece_score[-1].value == float(self.ece_n[-1])
        )

    def _calibration(self, row: Any) -> None:
        n = int(self.ece_n.sum())
        if self.outside_unit:
            reason = (
                f"{self.outside_unit} labelled scores outside [0, 1]; Brier and calibration "
                "need probabilities"
            )
            row("brier_score", None, reason, "invalid")
            row("expected_calibration_error", None, reason, "invalid")
            return
        if n == 0:
            reason = "no labelled rows with a score"
            row("brier_score", None, reason)
            row("expected_calibration_error", None, reason)
            return
        if self.hard_predictions():
            reason = (
                "the predictions are hard 0/1 decisions, not probabilities; Brier score and "
                "calibration error measure probabilities and are not applicable"
            )
            row("brier_score", None, reason, "not_applicable")
            row("expected_calibration_error", None, reason, "not_applicable")
            return
        row("brier_score", self.sq_error.value / n)
        ece = 0.0
        bins: list[dict[str, float | None]] = []
        for i in range(ECE_BINS):
            nb = int(self.ece_n[i])
            if nb == 0:
                bins.append({"n": 0, "mean_score": None, "positive_rate": None})
                continue
            mean_score = self.ece_score[i].value / nb
            rate = int(self.ece_pos[i]) / nb
            ece += nb / n * abs(rate - mean_score)
            bins.append({"n": nb, "mean_score": mean_score, "positive_rate": rate})
        row("expected_calibration_error", ece, extra={"ece_bins": bins})

    def _finalize_regression(self) -> list[MetricRow]:
        detail = {
            "rows": self.rows,
            "n": self.reg_n,
            "missing_prediction": self.reg_missing_prediction,
            "missing_label": self.reg_missing_label,
        }
        out = []
        if self.rows == 0:
            out.append(
                MetricRow(
                    "performance",
                    "",
                    "label_coverage",
                    None,
                    "insufficient_data",
                    "no rows in the data",
                    detail,
                )
            )
        else:
            out.append(
                MetricRow(
                    "performance", "", "label_coverage", self.reg_n / self.rows, detail=detail
                )
            )
        if self.reg_n == 0:
            reason = "no rows with both a finite prediction and a finite label"
            out += [
                MetricRow("performance", "", m, None, "insufficient_data", reason, detail)
                for m in REGRESSION_METRICS
            ]
            return out
        out.append(
            MetricRow(
                "performance",
                "",
                "rmse",
                math.sqrt(self.sq_error.value / self.reg_n),
                detail=detail,
            )
        )
        out.append(
            MetricRow("performance", "", "mae", self.abs_error.value / self.reg_n, detail=detail)
        )
        return out
