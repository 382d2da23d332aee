"""The policy input sections evidence.fairness, .performance and .operational.

Built from stored MetricRows (see docs/metrics-fairness.md for the shapes). A metric that
could not be computed is null and the object holding it carries the worst status and the
reasons, so policies can fail closed. A family with no rows is absent from the document.
"""

from __future__ import annotations

from typing import Any

from govern.results import MetricRow
from govern.store import Store
from govern.store import evidence as evidence_store

# not_applicable (Brier on hard 0/1 predictions) is a fact about the model, not a failure to
# measure: the metric is null but the section's status stays as the others make it.
_STATUS_ORDER = {"ok": 0, "not_applicable": 0, "insufficient_data": 1, "invalid": 2}
# Stored metric name -> policy input key (short names as the control catalogue uses them).
_GROUP_KEYS = {
    "group_size": "n",
    "selection_rate": "selection_rate",
    "adverse_action_rate": "adverse_action_rate",
    "adverse_impact_ratio": "adverse_impact_ratio",
    "adverse_impact_p_value": "p_value",
    "true_positive_rate": "tpr",
    "false_positive_rate": "fpr",
    "false_negative_rate": "fnr",
    "accuracy": "accuracy",
}
_ATTRIBUTE_KEYS = {
    "groups": "group_count",
    "eligible_groups": "eligible_groups",
    "demographic_parity_difference": "demographic_parity_difference",
    "demographic_parity_ratio": "demographic_parity_ratio",
    "equalized_odds_difference": "equalized_odds_difference",
    "accuracy_difference": "accuracy_difference",
    "min_adverse_impact_ratio": "min_adverse_impact_ratio",
}
_COUNT_KEYS = {"n", "group_count", "eligible_groups"}


def _fold(obj: dict[str, Any], key: str, m: MetricRow) -> None:
    value = m.value if m.status == "ok" else None
    if value is not None and key in _COUNT_KEYS:
        value = int(value)
    obj[key] = value
    if _STATUS_ORDER.get(m.status, 2) > _STATUS_ORDER.get(obj["status"], 2):
        obj["status"] = m.status
    if m.reason and m.reason not in obj["reasons"]:
        obj["reasons"].append(m.reason)


def fairness_section(metrics: list[MetricRow]) -> dict[str, Any] | None:
    """{attributes: [{name, ..., groups: [...]}], by_attr, favourable_outcome, ...} or None.

    The shape is the policy library's contract (policies/controls/fairness.rego reads
    `attributes[].groups[].adverse_impact_ratio`); tests/runner/test_scan_all_families.py
    checks it end to end through the real library.
    """
    rows = [m for m in metrics if m.family == "fairness"]
    if not rows:
        return None
    attrs: dict[str, dict[str, Any]] = {}
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for m in rows:
        attr = str(m.detail.get("attribute", m.subject.split("=", 1)[0]))
        if "=" in m.subject:
            group = str(m.detail.get("group", m.subject.split("=", 1)[1]))
            g = groups.setdefault(
                (attr, group), {"attr": attr, "group": group, "status": "ok", "reasons": []}
            )
            if m.metric in _GROUP_KEYS:
                _fold(g, _GROUP_KEYS[m.metric], m)
            continue
        a = attrs.setdefault(
            attr,
            {
                "name": attr,
                "columns": m.detail.get("columns", [attr]),
                "status": "ok",
                "reasons": [],
            },
        )
        a["most_favoured_group"] = m.detail.get("most_favoured_group")
        a["min_group_size"] = m.detail.get("min_group_size")
        if m.metric in _ATTRIBUTE_KEYS:
            _fold(a, _ATTRIBUTE_KEYS[m.metric], m)
    for (attr, _), g in sorted(groups.items()):
        a = attrs.setdefault(attr, {"name": attr, "columns": [attr], "status": "ok", "reasons": []})
        a.setdefault("groups", []).append(g)
    attributes = [attrs[k] for k in sorted(attrs)]
    for a in attributes:
        a.setdefault("groups", [])
    out: dict[str, Any] = {"attributes": attributes, "by_attr": {a["name"]: a for a in attributes}}
    # Which decision counts as favourable, stated with every fairness section (issue 13).
    for m in rows:
        if "favourable_outcome" in m.detail:
            out["favourable_outcome"] = m.detail["favourable_outcome"]
            out["favourable_outcome_declared"] = m.detail.get("favourable_outcome_declared", True)
            note = m.detail.get("favourable_outcome_note")
            out["notes"] = [note] if note else []
            break
    return out


def performance_section(metrics: list[MetricRow]) -> dict[str, Any] | None:
    """Flat {auc, gini, accuracy, ..., label_coverage, status, reasons} or None."""
    rows = [m for m in metrics if m.family == "performance"]
    if not rows:
        return None
    out: dict[str, Any] = {"status": "ok", "reasons": []}
    for m in rows:
        _fold(out, m.metric, m)
        if m.metric == "auc":
            out["auc_method"] = m.detail.get("auc_method")
            out["auc_max_error"] = m.detail.get("auc_max_error")
        if m.metric == "label_coverage":
            out["labelled"] = m.detail.get("labelled", m.detail.get("n"))
    if "auc" in out:
        out["gini"] = None if out["auc"] is None else 2.0 * out["auc"] - 1.0
    return out


def operational_section(metrics: list[MetricRow]) -> dict[str, Any] | None:
    """Latency quantiles, error rates, throughput and freshness, or None without rows."""
    rows = [m for m in metrics if m.family == "operational"]
    if not rows:
        return None
    out: dict[str, Any] = {"status": "ok", "reasons": []}
    by_code: dict[str, float | None] = {}
    for m in rows:
        if m.metric == "error_rate" and "=" in m.subject:
            by_code[m.subject.split("=", 1)[1]] = m.value if m.status == "ok" else None
            continue
        _fold(out, m.metric, m)
        if m.metric == "freshness_seconds":
            out["first"] = m.detail.get("first")
            out["last"] = m.detail.get("last")
        if m.metric == "error_rate":
            out["errors"] = m.detail.get("errors")
    if "error_rate" in out:
        out["error_rate_by_code"] = dict(sorted(by_code.items()))
    # The names MON-OPS-01 compares with the card's `slo` (p99_latency_ms,
    # max_freshness_hours): the latency quantile in the column's unit, which the SLO's name
    # says is milliseconds, and the freshness in hours.
    if "latency_p99" in out:
        out["latency_p99_ms"] = out["latency_p99"]
    if "freshness_seconds" in out:
        fresh = out["freshness_seconds"]
        out["freshness_hours"] = None if fresh is None else fresh / 3600.0
    return out


def sections_from_metrics(metrics: list[MetricRow]) -> dict[str, dict[str, Any]]:
    """Every family present among the rows, keyed fairness / performance / operational."""
    out: dict[str, dict[str, Any]] = {}
    for key, build in (
        ("fairness", fairness_section),
        ("performance", performance_section),
        ("operational", operational_section),
    ):
        section = build(metrics)
        if section is not None:
            out[key] = section
    return out


def evidence_sections(
    store: Store, name: str, version: str, *, kind: str
) -> dict[str, dict[str, Any]]:
    """Sections from the version's latest scan of `kind`, each with the scan's provenance."""
    scan = evidence_store.latest_scan(store, name, version, kind)
    if scan is None:
        return {}
    sections = sections_from_metrics(evidence_store.scan_metrics(store, scan["scan_id"]))
    from govern.runner.evidence_doc import scan_header

    header = scan_header(scan)
    return {k: {**header, **v} for k, v in sections.items()}
