"""Terminal renderer for `govern show`: the view model as rich tables, no charts.

Bars become numbers with their band or flag spelled out, so nothing depends on colour.
"""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from govern.report._charts import fmt, pct
from govern.report._html import (
    NO_DRIFT,
    NO_FAIRNESS,
    NO_OPERATIONAL,
    NO_PERFORMANCE,
)
from govern.report._view import NO_DECISION, NO_EVIDENCE, MetricCompare, ModelView, ReportView


def _table(title: str, headers: tuple[str, ...]) -> Table:
    t = Table(title=title, title_justify="left", show_lines=False, header_style="bold")
    for h in headers:
        t.add_column(h, overflow="fold")
    return t


def render_model(m: ModelView) -> RenderableType:
    """One model version as a group of panels and tables."""
    parts: list[RenderableType] = []
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    for k, v in (
        ("owner", m.owner or "(none)"),
        ("risk tier", m.risk_tier or ""),
        ("use case", m.use_case or ""),
        ("scope", ", ".join(m.scope) or "(none)"),
        ("stage", m.stage),
        ("zombie flags", "; ".join(m.zombie_reasons) or "none"),
        ("scans stored", str(m.provenance.scans)),
    ):
        facts.add_row(k, v)
    parts.append(Panel(facts, title=f"{m.ref}", title_align="left"))
    if m.history:
        h = _table("Stage history", ("when (UTC)", "action", "from", "to", "decision"))
        for e in m.history:
            h.add_row(e.at, e.action, e.from_stage or "", e.to_stage or "", e.decision_id or "")
        parts.append(h)
    if m.approvals:
        ap = _table("Recorded approvals", ("when (UTC)", "stage", "role", "by"))
        for a in m.approvals:
            ap.add_row(a.at, a.stage, a.role, a.by)
        parts.append(ap)
    d = m.last_decision
    if d is None:
        parts.append(Text(NO_DECISION))
    else:
        word = "ALLOWED" if d.result == "allow" else "DENIED"
        style = "green bold" if d.result == "allow" else "red bold"
        line = Text.assemble(
            "Last decision: ",
            (word, style),
            f" at gate {d.stage}, {d.decided_at} ({d.decision_id})",
        )
        parts.append(line)
        if d.violations:
            vt = _table("Violations", ("kind", "control", "title", "finding", "source", "fix"))
            for x in d.violations:
                vt.add_row(
                    x.kind.upper(),
                    x.control,
                    x.title,
                    x.msg,
                    " ".join(s for s in (x.source, x.article) if s),
                    x.remediation or "(none given)",
                )
            parts.append(vt)
    if m.provenance.scan_id is None:
        parts.append(Text(NO_EVIDENCE))
        return Group(*parts)
    parts.extend(_drift(m))
    parts.extend(_fairness(m))
    for title, items, empty in (
        ("Performance", m.performance, NO_PERFORMANCE),
        ("Operations", m.operational, NO_OPERATIONAL),
    ):
        parts.append(_compare(title, items) if items else Text(empty))
    p = m.provenance
    prov = _table("Provenance", ("item", "value"))
    for k, val in (
        ("latest scan", f"{p.scan_id} at {p.scanned_at}, {p.rows} rows"),
        ("data changed at", p.data_changed_at or "not recorded"),
        ("files", ", ".join(f"{s.path} ({s.rows} rows)" for s in p.sources)),
        ("reference profile", p.profile_id or "none"),
        ("engine", f"govern {p.engine_version}"),
        ("policy bundle", p.bundle_hash or "no decision yet"),
        ("decisions", ", ".join(p.decision_ids) or "none"),
    ):
        prov.add_row(k, val)
    parts.append(prov)
    return Group(*parts)


def _drift(m: ModelView) -> list[RenderableType]:
    d = m.drift
    if d is None:
        return [Text(NO_DRIFT)]
    t = _table(
        f"Drift (PSI bands: moderate >= {fmt(d.psi_warn)}, significant >= {fmt(d.psi_deny)})",
        ("column", "PSI", "band", "p-value", "missing", "out of range", "unseen", "status"),
    )
    cols = list(d.features) + ([d.output] if d.output else [])
    for c in cols:
        t.add_row(
            f"{c.name} (score)" if c is d.output else c.name,
            fmt(c.psi),
            c.band,
            fmt(c.p_value),
            pct(c.missing_rate),
            pct(c.out_of_range_rate),
            pct(c.unseen_rate),
            c.status if c.status == "ok" else f"{c.status}: {'; '.join(c.reasons)}",
        )
    return [t]


def _fairness(m: ModelView) -> list[RenderableType]:
    if not m.fairness:
        return [Text(NO_FAIRNESS)]
    out: list[RenderableType] = []
    for a in m.fairness:
        t = _table(
            f"Fairness: {a.name} (four-fifths line {pct(a.four_fifths_line)})",
            ("group", "rows", "selection", "impact ratio", "TPR", "FPR", "FNR", "four-fifths"),
        )
        for g in a.groups:
            t.add_row(
                g.group,
                str(g.n),
                f"withheld (< {a.min_group_size} rows)" if g.withheld else pct(g.selection_rate),
                fmt(g.impact_ratio, 3),
                pct(g.tpr),
                pct(g.fpr),
                pct(g.fnr),
                "n/a (withheld)" if g.withheld else ("BELOW" if g.below_four_fifths else "ok"),
            )
        out.append(t)
    return out


def _compare(title: str, items: tuple[MetricCompare, ...]) -> Table:
    t = _table(title, ("metric", "current", "validated baseline", "status"))
    for c in items:
        status = c.status if c.status == "ok" else f"{c.status}: {c.reason or ''}"
        t.add_row(c.metric, fmt(c.current), fmt(c.baseline), status)
    return t


def print_report(console: Console, report: ReportView) -> None:
    """Every selected model, then the audit chain."""
    for m in report.models:
        console.print(render_model(m))
        console.print()
    a = report.audit
    state = "intact" if a.ok else f"BROKEN: {a.problem}"
    console.print(f"audit chain {state}; head seq {a.head_seq} hash {a.head_hash}")
