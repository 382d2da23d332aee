"""The `input.evidence` document that policies read, built from stored evidence rows.

Shape (documented in docs/policy-input.md):
    evidence.drift = {scan_id, scanned_at, rows, sources, max_psi,
                      features: [{name, psi, missing_rate, out_of_range_rate, inf_rate,
                                  status, reasons}]}
A family with no stored scan is absent, so policies can fail closed with `not input.evidence.X`.
A metric that could not be computed is null, and its feature carries the worst status.
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
        f[m.metric] = m.value if m.status == "ok" else None
        if _STATUS_ORDER.get(m.status, 2) > _STATUS_ORDER.get(f["status"], 2):
            f["status"] = m.status
        if m.reason and m.reason not in f["reasons"]:
            f["reasons"].append(m.reason)
    return [by_subject[k] for k in sorted(by_subject)]


def drift_document(store: Store, name: str, version: str) -> dict[str, Any] | None:
    """evidence.drift for a version, from its latest drift scan (None if never scanned)."""
    scan = evidence_store.latest_scan(store, name, version, "drift")
    if scan is None:
        return None
    metrics = evidence_store.scan_metrics(store, scan["scan_id"])
    features = _features([m for m in metrics if m.family == "drift"])
    psis = [f["psi"] for f in features if f.get("psi") is not None]
    return {
        "scan_id": scan["scan_id"],
        "scanned_at": rfc3339(scan["finished_at"]),
        "rows": scan["rows"],
        "sources": [s["path"] for s in scan["sources"]],
        "features": features,
        "max_psi": max(psis) if psis else None,
    }


def evidence_document(store: Store, name: str, version: str) -> dict[str, Any]:
    """Every evidence family that has been measured for the version."""
    doc: dict[str, Any] = {}
    drift = drift_document(store, name, version)
    if drift is not None:
        doc["drift"] = drift
    return doc
