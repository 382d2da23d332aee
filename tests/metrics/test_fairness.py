from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from sklearn.metrics import accuracy_score

from govern.metrics import FairnessAccumulator, two_proportion_p_value
from tests.metrics._data import make_log, rows_by, scan_parts, write

EXACT = 1e-12


def _acc(attr: tuple[str, ...] = ("group",), **kw: object) -> FairnessAccumulator:
    opts: dict[str, object] = {"prediction": "score", "label": "label", "min_group_size": 30}
    opts.update(kw)
    return FairnessAccumulator(attr, **opts)  # type: ignore[arg-type]


@pytest.fixture
def log(tmp_path: Path) -> tuple[pa.Table, Path]:
    t = make_log(20_000)
    return t, write(t, tmp_path / "log.parquet")


def test_matches_fairlearn_metricframe(log: tuple[pa.Table, Path]) -> None:
    table, path = log
    rows = rows_by(scan_parts(path, _acc(), parts=4).finalize())
    score = table["score"].to_numpy()
    y_pred = (score >= 0.5).astype(int)
    groups = table["group"].to_numpy(zero_copy_only=False)
    # selection rate over every scored row
    mf = MetricFrame(
        metrics={"selection_rate": selection_rate},
        y_true=y_pred,
        y_pred=y_pred,
        sensitive_features=groups,
    )
    for g, v in mf.by_group["selection_rate"].items():
        assert abs(rows[(f"group={g}", "selection_rate")].value - v) <= EXACT
        assert abs(rows[(f"group={g}", "adverse_action_rate")].value - (1 - v)) <= EXACT
    assert (
        abs(
            rows[("group", "demographic_parity_difference")].value
            - demographic_parity_difference(y_pred, y_pred, sensitive_features=groups)
        )
        <= EXACT
    )
    assert (
        abs(
            rows[("group", "demographic_parity_ratio")].value
            - demographic_parity_ratio(y_pred, y_pred, sensitive_features=groups)
        )
        <= EXACT
    )
    # label-based metrics over the labelled rows
    labelled = table["label"].is_valid().to_numpy(zero_copy_only=False)
    y = table["label"].to_numpy(zero_copy_only=False)[labelled].astype(int)
    yp, gl = y_pred[labelled], groups[labelled]
    mf = MetricFrame(
        metrics={
            "tpr": true_positive_rate,
            "fpr": false_positive_rate,
            "fnr": false_negative_rate,
            "accuracy": accuracy_score,
        },
        y_true=y,
        y_pred=yp,
        sensitive_features=gl,
    )
    names = {
        "tpr": "true_positive_rate",
        "fpr": "false_positive_rate",
        "fnr": "false_negative_rate",
        "accuracy": "accuracy",
    }
    for col, metric in names.items():
        for g, v in mf.by_group[col].items():
            assert abs(rows[(f"group={g}", metric)].value - v) <= EXACT, (g, metric)
    assert (
        abs(
            rows[("group", "equalized_odds_difference")].value
            - equalized_odds_difference(y, yp, sensitive_features=gl)
        )
        <= EXACT
    )
    assert abs(rows[("group", "accuracy_difference")].value - mf.difference()["accuracy"]) <= EXACT
    # adverse impact ratio against the most favoured group (favourable outcome 1 = selected)
    sel = MetricFrame(
        metrics=selection_rate, y_true=y_pred, y_pred=y_pred, sensitive_features=groups
    ).by_group
    for g, v in sel.items():
        assert abs(rows[(f"group={g}", "adverse_impact_ratio")].value - v / sel.max()) <= EXACT
    assert rows[("group", "groups")].value == 3
    assert rows[("group", "demographic_parity_difference")].detail["most_favoured_group"] == "C"


def test_split_and_merge_equals_single_pass(log: tuple[pa.Table, Path]) -> None:
    table, path = log
    one = _acc()
    one.update(table)
    merged = scan_parts(path, _acc(), parts=5)
    assert one.finalize() == merged.finalize()


