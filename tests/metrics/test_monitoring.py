from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from govern.errors import MetricInputError, ModelCardError
from govern.metrics import (
    FairnessAccumulator,
    OperationalAccumulator,
    PerformanceAccumulator,
    accumulators_from_card,
    check_schema,
)

CARD = {
    "monitoring": {
        "prediction": "score",
        "label": "label",
        "protected": ["group", ["group", "region"]],
        "latency": "latency_ms",
        "error_code": "error_code",
        "timestamp": "ts",
    }
}


def test_factory_builds_one_accumulator_per_concern() -> None:
    accs = accumulators_from_card(CARD)
    kinds = [type(a) for a in accs]
    assert kinds == [
        FairnessAccumulator,
        FairnessAccumulator,
        PerformanceAccumulator,
        OperationalAccumulator,
    ]
    assert accumulators_from_card({"monitoring": {"features": ["x"]}}) == []
    reg = accumulators_from_card(
        {"monitoring": {"prediction": "p", "label": "y", "task": "regression", "protected": ["g"]}}
    )
    assert [type(a) for a in reg] == [PerformanceAccumulator]


@pytest.mark.parametrize(
    ("monitoring", "message"),
    [
        (
            {"task": "ranking"},
            "model card field 'monitoring.task': unknown task 'ranking'; "
            "valid tasks are: classification, regression",
        ),
        (
            {"threshold": "high"},
            "model card field 'monitoring.threshold': must be a number, got 'high'",
        ),
        (
            {"favourable_outcome": 2},
            "model card field 'monitoring.favourable_outcome': must be 1 or 0, got 2",
        ),
        (
            {"min_group_size": -1},
            "model card field 'monitoring.min_group_size': must be a non-negative integer, got -1",
        ),
        (
            {"protected": [3]},
            "model card field 'monitoring.protected': each entry must be a "
            "column name or a list of column names, got 3",
        ),
        (
            {"score_range": [1, 0]},
            "model card field 'monitoring.score_range': must be [low, "
            "high] with low < high, got [1, 0]",
        ),
    ],
)
def test_bad_config_messages(monitoring: dict[str, object], message: str) -> None:
    with pytest.raises(ModelCardError) as e:
        accumulators_from_card({"monitoring": monitoring})
    assert str(e.value) == message


def test_check_schema_names_file_and_column(tmp_path: Path) -> None:
    schema = pa.schema([("score", pa.float64()), ("label", pa.string())])
    with pytest.raises(MetricInputError) as e:
        check_schema(
            {"monitoring": {"prediction": "score", "label": "label"}},
            schema,
            tmp_path / "x.parquet",
        )
    assert str(e.value) == (
        f"{tmp_path / 'x.parquet'}: column 'label' (monitoring.label) has "
        "type string; valid types are: numeric; for a categorical label, map its values "
        "in the card: `label: {column: label, positive: [VALUES THAT MEAN 1]}`"
    )
    with pytest.raises(MetricInputError) as e:
        check_schema(CARD, pa.schema([("score", pa.float64()), ("label", pa.int8())]), "y.parquet")
    assert str(e.value) == "y.parquet: column 'latency_ms' named by monitoring.latency is missing"
