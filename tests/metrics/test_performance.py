from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    f1_score,
    mean_absolute_error,
    mean_squared_error,
    precision_score,
    recall_score,
    roc_auc_score,
)

from govern.metrics import PerformanceAccumulator
from tests.metrics._data import make_log, rows_by, scan_parts, write

EXACT = 1e-12


def _acc(**kw: object) -> PerformanceAccumulator:
    return PerformanceAccumulator(prediction="score", label="label", **kw)  # type: ignore[arg-type]


def _labelled(table: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    ok = table["label"].is_valid().to_numpy(zero_copy_only=False)
    s = table["score"].to_numpy(zero_copy_only=False)
    ok &= ~np.isnan(s)
    return s[ok], table["label"].to_numpy(zero_copy_only=False)[ok].astype(int)


def _ece(s: np.ndarray, y: np.ndarray) -> float:
    b = np.minimum((s * 10).astype(int), 9)
    total = 0.0
    for i in range(10):
        m = b == i
        if m.any():
            total += m.mean() * abs(y[m].mean() - s[m].mean())
    return float(total)


@pytest.mark.parametrize("decimals", [3, None])
def test_matches_scikit_learn(tmp_path: Path, decimals: int | None) -> None:
    t = make_log(30_000 if decimals is not None else 120_000)
    if decimals is not None:  # discrete scores: exact AUC mode
        t = t.set_column(0, "score", pa.array(np.round(t["score"].to_numpy(), decimals)))
    path = write(t, tmp_path / "log.parquet", row_group_size=4000)
    rows = rows_by(scan_parts(path, _acc(), parts=3).finalize())
    s, y = _labelled(t)
    yp = (s >= 0.5).astype(int)
    auc = rows[("", "auc")]
    exact = roc_auc_score(y, s)
    if decimals is not None:
        assert auc.detail["auc_method"] == "exact"
        assert abs(auc.value - exact) <= EXACT
    else:
        assert auc.detail["auc_method"] == "histogram"
        bound = auc.detail["auc_max_error"]
        assert bound <= 1e-3
        assert abs(auc.value - exact) <= bound
    assert abs(rows[("", "accuracy")].value - accuracy_score(y, yp)) <= EXACT
    assert abs(rows[("", "precision")].value - precision_score(y, yp)) <= EXACT
    assert abs(rows[("", "recall")].value - recall_score(y, yp)) <= EXACT
    assert abs(rows[("", "f1")].value - f1_score(y, yp)) <= EXACT
    assert abs(rows[("", "brier_score")].value - brier_score_loss(y, s)) <= EXACT
    assert abs(rows[("", "expected_calibration_error")].value - _ece(s, y)) <= EXACT
    assert rows[("", "label_coverage")].value == len(y) / len(t)


def test_split_and_merge_equals_single_pass(tmp_path: Path) -> None:
    t = make_log(10_000)
    path = write(t, tmp_path / "log.parquet", row_group_size=700)
    one = _acc()
    one.update(t)
    single, merged = one.finalize(), scan_parts(path, _acc(), parts=4).finalize()
    assert [(r.metric, r.status) for r in single] == [(r.metric, r.status) for r in merged]
    for a, b in zip(single, merged, strict=True):
        # counts are identical; float sums (Brier, ECE) differ only by batch-wise rounding
        assert a.value == pytest.approx(b.value, rel=EXACT, abs=0), a.metric
        assert {k: v for k, v in a.detail.items() if k != "ece_bins"} == {
            k: v for k, v in b.detail.items() if k != "ece_bins"
        }


def test_no_labels_one_class_and_equal_predictions(tmp_path: Path) -> None:
    t = make_log(1000)
    nolab = t.set_column(1, "label", pa.nulls(len(t), pa.int64()))
    rows = rows_by(
        scan_parts(write(nolab, tmp_path / "a.parquet", row_group_size=300), _acc()).finalize()
    )
    assert rows[("", "label_coverage")].value == 0.0
    assert rows[("", "auc")].reason == "no rows with both a prediction and a 0/1 label"
    ones = t.set_column(1, "label", pa.array(np.ones(len(t), dtype=np.int64)))
    rows = rows_by(scan_parts(write(ones, tmp_path / "b.parquet"), _acc()).finalize())
    assert rows[("", "auc")].reason == "labelled rows hold only one class; AUC needs both"
    assert rows[("", "auc")].status == "insufficient_data"
    flat = t.set_column(0, "score", pa.array(np.full(len(t), 0.7)))
    rows = rows_by(scan_parts(write(flat, tmp_path / "c.parquet"), _acc()).finalize())
    s, y = _labelled(flat)
    assert rows[("", "auc")].value == roc_auc_score(y, s) == 0.5
    assert abs(rows[("", "brier_score")].value - brier_score_loss(y, s)) <= EXACT


def test_zero_rows(tmp_path: Path) -> None:
    path = write(make_log(5).slice(0, 0), tmp_path / "e.parquet")
    rows = rows_by(scan_parts(path, _acc()).finalize())
    assert rows[("", "label_coverage")].reason == "no rows in the data"
    assert all(r.value is None for r in rows.values())


def test_scores_outside_unit_interval(tmp_path: Path) -> None:
    t = make_log(2000)
    logits = t["score"].to_numpy() * 8 - 4
    t = t.set_column(0, "score", pa.array(logits))
    path = write(t, tmp_path / "logit.parquet", row_group_size=500)
    rows = rows_by(scan_parts(path, _acc(threshold=0.0)).finalize())
    assert rows[("", "brier_score")].status == "invalid"
    s, y = _labelled(t)
    assert abs(rows[("", "auc")].value - roc_auc_score(y, s)) <= EXACT  # exact mode
    # continuous logits past the distinct cap fall to the histogram over score_range
    big = make_log(80_000)
    big = big.set_column(0, "score", pa.array(big["score"].to_numpy() * 8 - 4))
    path = write(big, tmp_path / "big.parquet", row_group_size=20_000)
    r = rows_by(scan_parts(path, _acc(threshold=0.0)).finalize())[("", "auc")]
    assert r.status == "invalid" and r.value is None
    assert "set monitoring.score_range" in (r.reason or "")
    ok = rows_by(scan_parts(path, _acc(threshold=0.0, score_range=(-4.0, 4.0))).finalize())
    s, y = _labelled(big)
    assert (
        abs(ok[("", "auc")].value - roc_auc_score(y, s))
        <= ok[("", "auc")].detail["auc_max_error"]
        <= 1e-3
    )


def test_regression_rmse_mae(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    n = 5000
    y = rng.normal(100, 20, n)
    pred = y + rng.normal(0, 5, n)
    pred[::13] = np.nan
    mask = rng.random(n) < 0.2
    t = pa.table({"score": pred, "label": pa.array(y, mask=mask)})
    path = write(t, tmp_path / "reg.parquet", row_group_size=600)
    rows = rows_by(scan_parts(path, _acc(task="regression")).finalize())
    keep = ~mask & ~np.isnan(pred)
    rmse = np.sqrt(mean_squared_error(y[keep], pred[keep]))
    assert abs(rows[("", "rmse")].value - rmse) <= EXACT * rmse
    mae = mean_absolute_error(y[keep], pred[keep])
    assert abs(rows[("", "mae")].value - mae) <= EXACT * mae
    assert rows[("", "label_coverage")].value == keep.sum() / n