def test_favourable_outcome_zero_flips_adverse_action(log: tuple[pa.Table, Path]) -> None:
    table, path = log
    rows = rows_by(scan_parts(path, _acc(favourable_outcome=0)).finalize())
    y_pred = (table["score"].to_numpy() >= 0.5).astype(int)
    groups = table["group"].to_numpy(zero_copy_only=False)
    fav = {g: float(np.mean(y_pred[groups == g] == 0)) for g in ("A", "B", "C")}
    best = max(fav.values())
    for g, v in fav.items():
        assert abs(rows[(f"group={g}", "adverse_action_rate")].value - (1 - v)) <= EXACT
        assert abs(rows[(f"group={g}", "adverse_impact_ratio")].value - v / best) <= EXACT
    assert rows[("group", "demographic_parity_difference")].detail["most_favoured_group"] == "A"


def test_intersection_groups(log: tuple[pa.Table, Path]) -> None:
    table, path = log
    rows = rows_by(scan_parts(path, _acc(("group", "region"))).finalize())
    y_pred = (table["score"].to_numpy() >= 0.5).astype(int)
    sf = {
        "group": table["group"].to_numpy(zero_copy_only=False),
        "region": table["region"].to_numpy(zero_copy_only=False),
    }
    mf = MetricFrame(metrics=selection_rate, y_true=y_pred, y_pred=y_pred, sensitive_features=sf)
    for (g, r), v in mf.by_group.items():
        assert abs(rows[(f"group,region={g},{r}", "selection_rate")].value - v) <= EXACT
    assert (
        abs(rows[("group,region", "demographic_parity_difference")].value - mf.difference())
        <= EXACT
    )


def test_small_group_is_insufficient_and_left_out(tmp_path: Path) -> None:
    t = make_log(3000)
    small = make_log(12, seed=3, groups=("D",))
    table = pa.concat_tables([t, small])
    path = write(table, tmp_path / "log.parquet", row_group_size=500)
    rows = rows_by(scan_parts(path, _acc()).finalize())
    r = rows[("group=D", "selection_rate")]
    assert r.value is None and r.status == "insufficient_data"
    assert (
        r.reason
        == "group 'D' has 12, fewer than monitoring.min_group_size 30 rows with a prediction"
    )
    assert rows[("group=D", "group_size")].value == 12
    # disparity over the eligible groups only, as fairlearn computes it on their rows
    keep = table["group"].to_numpy(zero_copy_only=False) != "D"
    y_pred = (table["score"].to_numpy() >= 0.5).astype(int)[keep]
    g = table["group"].to_numpy(zero_copy_only=False)[keep]
    assert (
        abs(
            rows[("group", "demographic_parity_difference")].value
            - demographic_parity_difference(y_pred, y_pred, sensitive_features=g)
        )
        <= EXACT
    )
    assert rows[("group", "eligible_groups")].value == 3


def test_one_group_only(tmp_path: Path) -> None:
    path = write(make_log(500, groups=("A",)), tmp_path / "one.parquet", row_group_size=100)
    rows = rows_by(scan_parts(path, _acc()).finalize())
    assert rows[("group=A", "selection_rate")].status == "ok"
    for m in ("demographic_parity_difference", "equalized_odds_difference"):
        r = rows[("group", m)]
        assert r.value is None and r.status == "insufficient_data"
        assert (
            r.reason
            == "1 group(s) with at least monitoring.min_group_size 30 rows; a disparity needs two"
        )


def test_group_without_positives(tmp_path: Path) -> None:
    t = make_log(2000)
    lab = np.where(
        t["group"].to_numpy(zero_copy_only=False) == "A",
        0,
        t["label"].to_numpy(zero_copy_only=False),
    )
    t = t.set_column(1, "label", pa.array(lab.astype(float), from_pandas=True).cast(pa.int64()))
    path = write(t, tmp_path / "nopos.parquet", row_group_size=300)
    rows = rows_by(scan_parts(path, _acc()).finalize())
    r = rows[("group=A", "true_positive_rate")]
    assert r.value is None and r.reason == "group 'A' has no positive labels"
    assert rows[("group=A", "false_positive_rate")].status == "ok"
    eod = rows[("group", "equalized_odds_difference")]
    assert eod.value is None and eod.reason == "undefined for group(s) A"


