"""Predictions and labels as people store them (issue 13, item 4), end to end on parquet.

A categorical score (`score_text` = Low/Medium/High) and a text label (`income` = ">50K")
are mapped to 0/1 by the card; fairness and performance are then checked against plain
numpy and scikit-learn on the mapped values. Also: the favourable outcome is stated in the
evidence, Brier/ECE are not_applicable on hard decisions, and the card's monitoring keys are
checked at register time with the line of the bad key.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.metrics import accuracy_score, roc_auc_score

from govern.cards import FAVOURABLE_DEFAULT, parse_card
from govern.errors import ModelCardError
from govern.lifecycle import ModelRef
from govern.metrics._fairness import FAVOURABLE_NOTE
from govern.runner.baseline import baseline
from govern.runner.evidence_doc import evidence_document
from govern.runner.scan import scan
from govern.store import Store
from govern.store.registry import upsert_card

HEAD = """name: m
version: "1"
owner: o@example.com
risk_tier: 2
use_case: test
"""
MAPPED = (
    HEAD
    + """monitoring:
  features: [x]
  prediction: {column: score_text, positive: [Medium, High]}
  label: {column: income, positive: [">50K"]}
  protected: [race]
  min_group_size: 20
  favourable_outcome: 0
"""
)
N = 6_000


def _log(seed: int, text_type: pa.DataType) -> pa.Table:
    rng = np.random.default_rng(seed)
    race = rng.choice(["a", "b", "c"], N, p=[0.5, 0.3, 0.2])
    risk = rng.random(N) + np.where(race == "c", 0.15, 0.0)
    band = np.where(risk < 0.5, "Low", np.where(risk < 0.85, "Medium", "High"))
    income = np.where(rng.random(N) < 0.2 + 0.5 * (risk > 0.6), ">50K", "<=50K")
    band_arr = pa.array(band.tolist(), mask=rng.random(N) < 0.02).cast(text_type)
    return pa.table(
        {
            "x": rng.normal(size=N),
            "score_text": band_arr,
            "income": pa.array(income.tolist()).cast(text_type),
            "race": race.tolist(),
        }
    )


def _measure(tmp_path: Path, card: str, log: pa.Table) -> dict:
    tmp_path.mkdir(parents=True, exist_ok=True)
    pq.write_table(log, tmp_path / "log.parquet")
    with Store.open(tmp_path / "g.duckdb", create=True) as store:
        upsert_card(store, parse_card(card, "m.yaml"))
        baseline(store, ModelRef("m", "1"), data=[tmp_path / "log.parquet"])
        scan(store, ModelRef("m", "1"), data=[tmp_path / "log.parquet"])
        return evidence_document(store, "m", "1")


TEXT = [pa.string(), pa.large_string(), pa.dictionary(pa.int32(), pa.string())]


@pytest.mark.parametrize("text_type", TEXT, ids=str)
def test_mapped_prediction_and_label_match_numpy_and_sklearn(
    tmp_path: Path, text_type: pa.DataType
) -> None:
    log = _log(3, text_type)
    doc = _measure(tmp_path, MAPPED, log)
    band = np.array(log["score_text"].cast(pa.string()).to_pylist(), dtype=object)
    scored = band != None  # noqa: E711 (a null band has no decision)
    decision = np.isin(band, ["Medium", "High"]).astype(int)
    label = (np.array(log["income"].cast(pa.string()).to_pylist()) == ">50K").astype(int)
    race = np.array(log["race"].to_pylist())

    perf = doc["performance"]
    assert perf["accuracy"] == pytest.approx(accuracy_score(label[scored], decision[scored]))
    assert perf["auc"] == pytest.approx(roc_auc_score(label[scored], decision[scored]), abs=1e-12)
    assert perf["brier_score"] is None  # hard decisions: not applicable, and the section is ok
    assert perf["status"] == "ok"

    fair = doc["fairness"]
    assert fair["favourable_outcome"] == 0 and fair["favourable_outcome_declared"] is True
    assert fair["notes"] == []
    groups = {g["group"]: g for g in fair["by_attr"]["race"]["groups"]}
    favoured = {k: np.mean(decision[scored & (race == k)] == 0) for k in "abc"}
    for k in "abc":
        assert groups[k]["n"] == int(np.sum(scored & (race == k)))
        assert groups[k]["selection_rate"] == pytest.approx(np.mean(decision[scored & (race == k)]))
        expected_air = favoured[k] / max(favoured.values())
        assert groups[k]["adverse_impact_ratio"] == pytest.approx(expected_air, rel=1e-12)


def test_hard_numeric_decisions_make_brier_not_applicable(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    label = (rng.random(N) < 0.3).astype(np.int64)
    hard = np.where(rng.random(N) < 0.8, label, 1 - label).astype(np.float64)
    card = HEAD + "monitoring:\n  features: [x]\n  prediction: pred\n  label: y\n"
    log = pa.table({"x": rng.normal(size=N), "pred": hard, "y": label})
    perf = _measure(tmp_path / "hard", card, log)["performance"]
    assert perf["brier_score"] is None and perf["expected_calibration_error"] is None
    assert perf["status"] == "ok" and perf["auc"] is not None
    assert any("hard 0/1 decisions" in r for r in perf["reasons"])
    # The same labels with probabilities: Brier is measured (and equals numpy's).
    soft = np.clip(hard * 0.7 + 0.15, 0, 1)
    log = log.set_column(1, "pred", pa.array(soft))
    perf = _measure(tmp_path / "soft", card, log)["performance"]
    assert perf["brier_score"] == pytest.approx(float(np.mean((soft - label) ** 2)), rel=1e-12)


def test_default_favourable_outcome_is_stated_and_doubted_by_a_rare_label(tmp_path: Path) -> None:
    card = MAPPED.replace("  favourable_outcome: 0\n", "")
    parsed = parse_card(card, "m.yaml")
    assert parsed.warnings == (f"m.yaml:10: field 'monitoring.protected': {FAVOURABLE_DEFAULT}",)
    fair = _measure(tmp_path, card, _log(5, pa.string()))["fairness"]
    assert fair["favourable_outcome"] == 1 and fair["favourable_outcome_declared"] is False
    (note,) = fair["notes"]
    assert note.startswith(FAVOURABLE_NOTE.split("{")[0])
    assert "the label is 1 for only" in note


@pytest.mark.parametrize(
    ("monitoring", "line", "message"),
    [
        (
            "  prediction: {column: s, positive: []}\n",
            7,
            "field 'monitoring.prediction.positive': must be a non-empty list of the column's "
            "values that mean 1, got []",
        ),
        (
            "  label: {col: y, positive: [1]}\n",
            7,
            "field 'monitoring.label': unknown keys col; valid keys are: column, positive",
        ),
        (
            "  task: regression\n  label: {column: y, positive: [yes]}\n",
            8,
            "field 'monitoring.label': a {column, positive} mapping needs task: classification",
        ),
        (
            "  favourable_outcome: 2\n",
            7,
            "field 'monitoring.favourable_outcome': must be 1 or 0, got 2",
        ),
    ],
)
def test_monitoring_keys_are_checked_at_register_time(
    monitoring: str, line: int, message: str
) -> None:
    with pytest.raises(ModelCardError) as err:
        parse_card(HEAD + "monitoring:\n" + monitoring, "m.yaml")
    assert str(err.value) == f"m.yaml:{line}: {message}"


def test_every_key_the_code_reads_is_in_the_schema() -> None:
    card = parse_card(
        HEAD
        + """monitoring:
  features: [x]
  columns: {x: x_v2}
  binning: {strategy: uniform, bins: 8, edges: {x: [0, 1]}}
  prediction: {column: s, positive: [High]}
  label: y
  threshold: 0.4
  task: classification
  protected: [sex, [sex, race]]
  min_group_size: 50
  favourable_outcome: 1
  score_range: [0, 1]
  latency: ms
  error_code: err
  ok_codes: [200]
  timestamp: ts
  min_rows: 100
""",
        "m.yaml",
    )
    assert card.warnings == ()
    stale = parse_card(HEAD + "monitoring:\n  bins: 5\n  categorical: [c]\n", "m.yaml")
    assert [w.split("'")[1] for w in stale.warnings] == [
        "monitoring.bins",
        "monitoring.categorical",
    ]
