"""The model card's `monitoring` mapping, as the fairness and operational metrics read it.

Documented in docs/metrics-fairness.md.

Keys (all optional; an accumulator family is built only when its columns are named):
    prediction: score            score or predicted class column (numeric or boolean), or
                                 {column: score_text, positive: [Medium, High]} for a
                                 categorical prediction: decision 1 for the listed values
    threshold: 0.5               decision = prediction >= threshold
    label: label                 observed outcome: 0/1 (classification) or a number
                                 (regression), or {column: income, positive: [">50K"]}
    task: classification         classification | regression
    protected: [sex, [sex, race]]  attributes; a list of columns is an intersection
    min_group_size: 30           groups with fewer scored rows are insufficient_data
    favourable_outcome: 1        the decision value that favours the subject (1 or 0); the
                                 default 1 is stated in the fairness evidence, which also
                                 notes when the data suggests 1 is the adverse outcome
    score_range: [0, 1]          range of the fine AUC histogram (used past 65,536 distinct scores)
    latency: latency_ms          request latency, non-negative numbers
    error_code: error_code       null (or a value in ok_codes) means success
    ok_codes: []                 error-code values that count as success
    timestamp: ts                event time (Arrow timestamp; naive means UTC)
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from govern.errors import ModelCardError

TASKS = ("classification", "regression")
DEFAULT_THRESHOLD = 0.5
DEFAULT_MIN_GROUP_SIZE = 30
KEYS = (
    "prediction",
    "threshold",
    "label",
    "task",
    "protected",
    "min_group_size",
    "favourable_outcome",
    "score_range",
    "latency",
    "error_code",
    "ok_codes",
    "timestamp",
)


POLICY_ONLY = ("frequency_days", "metrics", "limits", "escalation", "source")
"""`monitoring` keys that policies (or `govern monitor`) read and no scan does."""


def measured_digest(monitoring: object) -> str:
    """sha256 of the card's `monitoring` keys that decide what a scan measures.

    Stored with each scan and compared, at decision time, with the digest of the card being
    decided: evidence measured under another mapping (another label, favourable outcome,
    feature list, threshold, binning, ...) is stale whatever its age. Keys in POLICY_ONLY
    change no figure, so editing them keeps the evidence current.
    """
    doc = (
        {k: v for k, v in monitoring.items() if k not in POLICY_ONLY}
        if isinstance(monitoring, dict)
        else {}
    )
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class MonitoringConfig:
    """What the accumulators need to know of one model version's inference log."""

    prediction: str | None = None
    threshold: float = DEFAULT_THRESHOLD
    label: str | None = None
    prediction_positive: tuple[Any, ...] | None = None  # values mapped to 1 (else 0)
    label_positive: tuple[Any, ...] | None = None
    favourable_outcome_declared: bool = False
    task: str = "classification"
    protected: tuple[tuple[str, ...], ...] = ()
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE
    favourable_outcome: int = 1
    score_range: tuple[float, float] = (0.0, 1.0)
    latency: str | None = None
    error_code: str | None = None
    ok_codes: tuple[Any, ...] = ()
    timestamp: str | None = None


class MonitoringFieldError(ModelCardError):
    """A malformed `monitoring` key; `field` is its path, so a card loader can add the line."""

    def __init__(self, key: str, cause: str) -> None:
        super().__init__(f"model card field 'monitoring.{key}': {cause}")
        self.field = ("monitoring", *key.split("."))


def _fail(key: str, cause: str) -> MonitoringFieldError:
    return MonitoringFieldError(key, cause)


def _column(m: dict[str, Any], key: str) -> str | None:
    value = m.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise _fail(key, f"must be a column name, got {value!r}")
    return value


def column_name(value: object) -> str | None:
    """The column of a `prediction`/`label` entry: a name, or the `column` of a mapping."""
    if isinstance(value, dict):
        value = value.get("column")
    return value if isinstance(value, str) and value else None


