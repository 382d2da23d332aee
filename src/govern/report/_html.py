"""HTML renderer: one self-contained page (styles, scripts and chart data inline).

The page makes no network request: the charting library is inlined once (see _bundle.py),
each chart's Vega-Lite spec sits in a `<script type="application/json">` block, and a short
script renders a chart to SVG when its figure scrolls near the viewport, so a report of
1,000 models opens at once. Every chart has a caption and its numbers as a table below it;
numeric cells carry the exact stored value in `data-value` for machines (and tests).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from govern.report._bundle import bundle
from govern.report._charts import Chart, fmt, model_charts, pct
from govern.report._view import (
    NO_DECISION,
    NO_EVIDENCE,
    AttributeView,
    ColumnDrift,
    DecisionView,
    InventoryRow,
    MetricCompare,
    ModelView,
    ReportView,
)

NO_DRIFT = "no drift evidence in the latest scan"
NO_FAIRNESS = (
    "no fairness evidence: the model card's monitoring names no protected attribute "
    "(monitoring.protected), or no scan has run since it did"
)
NO_PERFORMANCE = (
    "no performance evidence: the model card's monitoring names no label column "
    "(monitoring.label), or no scan has run since it did"
)
NO_OPERATIONAL = (
    "no operational evidence: the model card's monitoring names no latency, error code or "
    "timestamp column"
)
NO_BINS = "per-bin shares not stored for this column (scanned by an older govern)"
NO_MODELS = "no model versions registered: run `govern register CARD.yaml`"

CSS = """
:root{--fg:#1b1b1b;--muted:#555;--line:#ccc;--deny:#b00020;--allow:#0b6e2e;--warn:#8a5300}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);
margin:0 auto;max-width:1100px;padding:1rem 1.5rem 4rem}
h1{font-size:1.6rem}h2{border-top:3px solid var(--fg);padding-top:.6rem;margin-top:2.5rem}
h3{margin-top:1.6rem}h4{margin:1rem 0 .3rem}
table{border-collapse:collapse;margin:.4rem 0 1rem;font-size:.9rem}
th,td{border:1px solid var(--line);padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f2f2}td.n{text-align:right;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:600;padding:.2rem 0}
.deny{color:var(--deny);font-weight:700}.allow{color:var(--allow);font-weight:700}
.warn{color:var(--warn);font-weight:700}
.band-significant{color:var(--deny);font-weight:700}.band-moderate{color:var(--warn)}
.note{background:#f6f6f6;border-left:4px solid #888;padding:.4rem .7rem;margin:.5rem 0}
figure{margin:1rem 0;padding:.5rem;border:1px solid var(--line);break-inside:avoid}
figcaption{font-weight:600;margin-bottom:.3rem}
.chart{min-height:60px;overflow-x:auto}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(480px,1fr));gap:0 1rem}
details{margin:.3rem 0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem}dt{font-weight:600}
dd{margin:0}code{font-size:.85em;word-break:break-all}
nav ul{columns:3;padding-left:1.2rem}
@media print{.chart{min-height:0}details{display:block}}
"""

DRIVER = """
(function(){
  var opts={renderer:"svg",actions:false};
  function render(fig){
    if(fig.dataset.state)return;
    fig.dataset.state="rendering";
    var spec=JSON.parse(document.getElementById(fig.dataset.skeleton).textContent);
    spec.data={values:JSON.parse(document.getElementById(fig.dataset.spec).textContent)};
    spec.description=fig.dataset.description;
    var box=fig.querySelector(".chart");
    window.vegaEmbed(box,spec,opts).then(function(){
      var svg=box.querySelector("svg");
      if(svg){svg.setAttribute("role","img");
        svg.setAttribute("aria-labelledby",fig.querySelector("figcaption").id);}
      fig.dataset.state="rendered";
    }).catch(function(e){fig.dataset.state="error";console.error(e);});
  }
  var figs=document.querySelectorAll("figure[data-spec]");
  window.govern={renderAll:function(){figs.forEach(render);}};
  if(!("IntersectionObserver" in window)){figs.forEach(render);return;}
  var io=new IntersectionObserver(function(es){es.forEach(function(e){
    if(e.isIntersecting){io.unobserve(e.target);render(e.target);}});},{rootMargin:"600px"});
  figs.forEach(function(f){io.observe(f);});
  window.addEventListener("beforeprint",window.govern.renderAll);
})();
"""


_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"})


_SPECIAL = re.compile("[&<>\"']")


def _e(x: object) -> str:
    """html.escape(quote=True); most cells have nothing to escape (a report has ~10^6)."""
    if x is None:
        return ""
    text = str(x)
    return text.translate(_ESCAPES) if _SPECIAL.search(text) else text


def _num(x: float | None, text: str | None = None) -> str:
    shown = text if text is not None else fmt(x)
    if x is None:
        return f'<td class="n">{_e(shown)}</td>'
    return f'<td class="n" data-value="{x!r}">{_e(shown)}</td>'


def _table(
    headers: Iterable[str], rows: Iterable[Iterable[str]], caption: str = "", cls: str = ""
) -> str:
    """Rows are pre-rendered `<td>` cells or plain strings (escaped here)."""
    head = "".join(f'<th scope="col">{_e(h)}</th>' for h in headers)
    body = []
    for row in rows:
        cells = [c if c.startswith("<td") else f"<td>{_e(c)}</td>" for c in row]
        body.append(f"<tr>{''.join(cells)}</tr>")
    cap = f"<caption>{_e(caption)}</caption>" if caption else ""
    klass = f' class="{cls}"' if cls else ""
    return (
        f"<table{klass}>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def _note(text: str, cls: str = "note") -> str:
    return f'<p class="{cls}">{_e(text)}</p>'


class Skeletons:
    """Chart specs without their data, each distinct one written once per page.

    A 1,000-model report has ~13,000 charts but a few hundred distinct specs once the data
    and the description are taken out: the page stores each skeleton once, each figure its
    own data, and the driver puts them together.
    """

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}

    def id_of(self, spec: dict[str, Any]) -> str:
        text = _json({k: v for k, v in spec.items() if k not in ("data", "description")})
        return self.ids.setdefault(text, f"k{len(self.ids)}")

    def html(self) -> str:
        return "".join(
            f'<script type="application/json" id="{i}">{text}</script>'
            for text, i in self.ids.items()
        )


def _json(doc: Any) -> str:
    # "<" as \u003c: no "</script>" or "<!--" inside the block can end or confuse it.
    text = json.dumps(doc, separators=(",", ":"), allow_nan=False, check_circular=False)
    return text.replace("<", "\\u003c")


def _figure(model: ModelView, chart: Chart, k: Skeletons) -> str:
    cid = f"{model.anchor}-{chart.key}".replace(" ", "_")
    data = _json(chart.spec["data"]["values"])
    table = _table(chart.headers, chart.rows)
    return (
        f'<figure data-spec="s-{_e(cid)}" data-skeleton="{k.id_of(chart.spec)}" '
        f'data-description="{_e(chart.spec.get("description", ""))}" '
        f'data-chart="{_e(chart.key)}">'
        f'<figcaption id="c-{_e(cid)}">{_e(chart.title)}</figcaption>'
        f'<div class="chart"></div>'
        f'<script type="application/json" id="s-{_e(cid)}">{data}</script>'
        f"<details><summary>Data table: {_e(chart.title)}</summary>{table}</details>"
        f"</figure>"
    )


def render_html(
    report: ReportView,
    *,
    title: str = "govern report",
    model_href: Callable[[str, str], str] | None = None,
    banner: str | None = None,
    show_inventory: bool = True,
) -> str:
    """The whole page as one string.

    `model_href(name, version)` links inventory rows elsewhere (the web view's model pages);
    by default rows link to the model's section in this page when it has one.
    """
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # No request may leave the file: deny every fetch except inline script and style.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:\">",
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>",
        f"<header><h1>{_e(title)}</h1>",
        f"<p>Generated {_e(report.generated_at)} from <code>{_e(report.database)}</code>.</p>",
        _audit(report),
        _note(banner, "note banner") if banner else "",
        "</header>",
        _nav(report),
        "<main>",
        _inventory(report, model_href) if show_inventory else "",
    ]
    skeletons = Skeletons()
    parts.extend(_model(m, skeletons) for m in report.models)
    parts.append("</main>")
    parts.append(skeletons.html())
    parts.append(f"<script>{bundle()}</script><script>{DRIVER}</script></body></html>")
    return "".join(parts)


def _audit(report: ReportView) -> str:
    a = report.audit
    state = (
        '<span class="allow">intact</span>'
        if a.ok
        else f'<span class="deny">BROKEN</span>: {_e(a.problem)}'
    )
    return (
        f'<p id="audit">Audit hash chain: {state}; {a.rows} rows; head seq '
        f'<span data-field="audit-seq">{a.head_seq}</span> hash <code data-field="audit-hash">'
        f"{_e(a.head_hash)}</code>. Content digests of evidence and decisions: "
        "<code>govern audit verify</code>.</p>"
    )


def _nav(report: ReportView) -> str:
    if not report.models:
        return ""
    items = "".join(f'<li><a href="#{m.anchor}">{_e(m.ref)}</a></li>' for m in report.models)
    return f'<nav aria-label="model versions"><h2>Contents</h2><ul>{items}</ul></nav>'


def _inventory(report: ReportView, model_href: Callable[[str, str], str] | None) -> str:
    if not report.inventory:
        return f'<section id="inventory"><h2>Inventory</h2>{_note(NO_MODELS)}</section>'
    shown = {m.anchor for m in report.models}
    rows = []
    for r in report.inventory:
        href = model_href(r.name, r.version) if model_href else None
        if href is None and r.anchor in shown:
            href = f"#{r.anchor}"
        rows.append(_inventory_row(r, href))
    headers = (
        "model",
        "stage",
        "owner",
        "tier",
        "last evidence",
        "evidence age (days)",
        "last decision",
        "zombie flags",
    )
    return (
        '<section id="inventory"><h2>Inventory</h2>'
        + _table(headers, rows, f"{len(rows)} model versions", "inventory")
        + "</section>"
    )


def _inventory_row(r: InventoryRow, href: str | None) -> list[str]:
    ref = f"{r.name}@{r.version}"
    name = f'<a href="{_e(href)}">{_e(ref)}</a>' if href else _e(ref)
    decision = "none"
    if r.last_result:
        decision = f"{r.last_result} ({r.last_decision_stage}, {r.last_decided_at})"
    flags = "; ".join(r.zombie_reasons) if r.zombie_reasons else "none"
    return [
        f"<td>{name}</td>",
        r.stage,
        r.owner or "(none)",
        r.risk_tier or "",
        r.last_evidence_at or "never",
        _num(r.evidence_age_days, _days(r.evidence_age_days)),
        decision,
        f'<td class="{"deny" if r.zombie_reasons else ""}">{_e(flags)}</td>',
    ]


def _days(days: float | None) -> str:
    return "n/a" if days is None else f"{days:.1f}"


def _model(m: ModelView, k: Skeletons) -> str:
    charts = model_charts(m)
    return "".join(
        [
            f'<section id="{m.anchor}" class="model" data-ref="{_e(m.ref)}">',
            f"<h2>{_e(m.ref)}</h2>",
            _header(m),
            _drift(m, charts["drift"], k),
            _fairness(m, charts["fairness"], k),
            _performance(m, charts["performance"], k),
            _provenance(m),
            "</section>",
        ]
    )


def _header(m: ModelView) -> str:
    facts = [
        ("owner", m.owner or "(none)"),
        ("risk tier", m.risk_tier or ""),
        ("use case", m.use_case or ""),
        ("regulatory scope", ", ".join(m.scope) or "(none)"),
        ("stage", m.stage),
        ("zombie flags", "; ".join(m.zombie_reasons) or "none"),
    ]
    dl = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts)
    out = [
        f'<section class="header" aria-label="{_e(m.ref)} header"><h3>Overview</h3><dl>{dl}</dl>'
    ]
    history = [
        (e.at, e.action, e.from_stage or "", e.to_stage or "", e.actor or "", e.decision_id or "")
        for e in m.history
    ]
    out.append("<h4>Stage history</h4>")
    out.append(
        _table(("when (UTC)", "action", "from", "to", "actor", "decision"), history)
        if history
        else _note("no lifecycle events recorded")
    )
    out.append("<h4>Recorded approvals</h4>")
    rows = [(a.at, a.stage, a.role, a.by, a.note or "") for a in m.approvals]
    out.append(
        _table(("when (UTC)", "stage", "role", "by", "note"), rows, cls="approvals")
        if rows
        else _note("no approval recorded with `govern approve`")
    )
    out.append("<h4>Last decision</h4>")
    out.append(_decision(m.last_decision) if m.last_decision else _note(NO_DECISION))
    out.append("</section>")
    return "".join(out)


def _decision(d: DecisionView) -> str:
    word = "ALLOWED" if d.result == "allow" else "DENIED"
    cls = "allow" if d.result == "allow" else "deny"
    head = (
        f'<p class="decision" data-decision="{_e(d.decision_id)}">'
        f'<span class="{cls}">{word}</span> at gate <strong>{_e(d.stage)}</strong>, '
        f"{_e(d.decided_at)}; {len(d.violations)} violation(s); decision <code>"
        f"{_e(d.decision_id)}</code></p>"
    )
    if not d.violations:
        return head
    rows = [
        (
            f'<td class="{"deny" if v.kind == "deny" else "warn"}">{_e(v.kind.upper())}</td>',
            f"<td><code>{_e(v.control)}</code></td>",
            v.title,
            v.severity,
            v.msg,
            " ".join(x for x in (v.source, v.article) if x),
            v.remediation or "(none given)",
        )
        for v in d.violations
    ]
    headers = ("kind", "control", "title", "severity", "finding", "source", "remediation")
    return head + _table(headers, rows, cls="violations")


def _drift(m: ModelView, charts: list[Chart], k: Skeletons) -> str:
    out = ['<section class="drift"><h3>Drift</h3>']
    d = m.drift
    if m.provenance.scan_id is None:
        out.append(_note(NO_EVIDENCE))
    elif d is None:
        out.append(_note(NO_DRIFT))
    else:
        out.append(
            f"<p>PSI bands: stable below {fmt(d.psi_warn)}, moderate from {fmt(d.psi_warn)}, "
            f"significant from {fmt(d.psi_deny)}. Features are sorted by PSI, highest first.</p>"
        )
        cols = list(d.features) + ([d.output] if d.output else [])
        out.append(
            _table(
                _DRIFT_HEADERS,
                [_drift_row(c, c is d.output) for c in cols],
                "Drift per column",
                "drift-table",
            )
        )
        out.append('<div class="charts">' + "".join(_figure(m, c, k) for c in charts) + "</div>")
        missing = [c.name for c in cols if not c.bins and c.status == "ok"]
        if missing:
            out.append(_note(f"{NO_BINS}: {', '.join(missing)}"))
    out.append("</section>")
    return "".join(out)


_DRIFT_HEADERS = (
    "column",
    "kind",
    "PSI",
    "band",
    "chi-square",
    "p-value",
    "missing",
    "out of range",
    "unseen",
    "rows",
    "status",
)


def _drift_row(c: ColumnDrift, is_output: bool) -> list[str]:
    name = f"{c.name} (score)" if is_output else c.name
    status = c.status if c.status == "ok" else f"{c.status}: {'; '.join(c.reasons)}"
    return [
        f'<td data-column="{_e(c.name)}">{_e(name)}</td>',
        c.kind,
        _num(c.psi),
        f'<td class="band-{_e(c.band.replace("/", ""))}">{_e(c.band)}</td>',
        _num(c.chi2),
        _num(c.p_value),
        _num(c.missing_rate, pct(c.missing_rate)),
        _num(c.out_of_range_rate, pct(c.out_of_range_rate)),
        _num(c.unseen_rate, pct(c.unseen_rate)),
        _num(float(c.rows) if c.rows is not None else None, str(c.rows)),
        status,
    ]


def _fairness(m: ModelView, charts: list[Chart], k: Skeletons) -> str:
    out = ['<section class="fairness"><h3>Fairness</h3>']
    if m.provenance.scan_id is None:
        out.append(_note(NO_EVIDENCE))
    elif not m.fairness:
        out.append(_note(NO_FAIRNESS))
    else:
        out.append(
            "<p>Four-fifths line: 0.8 times the highest selection rate among groups large "
            "enough to report (29 CFR 1607.4(D)). A group below it shows a disparity worth "
            "review; it does not by itself establish fairness-related harm.</p>"
        )
        by_key = {c.key: c for c in charts}
        for a in m.fairness:
            out.append(_attribute(m, a, by_key.get(f"fair-{a.name}"), k))
    out.append("</section>")
    return "".join(out)


def _attribute(m: ModelView, a: AttributeView, chart: Chart | None, k: Skeletons) -> str:
    out = [f'<h4 data-attribute="{_e(a.name)}">Attribute {_e(a.name)}</h4>']
    facts = (
        f"<p>minimum group size {a.min_group_size}; most favoured group "
        f"{_e(a.most_favoured_group or 'n/a')}; lowest impact ratio "
        f"{fmt(a.min_impact_ratio, 3)}; four-fifths line {pct(a.four_fifths_line)}</p>"
    )
    out.append(facts)
    if a.status != "ok":
        out.append(_note(f"{a.status}: {'; '.join(a.reasons)}"))
    rows = []
    for g in a.groups:
        sel = (
            f'<td class="warn">withheld: {g.n} rows, fewer than {a.min_group_size}</td>'
            if g.withheld
            else _num(g.selection_rate, pct(g.selection_rate))
        )
        flag = "BELOW four-fifths" if g.below_four_fifths else "no"
        if g.withheld:
            flag = "n/a (withheld)"
        rows.append(
            [
                f'<td data-group="{_e(g.group)}">{_e(g.group)}</td>',
                _num(float(g.n) if g.n is not None else None, str(g.n)),
                sel,
                _num(g.impact_ratio, fmt(g.impact_ratio, 3)),
                _num(g.tpr, pct(g.tpr)),
                _num(g.fpr, pct(g.fpr)),
                _num(g.fnr, pct(g.fnr)),
                f'<td class="{"deny" if g.below_four_fifths else ""}">{flag}</td>',
            ]
        )
    headers = (
        "group",
        "rows",
        "selection rate",
        "impact ratio",
        "TPR",
        "FPR",
        "FNR",
        "below four-fifths line",
    )
    out.append(_table(headers, rows, f"Groups of {a.name}", "fairness-table"))
    if chart is not None:
        out.append(_figure(m, chart, k))
    return "".join(out)


def _compare_rows(items: tuple[MetricCompare, ...]) -> list[list[str]]:
    rows = []
    for c in items:
        delta = c.current - c.baseline if c.current is not None and c.baseline is not None else None
        status = c.status if c.status == "ok" else f"{c.status}: {c.reason or ''}"
        rows.append(
            [
                f'<td data-metric="{_e(c.metric)}">{_e(c.metric)}</td>',
                _num(c.current),
                _num(c.baseline),
                _num(delta),
                status,
            ]
        )
    return rows


def _performance(m: ModelView, charts: list[Chart], k: Skeletons) -> str:
    out = ['<section class="performance"><h3>Performance and operations</h3>']
    if m.provenance.scan_id is None:
        out.append(_note(NO_EVIDENCE))
        out.append("</section>")
        return "".join(out)
    headers = ("metric", "current", "validated baseline", "change", "status")
    if m.performance:
        out.append(_table(headers, _compare_rows(m.performance), "Performance", "perf-table"))
    else:
        out.append(_note(NO_PERFORMANCE))
    if m.operational:
        out.append(_table(headers, _compare_rows(m.operational), "Operations", "ops-table"))
    else:
        out.append(_note(NO_OPERATIONAL))
    out.append(f"<p>{m.provenance.scans} scan(s) stored; trends below plot every one.</p>")
    out.append('<div class="charts">' + "".join(_figure(m, c, k) for c in charts) + "</div>")
    out.append("</section>")
    return "".join(out)


def _provenance(m: ModelView) -> str:
    p = m.provenance
    facts: list[tuple[str, Any]] = [
        ("latest scan", p.scan_id or "none"),
        ("scanned at", p.scanned_at or ""),
        ("data changed at", p.data_changed_at or ""),
        ("rows scanned", p.rows if p.rows is not None else ""),
        ("reference profile", p.profile_id or "none"),
        ("engine", f"govern {p.engine_version}" if p.engine_version else ""),
        ("policy bundle hash", p.bundle_hash or "no decision yet"),
        ("policy engine", p.policy_engine or ""),
        ("model card", f"{p.card_path or '(inline)'} sha256 {p.card_sha256}"),
        ("decision ids", ", ".join(p.decision_ids) or "none"),
    ]
    dl = "".join(f"<dt>{_e(k)}</dt><dd><code>{_e(v)}</code></dd>" for k, v in facts)
    files = [
        (
            s.path,
            _num(float(s.size), str(s.size)) if s.size is not None else "",
            _num(float(s.rows), str(s.rows)) if s.rows is not None else "",
        )
        for s in p.sources
    ]
    table = _table(("file", "bytes", "rows"), files, "Scanned files") if files else ""
    return f'<section class="provenance"><h3>Provenance</h3><dl>{dl}</dl>{table}</section>'
