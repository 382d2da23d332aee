"""Build the view model from a read-only store: a few bulk reads, then plain Python.

Nothing here writes. The fairness, performance and operational sections reuse the policy
input's folding of evidence rows (runner/evidence_fairness.py), so the report shows exactly
what the policies were shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from govern.lifecycle import ModelRef
from govern.policy._catalogue import Control
from govern.report._view import (
    FOUR_FIFTHS,
    PSI_DENY,
    PSI_WARN,
    ApprovalView,
    AttributeView,
    AuditStatus,
    BinShare,
    ColumnDrift,
    DecisionView,
    DriftView,
    GroupView,
    InventoryRow,
    MetricCompare,
    ModelView,
    ProvenanceView,
    ReportView,
    SourceView,
    StageEvent,
    TrendPoint,
    ViolationView,
    anchor_of,
    iso,
    psi_band,
)
from govern.results import CLASSIFICATION_METRICS, REGRESSION_METRICS, MetricRow
from govern.store import Store, registry, views

Key = tuple[str, str]
PERFORMANCE_ORDER = (*CLASSIFICATION_METRICS, *REGRESSION_METRICS, "label_coverage")
OPERATIONAL_ORDER = (
    "latency_p50",
    "latency_p95",
    "latency_p99",
    "error_rate",
    "throughput_rows_per_hour",
    "freshness_seconds",
)


def resolve_refs(store: Store, refs: Sequence[str]) -> list[Key]:
    """(name, version) of each reference; an unknown one raises ModelNotFoundError (exit 2)."""
    out: list[Key] = []
    for text in refs:
        key = registry.resolve(store, ModelRef.parse(text))
        if key not in out:
            out.append(key)
    return out


def load_catalogue(
    policies: Sequence[Path] = (), wanted: set[str] | None = None
) -> dict[str, Control]:
    """Control id -> catalogue entry, from the shipped library and any extra directories.

    With `wanted`, only modules whose text mentions one of those ids are parsed (an id is a
    literal in its module, as `custom.id`, a violation's `control` or the package name), so a
    report naming three controls does not parse the METADATA of the whole library.
    """
    from govern._bundled import POLICIES
    from govern.policy._bundle import read_bundle
    from govern.policy._catalogue import controls_in

    out: dict[str, Control] = {}
    if wanted is not None and not wanted:
        return out
    for root in (POLICIES, *policies):
        for path, source in read_bundle(root).modules:
            if Path(path).name.endswith("_test.rego"):
                continue
            if wanted is not None and not any(w in source for w in wanted):
                continue
            for c in controls_in(path, source):
                out.setdefault(c.id, c)
    return out


def build_report(
    store: Store,
    keys: list[Key] | None,
    *,
    controls: dict[str, Control] | None = None,
    policies: Sequence[Path] = (),
    audit: AuditStatus | None = None,
    with_inventory: bool = True,
) -> ReportView:
    """The report of `keys` (None: every registered version), plus inventory and audit.

    `controls` is a loaded catalogue (a server loads it once); without it, the controls the
    shown decisions name are looked up in the shipped library and `policies`.
    """
    now = views.now(store)
    rows = views.inventory(store) if with_inventory else []
    inventory = [_inventory_row(r, now) for r in rows]
    if keys is not None and not keys:
        models: list[ModelView] = []
    else:
        models = build_models(store, keys, controls=controls, policies=policies)
    return ReportView(
        generated_at=iso(now) or "",
        database=str(store.path),
        inventory=tuple(inventory),
        audit=audit if audit is not None else audit_status(store),
        models=tuple(models),
    )


def audit_status(store: Store) -> AuditStatus:
    """Recompute the audit hash chain (read-only) and report its head."""
    ok, rows, seq, digest, problem = views.chain_status(store)
    return AuditStatus(ok, rows, seq, digest, problem)


def build_models(
    store: Store,
    keys: list[Key] | None,
    *,
    controls: dict[str, Control] | None,
    policies: Sequence[Path] = (),
) -> list[ModelView]:
    """Model views of `keys` (None: all), in name/version order."""
    regs = views.versions(store, keys)
    status = {(r["name"], r["version"]): r for r in views.inventory(store, keys)}
    events = views.lifecycle_events(store, keys)
    approvals = views.approvals(store, keys)
    decisions = views.decisions(store, keys)
    scans = views.scans(store, keys)
    evidence = views.latest_evidence(store, keys)
    trends = views.trend(store, keys)
    latest_profile = views.latest_profiles(store, keys)
    wanted = []
    for key, runs in scans.items():
        pid = runs[-1]["params"].get("profile_id") or latest_profile.get(key)
        if pid:
            wanted.append(pid)
    profiles = views.profiles(store, wanted)
    if controls is None:
        ids = {
            str(v.get("control", ""))
            for ds in decisions.values()
            for d in ds
            for v in d["violations"]
        }
        controls = load_catalogue(policies, ids - {""})
    out = []
    for reg in regs:
        key = (reg["name"], reg["version"])
        runs = scans.get(key, [])
        latest = runs[-1] if runs else None
        pid = None
        if latest is not None:
            pid = latest["params"].get("profile_id") or latest_profile.get(key)
        profile = profiles.get(pid)["profile"] if pid in profiles else None  # type: ignore[index]
        rows = evidence.get(key, [])
        decs = [_decision(d, controls) for d in decisions.get(key, [])]
        out.append(
            ModelView(
                name=reg["name"],
                version=reg["version"],
                anchor=anchor_of(*key),
                owner=reg["owner"],
                risk_tier=reg["risk_tier"],
                use_case=reg["use_case"],
                scope=tuple(reg["regulatory_scope"] or ()),
                stage=reg["stage"],
                history=tuple(_event(e) for e in events.get(key, [])),
                approvals=tuple(
                    ApprovalView(
                        iso(a["approved_at"]) or "",
                        a["stage"],
                        a["role"],
                        a["approved_by"],
                        a["note"],
                    )
                    for a in approvals.get(key, [])
                ),
                last_decision=decs[0] if decs else None,
                decisions=tuple(decs),
                drift=_drift(rows, profile, reg["card"]) if rows else None,
                fairness=_fairness(rows),
                performance=_compare(rows, "performance", PERFORMANCE_ORDER, _baseline(reg)),
                operational=_compare(rows, "operational", OPERATIONAL_ORDER, {}),
                trend=tuple(_trend(trends.get(key, []))),
                provenance=_provenance(reg, runs, pid, decs),
                zombie_reasons=tuple(status[key]["reasons"] or ()) if key in status else (),
            )
        )
    return out


def _inventory_row(r: dict[str, Any], now: datetime) -> InventoryRow:
    last = r["last_evidence_at"]
    age = (now - last).total_seconds() / 86400 if last is not None else None
    return InventoryRow(
        name=r["name"],
        version=r["version"],
        anchor=anchor_of(r["name"], r["version"]),
        stage=r["stage"],
        owner=r["owner"],
        risk_tier=r["risk_tier"],
        last_evidence_at=iso(last),
        evidence_age_days=age,
        last_result=r["result"],
        last_decision_stage=r["decision_stage"],
        last_decided_at=iso(r["decided_at"]),
        zombie_reasons=tuple(r["reasons"] or ()),
    )


def _event(e: dict[str, Any]) -> StageEvent:
    return StageEvent(
        at=iso(e["occurred_at"]) or "",
        action=e["action"],
        from_stage=e["from_stage"],
        to_stage=e["to_stage"],
        actor=e["actor"],
        decision_id=e["decision_id"],
    )


def _decision(d: dict[str, Any], controls: dict[str, Control]) -> DecisionView:
    out = []
    for v in d["violations"]:
        cid = str(v.get("control", ""))
        c = controls.get(cid)
        out.append(
            ViolationView(
                kind=str(v.get("kind", "")),
                control=cid,
                title=c.title if c else "(not in the control catalogue)",
                severity=str(v.get("severity", "")),
                msg=str(v.get("msg", "")),
                source=c.source if c else "",
                article=c.article if c else "",
                remediation=str(v.get("remediation") or ""),
            )
        )
    out.sort(key=lambda v: (v.kind != "deny", v.control, v.msg))
    return DecisionView(
        decision_id=d["decision_id"],
        stage=d["stage"],
        result=d["result"],
        decided_at=iso(d["decided_at"]) or "",
        bundle_hash=d["bundle_hash"],
        engine=f"{d['engine']} {d['engine_version']}",
        violations=tuple(out),
    )


def _limits(card: dict[str, Any]) -> tuple[float, float]:
    limits = (card.get("monitoring") or {}).get("limits") or {}
    try:
        warn = float(limits.get("psi_warn", PSI_WARN))
        deny = float(limits.get("psi_deny", PSI_DENY))
    except (TypeError, ValueError):
        return PSI_WARN, PSI_DENY
    return warn, deny


def _drift(
    rows: list[dict[str, Any]], profile: dict[str, Any] | None, card: dict[str, Any]
) -> DriftView | None:
    warn, deny = _limits(card)
    by_subject: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        if r["family"] == "drift":
            by_subject.setdefault(r["subject"], []).append(r)
    if not by_subject:
        return None
    columns = {c["name"]: c for c in (profile or {}).get("columns", [])}
    features, output = [], None
    for subject in sorted(by_subject):
        col = _column(subject, by_subject[subject], columns.get(subject), warn, deny)
        role = next((r["detail"].get("role") for r in by_subject[subject] if r["detail"]), None)
        if role == "output":
            output = col
        else:
            features.append(col)
    features.sort(key=lambda c: (c.psi is None, -(c.psi or 0.0), c.name))
    return DriftView(warn, deny, tuple(features), output)


def _column(
    name: str,
    rows: list[dict[str, Any]],
    profile: dict[str, Any] | None,
    warn: float,
    deny: float,
) -> ColumnDrift:
    values: dict[str, float | None] = {}
    status, reasons = "ok", []
    detail: dict[str, Any] = {}
    order = {"ok": 0, "insufficient_data": 1, "invalid": 2}
    for r in rows:
        values[r["metric"]] = r["value"] if r["status"] == "ok" else None
        detail = detail or r["detail"]
        if order.get(r["status"], 2) > order.get(status, 2):
            status = r["status"]
        if r["reason"] and r["reason"] not in reasons:
            reasons.append(r["reason"])
    psi = values.get("psi")
    return ColumnDrift(
        name=name,
        kind=str(detail.get("kind", profile.get("kind", "") if profile else "")),
        psi=psi,
        band=psi_band(psi, warn, deny),
        chi2=values.get("chi2"),
        p_value=values.get("p_value"),
        missing_rate=values.get("missing_rate"),
        out_of_range_rate=values.get("out_of_range_rate"),
        unseen_rate=values.get("unseen_rate"),
        inf_rate=values.get("inf_rate"),
        rows=detail.get("rows"),
        status=status,
        reasons=tuple(reasons),
        bins=_bins(profile, detail),
    )


def _bins(profile: dict[str, Any] | None, detail: dict[str, Any]) -> tuple[BinShare, ...]:
    """Reference and current share of valid values per PSI bin (empty when not stored)."""
    current = detail.get("bins")
    if profile is None or current is None:
        return ()
    if profile.get("kind") == "numeric":
        if profile.get("psi_edges") is None:
            return ()
        ref = reference_psi_counts(profile)
        labels = _edge_labels([float(e) for e in profile["psi_edges"]])
    else:
        ref = [int(c) for c in profile["counts"]] + [0]
        labels = [str(c) for c in profile["categories"]] + ["(unseen)"]
    cur = [int(c) for c in current]
    if len(cur) != len(ref) or len(labels) != len(ref):
        return ()
    rt, ct = sum(ref), sum(cur)
    return tuple(
        BinShare(label=label, reference=r / rt if rt else 0.0, current=c / ct if ct else 0.0)
        for label, r, c in zip(labels, ref, cur, strict=True)
    )


def reference_psi_counts(profile: dict[str, Any]) -> list[int]:
    """A stored numeric profile's reference counts collapsed from fine bins to PSI bins.

    The same map as metrics/_binning.make_bins (fine edges = the stably sorted union of the
    PSI edges and the range; fine bin j belongs to the PSI bin numbered by the PSI edges among
    its first j edges), in plain Python so a report does not load the scan engine.
    """
    edges = [float(e) for e in profile["psi_edges"]]
    lo, hi = (float(x) for x in profile["range"])
    tagged = [(lo, 1), *((e, 0) for e in edges), (hi, 2)]
    tags = [t for _, t in sorted(tagged, key=lambda v: v[0])]
    out = [0] * (len(edges) + 1)
    psi_bin = 0
    for j, count in enumerate(profile["counts"]):
        if j > 0 and tags[j - 1] == 0:
            psi_bin += 1
        out[psi_bin] += int(count)
    return out


def _num(x: float) -> str:
    return f"{x:.4g}"


def _edge_labels(edges: list[float]) -> list[str]:
    if not edges:
        return ["all values"]
    labels = [f"< {_num(edges[0])}"]
    labels += [f"{_num(a)} to < {_num(b)}" for a, b in zip(edges, edges[1:], strict=False)]
    labels.append(f">= {_num(edges[-1])}")
    return labels


def _metric_rows(rows: list[dict[str, Any]]) -> list[MetricRow]:
    return [
        MetricRow(
            r["family"],
            r["subject"],
            r["metric"],
            r["value"],
            r["status"],
            r["reason"],
            r["detail"],
        )
        for r in rows
    ]


def _fairness(rows: list[dict[str, Any]]) -> tuple[AttributeView, ...]:
    from govern.runner.evidence_fairness import fairness_section

    section = fairness_section(_metric_rows([r for r in rows if r["family"] == "fairness"]))
    if section is None:
        return ()
    out = []
    for a in section["attributes"]:
        min_size = a.get("min_group_size")
        groups = a.get("groups", [])
        rates = [g["selection_rate"] for g in groups if g.get("selection_rate") is not None]
        line = FOUR_FIFTHS * max(rates) if rates else None
        gv = []
        for g in groups:
            n = g.get("n")
            sel = g.get("selection_rate")
            withheld = n is not None and min_size is not None and n < int(min_size)
            gv.append(
                GroupView(
                    group=str(g["group"]),
                    n=n,
                    withheld=withheld or (n == 0),
                    selection_rate=sel,
                    impact_ratio=g.get("adverse_impact_ratio"),
                    tpr=g.get("tpr"),
                    fpr=g.get("fpr"),
                    fnr=g.get("fnr"),
                    below_four_fifths=line is not None and sel is not None and sel < line,
                    reasons=tuple(g.get("reasons", ())),
                )
            )
        out.append(
            AttributeView(
                name=str(a["name"]),
                min_group_size=int(min_size) if min_size is not None else None,
                most_favoured_group=a.get("most_favoured_group"),
                four_fifths_line=line,
                min_impact_ratio=a.get("min_adverse_impact_ratio"),
                status=str(a.get("status", "ok")),
                reasons=tuple(a.get("reasons", ())),
                groups=tuple(gv),
            )
        )
    return tuple(out)


def _baseline(reg: dict[str, Any]) -> dict[str, float]:
    validation = reg["card"].get("validation") or {}
    base = validation.get("baseline") if isinstance(validation, dict) else None
    if not isinstance(base, dict):
        return {}
    out = {}
    for k, v in base.items():
        if isinstance(v, int | float) and not isinstance(v, bool):
            out[str(k)] = float(v)
    return out


def _compare(
    rows: list[dict[str, Any]], family: str, order: tuple[str, ...], baseline: dict[str, float]
) -> tuple[MetricCompare, ...]:
    found = {r["metric"]: r for r in rows if r["family"] == family and "=" not in str(r["subject"])}
    names = [m for m in order if m in found] + sorted(set(found) - set(order))
    return tuple(
        MetricCompare(
            metric=m,
            current=found[m]["value"] if found[m]["status"] == "ok" else None,
            baseline=baseline.get(m),
            status=found[m]["status"],
            reason=found[m]["reason"],
        )
        for m in names
    )


def _trend(rows: list[dict[str, Any]]) -> list[TrendPoint]:
    out = []
    for r in rows:
        metric = r["metric"] if r["family"] != "drift" else f"psi {r['subject']}"
        at = iso(r["finished_at"]) or ""
        out.append(TrendPoint(r["scan_id"], at, r["family"], metric, float(r["value"])))
    return out


def _provenance(
    reg: dict[str, Any], runs: list[dict[str, Any]], pid: str | None, decs: list[DecisionView]
) -> ProvenanceView:
    latest = runs[-1] if runs else None
    last = decs[0] if decs else None
    sources: tuple[SourceView, ...] = ()
    if latest is not None:
        sources = tuple(
            SourceView(str(s.get("path", "")), s.get("size"), s.get("rows"))
            for s in latest["sources"]
        )
    return ProvenanceView(
        scan_id=latest["scan_id"] if latest else None,
        scanned_at=iso(latest["finished_at"]) if latest else None,
        rows=latest["rows"] if latest else None,
        sources=sources,
        profile_id=pid,
        engine_version=latest["engine_version"] if latest else None,
        scans=len(runs),
        bundle_hash=last.bundle_hash if last else None,
        policy_engine=last.engine if last else None,
        decision_ids=tuple(d.decision_id for d in decs),
        card_path=reg["card_path"],
        card_sha256=reg["card_sha256"],
        data_changed_at=_data_changed(latest),
    )


def _data_changed(scan: dict[str, Any] | None) -> str | None:
    changed = (scan.get("params") or {}).get("data_changed_at") if scan else None
    return changed if isinstance(changed, str) else None