def _mapped(m: dict[str, Any], key: str) -> tuple[str | None, tuple[Any, ...] | None]:
    """(column, positive values or None) of `prediction` / `label`."""
    value = m.get(key)
    if not isinstance(value, dict):
        return _column(m, key), None
    unknown = sorted(set(value) - {"column", "positive"})
    if unknown:
        raise _fail(
            key, f"unknown keys {', '.join(map(str, unknown))}; valid keys are: column, positive"
        )
    col = value.get("column")
    if not isinstance(col, str) or not col:
        raise _fail(f"{key}.column", f"must be a column name, got {col!r}")
    positive = value.get("positive")
    if (
        not isinstance(positive, list)
        or not positive
        or not all(isinstance(v, str | int | float | bool) for v in positive)
    ):
        raise _fail(
            f"{key}.positive",
            f"must be a non-empty list of the column's values that mean 1, got {positive!r}",
        )
    return col, tuple(positive)


def _number(m: dict[str, Any], key: str, default: float) -> float:
    value = m.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(key, f"must be a number, got {value!r}")
    return float(value)


def _protected(value: object) -> tuple[tuple[str, ...], ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise _fail("protected", f"must be a list of column names, got {value!r}")
    out: list[tuple[str, ...]] = []
    for item in value:
        cols = [item] if isinstance(item, str) else item
        if not isinstance(cols, list) or not cols or not all(isinstance(c, str) for c in cols):
            raise _fail(
                "protected",
                f"each entry must be a column name or a list of column names, got {item!r}",
            )
        out.append(tuple(cols))
    return tuple(out)


def parse_monitoring(card: dict[str, Any]) -> MonitoringConfig:
    """Validate the keys this package reads; other keys (features, min_rows...) are ignored."""
    m = card.get("monitoring") or {}
    if not isinstance(m, dict):
        raise ModelCardError(f"model card field 'monitoring': must be a mapping, got {m!r}")
    task = m.get("task", "classification")
    if task not in TASKS:
        raise _fail("task", f"unknown task {task!r}; valid tasks are: {', '.join(TASKS)}")
    min_group = m.get("min_group_size", DEFAULT_MIN_GROUP_SIZE)
    if isinstance(min_group, bool) or not isinstance(min_group, int) or min_group < 0:
        raise _fail("min_group_size", f"must be a non-negative integer, got {min_group!r}")
    favourable = m.get("favourable_outcome", 1)
    if isinstance(favourable, bool) or favourable not in (0, 1):
        raise _fail("favourable_outcome", f"must be 1 or 0, got {favourable!r}")
    rng = m.get("score_range", [0.0, 1.0])
    if (
        not isinstance(rng, list)
        or len(rng) != 2
        or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in rng)
        or not float(rng[0]) < float(rng[1])
    ):
        raise _fail("score_range", f"must be [low, high] with low < high, got {rng!r}")
    ok_codes = m.get("ok_codes", [])
    if not isinstance(ok_codes, list):
        raise _fail("ok_codes", f"must be a list of error-code values, got {ok_codes!r}")
    prediction, prediction_positive = _mapped(m, "prediction")
    label, label_positive = _mapped(m, "label")
    if task == "regression" and (prediction_positive or label_positive):
        key = "prediction" if prediction_positive else "label"
        raise _fail(key, "a {column, positive} mapping needs task: classification")
    return MonitoringConfig(
        prediction=prediction,
        threshold=_number(m, "threshold", DEFAULT_THRESHOLD),
        label=label,
        prediction_positive=prediction_positive,
        label_positive=label_positive,
        favourable_outcome_declared="favourable_outcome" in m,
        task=task,
        protected=_protected(m.get("protected")),
        min_group_size=min_group,
        favourable_outcome=int(favourable),
        score_range=(float(rng[0]), float(rng[1])),
        latency=_column(m, "latency"),
        error_code=_column(m, "error_code"),
        ok_codes=tuple(ok_codes),
        timestamp=_column(m, "timestamp"),
    )
