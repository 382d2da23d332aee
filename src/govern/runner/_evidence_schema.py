"""Types and ranges of the evidence fields that policies gate on, checked when a file is read.

A value the library's controls compare against a threshold must be a number in its range:
`"0.99"`, `false`, `-1` or a negative PSI would otherwise make a guard skip (Rego compares
across types without error) and a gate allow. The rules follow what `govern scan` writes
(runner/evidence_doc.py, runner/evidence_fairness.py):

- rates, shares, p-values and AUC lie in [0, 1]; PSI, chi-square, ratios, errors and
  latencies are >= 0; counts are whole numbers; `rows` is at least 1;
- `scanned_at` is an RFC 3339 time that is not in the future; `data_changed_at` (when the
  scanned data last changed) too, and not after `scanned_at`;
- `status` is one of ok / insufficient_data / invalid; a metric may be null (not measured)
  only where its object's status is not "ok", which is how the scan reports it.

A field that is absent passes here: the policies deny on absence (fail closed). Families
other than drift, fairness, performance and operational are the organisation's own and are
not checked beyond being JSON objects.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from govern.clock import parse_rfc3339, utcnow
from govern.results import CLASSIFICATION_METRICS

STATUSES = ("ok", "insufficient_data", "invalid")
CLOCK_SKEW = timedelta(minutes=5)  # scanned_at up to this far ahead is a clock difference

Check = Callable[[Any], str | None]  # a reason the value is wrong, or None


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _between(lo: float, hi: float) -> Check:
    def check(x: Any) -> str | None:
        if not _number(x):
            return f"must be a number in [{lo:g}, {hi:g}], got {_show(x)}"
        return None if lo <= x <= hi else f"must be in [{lo:g}, {hi:g}], got {x!r}"

    return check


def _at_least(lo: float) -> Check:
    def check(x: Any) -> str | None:
        if not _number(x):
            return f"must be a number >= {lo:g}, got {_show(x)}"
        return None if x >= lo else f"must be >= {lo:g}, got {x!r}"

    return check


def _count(lo: int) -> Check:
    def check(x: Any) -> str | None:
        whole = _number(x) and float(x).is_integer()
        if not whole:
            return f"must be a whole number >= {lo}, got {_show(x)}"
        return None if x >= lo else f"must be at least {lo}, got {x!r}"

    return check


def _string(x: Any) -> str | None:
    return None if isinstance(x, str) and x else f"must be a non-empty string, got {_show(x)}"


def _status(x: Any) -> str | None:
    return None if x in STATUSES else f"must be one of {', '.join(STATUSES)}; got {_show(x)}"


def _strings(x: Any) -> str | None:
    ok = isinstance(x, list) and all(isinstance(s, str) for s in x)
    return None if ok else f"must be a list of strings, got {_show(x)}"


# What the library's clock helpers accept (policies/lib/common.rego `ts_re`): a date, or a
# date-time with seconds and a zone.
_RFC3339 = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2}))?$"
)


def _timestamp(x: Any) -> str | None:
    if not isinstance(x, str):
        return f"must be an RFC 3339 time (e.g. 2026-11-20T08:00:00Z), got {_show(x)}"
    try:
        if not _RFC3339.match(x):
            raise ValueError(x)
        when = parse_rfc3339(x)
    except (ValueError, OverflowError):
        return f"must be an RFC 3339 time with a zone (e.g. 2026-11-20T08:00:00Z), got {x!r}"
    if when > utcnow() + CLOCK_SKEW:
        return f"is in the future ({x}); evidence cannot be measured after it is read"
    return None


def _show(x: Any) -> str:
    if x is None:
        return "null"
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, str):
        return f"the string {x!r}"
    return f"{type(x).__name__} {x!r}" if isinstance(x, list | dict) else repr(x)


RATE = _between(0.0, 1.0)
NONNEG = _at_least(0.0)

# Metric fields: nullable when the enclosing object's status is not "ok".
FEATURE_METRICS: dict[str, Check] = {
    "psi": NONNEG,
    "chi2": NONNEG,
    "p_value": RATE,
    "missing_rate": RATE,
    "missing_rate_change": _between(-1.0, 1.0),
    "out_of_range_rate": RATE,
    "inf_rate": RATE,
    "unseen_rate": RATE,
}
GROUP_METRICS: dict[str, Check] = {
    "n": _count(0),
    "selection_rate": RATE,
    "adverse_action_rate": RATE,
    "adverse_impact_ratio": NONNEG,
    "p_value": RATE,
    "tpr": RATE,
    "fpr": RATE,
    "fnr": RATE,
    "accuracy": RATE,
}
ATTRIBUTE_METRICS: dict[str, Check] = {
    "group_count": _count(0),
    "eligible_groups": _count(0),
    "demographic_parity_difference": RATE,
    "demographic_parity_ratio": RATE,
    "equalized_odds_difference": RATE,
    "accuracy_difference": RATE,
    "min_adverse_impact_ratio": NONNEG,
}
PERFORMANCE_METRICS: dict[str, Check] = {
    **{k: RATE for k in (*CLASSIFICATION_METRICS, "label_coverage")},
    "gini": _between(-1.0, 1.0),
    "rmse": NONNEG,
    "mae": NONNEG,
    "auc_max_error": NONNEG,
    "labelled": _count(0),
}
OPERATIONAL_METRICS: dict[str, Check] = {
    "latency_p50": NONNEG,
    "latency_p95": NONNEG,
    "latency_p99": NONNEG,
    "latency_p99_ms": NONNEG,
    "error_rate": RATE,
    "errors": _count(0),
    "throughput_rows_per_hour": NONNEG,
    # Rows stamped slightly after the scan started are clock skew, not evidence from the future.
    "freshness_seconds": _at_least(-CLOCK_SKEW.total_seconds()),
    "freshness_hours": _at_least(-CLOCK_SKEW.total_seconds() / 3600),
}
# Header and structure fields: never null when present.
HEADER: dict[str, Check] = {
    "scan_id": _string,
    "scanned_at": _timestamp,
    "data_changed_at": _timestamp,
    "rows": _count(1),
    "sources": _strings,
    "status": _status,
    "reasons": _strings,
}


class EvidenceProblem(ValueError):
    """One wrong field: `where` is its dotted path inside the file."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where} {reason}")
        self.where = where


