"""The `input.evidence` document that policies read, built from stored evidence rows.

Shape (documented in docs/policy-input.md):
    evidence.drift = {scan_id, scanned_at, data_changed_at, rows, sources, max_psi, profile_id,
                      reference_profile_id, window,
                      features: [{name, kind, psi, chi2, p_value, missing_rate,
                                  missing_rate_change, out_of_range_rate, inf_rate,
                                  unseen_rate (categorical), status, reasons}],
                      output: {same keys, for the prediction/score column} or null}
`data_changed_at` (every family's section) is when the scanned files last changed: the time
the newest of them was first scanned for the version (absent for scans stored before schema
8). A family with no stored scan is absent, so policies can fail closed with `not input.evidence.X`.
A metric that could not be computed is null, and its feature carries the worst status.
`profile_id` is the reference profile the scan measured against (null for a scan against an
ad-hoc `--baseline` file); `reference_profile_id` is the version's reference profile now (null
when it has none). They differ when the version was re-baselined after the scan: the drift
figures then describe a reference that is no longer the model's, and MON-CSI-01 denies.
"""

from __future__ import annotations

from typing import Any

from govern.clock import rfc3339
from govern.results import MetricRow
from govern.store import Store
from govern.store import evidence as evidence_store

_STATUS_ORDER = {"ok": 0, "insufficient_data": 1, "invalid": 2}


def _features(metrics: list[MetricRow]) -> list[dict[str, Any]]:
    by_subject: dict[str, dict[str, Any]] = {}
    for m in metrics:
        f = by_subject.setdefault(m.subject, {"name": m.subject, "status": "ok", "reasons": []})
        if "kind" in m.detail:
            f["kind"] = m.detail["kind"]
            f["role"] = m.detail.get("role", "feature")
        f[m.metric] = m.value if m.status == "ok" else None
        if _STATUS_ORDER.get(m.status, 2) > _STATUS_ORDER.get(f["status"], 2):
            f["status"] = m.status
        if m.reason and m.reason not in f["reasons"]:
            f["reasons"].append(m.reason)
    return [by_subject[k] for k in sorted(by_subject)]


def scan_header(scan: dict[str, Any]) -> dict[str, Any]:
    """The provenance every family's section carries: scan, time, rows, sources.

    `data_changed_at` (when the scan recorded it: every scan since schema 8) is when the
    scanned data last changed, the newest first-scan time of its files; a scan of a store
    made before has none, and the policies then judge `scanned_at` alone.
    """
    out = {
        "scan_id": scan["scan_id"],
        "scanned_at": rfc3339(scan["finished_at"]),
        "rows": scan["rows"],
        "sources": [s["path"] for s in scan["sources"]],
        # null for scans stored before it was recorded; the policy input adds the card's
        "monitoring_sha256": (scan.get("params") or {}).get("monitoring_sha256"),
    }
    changed = (scan.get("params") or {}).get("data_changed_at")
    if isinstance(changed, str):
        out["data_changed_at"] = changed
    return out


def drift_section(
    scan: dict[str, Any], metrics: list[MetricRow], reference_profile_id: str | None
) -> dict[str, Any]:
    """evidence.drift from a stored scan, its metric rows and the version's current profile."""
    columns = _features([m for m in metrics if m.family == "drift"])
    features = [f for f in columns if f.pop("role", "feature") != "output"]
    outputs = [f for f in columns if f not in features]
    psis = [f["psi"] for f in features if f.get("psi") is not None]
    params = scan["params"]
    return {
        **scan_header(scan),
        "features": features,
        "output": outputs[0] if outputs else None,
        "max_psi": max(psis) if psis else None,
        "profile_id": params.get("profile_id"),
        "reference_profile_id": reference_profile_id,
        "window": params.get("window"),
    }


def evidence_document(store: Store, name: str, version: str) -> dict[str, Any]:
    """Every evidence family measured by the version's latest scan (one lookup, one read).

    The same streaming pass measures drift and, where the card names the columns, fairness,
    performance and operational health; each section carries the scan's provenance.
    """
    from govern.store.views import latest_profiles

    scan = evidence_store.latest_scan(store, name, version, "drift")
    if scan is None:
        return {}
    reference = latest_profiles(store, [(name, version)]).get((name, version))
    metrics = evidence_store.scan_metrics(store, scan["scan_id"])
    return evidence_from_scan(scan, metrics, reference)


def evidence_from_scan(
    scan: dict[str, Any], metrics: list[MetricRow], reference_profile_id: str | None
) -> dict[str, Any]:
    """The evidence document of one stored scan and its metric rows (bulk readers use it)."""
    from govern.runner.evidence_fairness import sections_from_metrics

    doc: dict[str, Any] = {"drift": drift_section(scan, metrics, reference_profile_id)}
    header = scan_header(scan)
    for key, section in sections_from_metrics(metrics).items():
        doc[key] = {**header, **section}
    return doc