def test_no_labels_at_all(tmp_path: Path) -> None:
    t = make_log(1000)
    t = t.set_column(1, "label", pa.nulls(len(t), pa.int64()))
    path = write(t, tmp_path / "nolabel.parquet", row_group_size=200)
    rows = rows_by(scan_parts(path, _acc()).finalize())
    assert rows[("group=A", "selection_rate")].status == "ok"
    for m in ("true_positive_rate", "accuracy"):
        r = rows[("group=B", m)]
        assert r.value is None and r.reason == "group 'B' has no labelled rows"
    assert rows[("group", "equalized_odds_difference")].value is None
    assert rows[("group", "demographic_parity_ratio")].status == "ok"
    no_label_col = rows_by(scan_parts(path, _acc(label=None)).finalize())
    assert no_label_col[("group=A", "accuracy")].reason == (
        "no label column configured (monitoring.label)"
    )


def test_all_predictions_equal(tmp_path: Path) -> None:
    t = make_log(1000)
    t = t.set_column(0, "score", pa.array(np.full(len(t), 0.2)))
    path = write(t, tmp_path / "flat.parquet", row_group_size=250)
    rows = rows_by(scan_parts(path, _acc()).finalize())
    assert rows[("group", "demographic_parity_difference")].value == 0.0
    r = rows[("group", "demographic_parity_ratio")]
    assert r.value is None and r.reason == "no group has a selected outcome; the ratio is undefined"
    assert rows[("group=A", "adverse_impact_ratio")].value is None
    # everyone rejected: fairlearn's TPR is 0 for every group, FPR 0
    assert rows[("group", "equalized_odds_difference")].value == 0.0


def test_zero_rows_and_nan_scores(tmp_path: Path) -> None:
    empty = make_log(10).slice(0, 0)
    path = write(empty, tmp_path / "empty.parquet")
    rows = scan_parts(path, _acc()).finalize()
    assert rows and all(r.value is None and r.reason == "no rows in the data" for r in rows)
    t = make_log(2000)
    s = t["score"].to_numpy().copy()
    s[::7] = np.nan
    t = t.set_column(0, "score", pa.array(s, mask=np.arange(len(s)) % 11 == 0))
    path = write(t, tmp_path / "nan.parquet", row_group_size=300)
    rows = rows_by(scan_parts(path, _acc()).finalize())
    keep = ~np.isnan(s) & (np.arange(len(s)) % 11 != 0)
    g = t["group"].to_numpy(zero_copy_only=False)
    y_pred = (s >= 0.5).astype(int)
    for grp in ("A", "B", "C"):
        m = keep & (g == grp)
        r = rows[(f"group={grp}", "selection_rate")]
        assert abs(r.value - y_pred[m].mean()) <= EXACT
        assert r.detail["missing_prediction"] == int(np.sum(~keep & (g == grp)))


def test_null_group_value_is_its_own_group(tmp_path: Path) -> None:
    t = make_log(1000)
    t = t.set_column(2, "group", pa.array(t["group"].to_pylist(), mask=np.arange(len(t)) % 5 == 0))
    path = write(t, tmp_path / "nullgroup.parquet", row_group_size=200)
    rows = rows_by(scan_parts(path, _acc()).finalize())
    assert rows[("group=(missing)", "group_size")].value == 200


def test_p_value_two_proportion_z_test() -> None:
    # Hand-computed: 50/100 vs 30/100 -> pooled 0.4, se = sqrt(0.24 * 0.02), z = 2.8868
    p = two_proportion_p_value(50, 100, 30, 100)
    assert abs(p - 0.0038924171227786) < 1e-9
    assert two_proportion_p_value(0, 10, 0, 10) == 1.0