def _fields(
    obj: dict[str, Any], where: str, fixed: Mapping[str, Check], metrics: Mapping[str, Check]
) -> None:
    """Check the fixed fields (never null) and the metrics (null only when not ok)."""
    for key, check in fixed.items():
        if key in obj:
            reason = check(obj[key])
            if reason:
                raise EvidenceProblem(f"{where}.{key}", reason)
    measured = obj.get("status", "ok") == "ok"
    for key, check in metrics.items():
        if key not in obj:
            continue
        value = obj[key]
        if value is None:
            if measured:
                raise EvidenceProblem(
                    f"{where}.{key}",
                    'is null but the status is "ok"; a metric that was not measured needs '
                    'status "insufficient_data" or "invalid"',
                )
            continue
        reason = check(value)
        if reason:
            raise EvidenceProblem(f"{where}.{key}", reason)


def _object(x: Any, where: str) -> dict[str, Any]:
    if not isinstance(x, dict):
        raise EvidenceProblem(where, f"must be an object, got {_show(x)}")
    return x


def _list(x: Any, where: str) -> list[Any]:
    if not isinstance(x, list):
        raise EvidenceProblem(where, f"must be a list, got {_show(x)}")
    return x


def _named(obj: dict[str, Any], where: str, key: str) -> None:
    """The name a policy's message is built from: a deny without it would not fire."""
    if key not in obj:
        raise EvidenceProblem(f"{where}.{key}", "is missing")


def _feature(f: Any, where: str) -> None:
    f = _object(f, where)
    _named(f, where, "name")
    _fields(f, where, {"name": _string, "status": _status, "reasons": _strings}, FEATURE_METRICS)


def _drift(d: dict[str, Any]) -> None:
    _fields(d, "drift", {**HEADER, "baseline_rows": _count(1)}, {})
    if d.get("max_psi") is not None and NONNEG(d["max_psi"]):  # null: no feature measured
        raise EvidenceProblem("drift.max_psi", str(NONNEG(d["max_psi"])))
    for i, f in enumerate(_list(d.get("features", []), "drift.features")):
        _feature(f, f"drift.features.{i}")
    if d.get("output") is not None:
        _feature(d["output"], "drift.output")


def _fairness(d: dict[str, Any]) -> None:
    _fields(d, "fairness", HEADER, {})
    for i, a in enumerate(_list(d.get("attributes", []), "fairness.attributes")):
        where = f"fairness.attributes.{i}"
        a = _object(a, where)
        _named(a, where, "name")
        fixed = {"name": _string, "status": _status, "reasons": _strings}
        _fields(a, where, fixed, ATTRIBUTE_METRICS)
        for j, g in enumerate(_list(a.get("groups", []), f"{where}.groups")):
            g = _object(g, f"{where}.groups.{j}")
            _named(g, f"{where}.groups.{j}", "group")
            _fields(g, f"{where}.groups.{j}", {"group": _string, "status": _status}, GROUP_METRICS)


def _performance(d: dict[str, Any]) -> None:
    _fields(d, "performance", HEADER, PERFORMANCE_METRICS)


def _operational(d: dict[str, Any]) -> None:
    _fields(d, "operational", HEADER, OPERATIONAL_METRICS)
    where = "operational.error_rate_by_code"
    for code, rate in _object(d.get("error_rate_by_code", {}), where).items():
        reason = None if rate is None else RATE(rate)
        if reason:
            raise EvidenceProblem(f"{where}.{code}", reason)


FAMILIES: dict[str, Callable[[dict[str, Any]], None]] = {
    "drift": _drift,
    "fairness": _fairness,
    "performance": _performance,
    "operational": _operational,
}


def _changed_not_after_scan(d: dict[str, Any], family: str) -> None:
    """Data cannot have changed after the scan that read it."""
    changed, scanned = d.get("data_changed_at"), d.get("scanned_at")
    if not (isinstance(changed, str) and isinstance(scanned, str)):
        return
    if parse_rfc3339(changed) > parse_rfc3339(scanned):
        raise EvidenceProblem(
            f"{family}.data_changed_at",
            f"is after {family}.scanned_at ({changed} > {scanned}); the data cannot "
            "have changed after the scan that read it",
        )


def validate(doc: dict[str, Any]) -> None:
    """Raise EvidenceProblem naming the first wrong field of a known family."""
    for family, check in FAMILIES.items():
        if family in doc:
            check(_object(doc[family], family))
            _changed_not_after_scan(doc[family], family)
