"""Building the fairness, performance and operational accumulators from a model card.

The scan runner calls `accumulators_from_card(card)` once, checks each input file with
`check_schema`, feeds every accumulator the same projected batches, merges per-thread copies
and stores `finalize()` rows. Which accumulators exist depends on the columns the card names.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from govern.errors import MetricInputError
from govern.metrics._accumulator import Accumulator
from govern.metrics._fairness import FairnessAccumulator
from govern.metrics._monitoring import MonitoringConfig, parse_monitoring
from govern.metrics._operational import OperationalAccumulator
from govern.metrics._performance import PerformanceAccumulator


def accumulators_from_config(
    cfg: MonitoringConfig, *, now: datetime | None = None
) -> list[Accumulator]:
    """Accumulators for a parsed config.

    Fairness per protected attribute (classification with a prediction), performance
    (prediction and label), operational (any of latency, error code, timestamp). `now`
    (naive UTC, the scan's start time) is what freshness is measured against; without it
    the freshness row is insufficient_data.
    """
    out: list[Accumulator] = []
    if cfg.prediction and cfg.task == "classification":
        out.extend(
            FairnessAccumulator(
                attr,
                prediction=cfg.prediction,
                label=cfg.label,
                threshold=cfg.threshold,
                prediction_positive=cfg.prediction_positive,
                label_positive=cfg.label_positive,
                min_group_size=cfg.min_group_size,
                favourable_outcome=cfg.favourable_outcome,
                favourable_outcome_declared=cfg.favourable_outcome_declared,
            )
            for attr in cfg.protected
        )
    if cfg.prediction and cfg.label:
        out.append(
            PerformanceAccumulator(
                prediction=cfg.prediction,
                label=cfg.label,
                task=cfg.task,
                threshold=cfg.threshold,
                prediction_positive=cfg.prediction_positive,
                label_positive=cfg.label_positive,
                score_range=cfg.score_range,
            )
        )
    if cfg.latency or cfg.error_code or cfg.timestamp:
        out.append(
            OperationalAccumulator(
                latency=cfg.latency,
                error_code=cfg.error_code,
                ok_codes=cfg.ok_codes,
                timestamp=cfg.timestamp,
                now=now,
            )
        )
    return out


def accumulators_from_card(
    card: dict[str, Any], *, now: datetime | None = None
) -> list[Accumulator]:
    """Accumulators for the card's `monitoring` mapping (ModelCardError if it is malformed)."""
    return accumulators_from_config(parse_monitoring(card), now=now)


def _kind(t: pa.DataType) -> str:
    if pa.types.is_dictionary(t):
        return _kind(t.value_type)
    if pa.types.is_floating(t) or pa.types.is_integer(t) or pa.types.is_boolean(t):
        return "numeric"
    if pa.types.is_timestamp(t):
        return "timestamp"
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "string"
    return str(t)


def check_schema(card: dict[str, Any], schema: pa.Schema, path: str | Path) -> None:
    """Every column the card names exists with a usable type, before any row is read."""
    cfg = parse_monitoring(card)
    wanted: dict[str, tuple[str, tuple[str, ...]]] = {}
    for key in ("prediction", "label", "latency"):
        col = getattr(cfg, key)
        if col:
            mapped = getattr(cfg, f"{key}_positive", None) is not None
            wanted[col] = (key, ("numeric", "string") if mapped else ("numeric",))
    if cfg.timestamp:
        wanted[cfg.timestamp] = ("timestamp", ("timestamp",))
    if cfg.error_code:
        wanted[cfg.error_code] = ("error_code", ("numeric", "string"))
    for attr in cfg.protected:
        for col in attr:
            wanted.setdefault(col, ("protected", ("numeric", "string")))
    for col, (key, kinds) in wanted.items():
        idx = schema.get_field_index(col)
        if idx < 0:
            raise MetricInputError(
                f"column {col!r} named by monitoring.{key} is missing", path=path
            )
        t = schema.field(idx).type
        kind = _kind(t)
        if kind not in kinds or (key == "protected" and pa.types.is_floating(t)):
            hint = ""
            if key in ("prediction", "label") and kind == "string":
                hint = (
                    f"; for a categorical {key}, map its values in the card: "
                    f"`{key}: {{column: {col}, positive: [VALUES THAT MEAN 1]}}`"
                )
            raise MetricInputError(
                f"column {col!r} (monitoring.{key}) has type {t}; valid types are: "
                + ", ".join(kinds)
                + hint,
                path=path,
            )
