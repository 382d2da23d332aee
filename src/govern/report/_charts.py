"""Vega-Lite chart specifications built from a model view, each with a table alternative.

A chart is data (a Vega-Lite v5/v6 spec with its values inline) plus the same numbers as a
table, so a reader who cannot see the picture loses nothing. Series are told apart by
position, fill (solid vs. outlined), dash pattern and point shape as well as colour, and
every bar carries its value as text, so colour never carries meaning alone.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from govern.report._view import AttributeView, ColumnDrift, DriftView, ModelView, TrendPoint
from govern.results import CLASSIFICATION_METRICS

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"  # an identifier, never fetched
# Okabe & Ito (2008) colour-blind-safe palette.
BLUE, ORANGE, GREEN, VERMILION, PURPLE = "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7"
BAND_COLOURS = {"stable": GREEN, "moderate": ORANGE, "significant": VERMILION, "n/a": "#999999"}
WIDTH = 330  # two charts side by side in the page's 1,100 px column, legends included
Row = tuple[str, ...]


@dataclass(frozen=True)
class Chart:
    """One chart: a title, a Vega-Lite spec, and its data as a table."""

    key: str
    title: str
    spec: dict[str, Any]
    headers: Row
    rows: tuple[Row, ...]


def fmt(x: float | None, digits: int = 4) -> str:
    """A number for people: 4 significant digits; a dash for no value."""
    if x is None:
        return "n/a"
    return f"{x:.{digits}g}"


def pct(x: float | None) -> str:
    """A share as a percentage with one decimal."""
    return "n/a" if x is None else f"{100 * x:.1f}%"


def r5(x: float) -> float:
    """A value rounded to 5 significant digits: what a chart can show, in fewer bytes."""
    return float(f"{x:.5g}")


def _base(title: str, description: str, values: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        # The figure's caption is the title (one title, read once by screen readers).
        "description": f"{title}. {description}",
        "data": {"values": values},
        "config": {"font": "sans-serif", "view": {"stroke": None}},
    }


def drift_chart(model: ModelView, col: ColumnDrift, what: str = "feature") -> Chart | None:
    """Reference vs current share of valid values per bin (side-by-side bars)."""
    if not col.bins:
        return None
    values = [
        {"bin": b.label, "order": i, "reference": r5(b.reference), "current": r5(b.current)}
        for i, b in enumerate(col.bins)
    ]
    title = f"{col.name}: reference vs current share per bin (PSI {fmt(col.psi)}, {col.band})"
    spec = _base(title, f"Bar chart of the {what} {col.name} per bin; table follows.", values)
    series = {"field": "series", "type": "nominal", "sort": ["reference", "current"]}
    spec.update(
        {
            "width": WIDTH,
            "height": 180,
            "transform": [{"fold": ["reference", "current"], "as": ["series", "share"]}],
            "mark": {"type": "bar", "stroke": "#222222", "strokeWidth": 1},
            "encoding": {
                "x": {
                    "field": "bin",
                    "type": "ordinal",
                    "sort": {"field": "order"},
                    "title": "bin",
                    "axis": {"labelAngle": -35, "labelLimit": 110},
                },
                "xOffset": series,
                "y": {"field": "share", "type": "quantitative", "axis": {"format": ".0%"}},
                "color": {
                    **series,
                    "scale": {"domain": ["reference", "current"], "range": [BLUE, ORANGE]},
                    "title": "share of",
                },
                "fillOpacity": {
                    **series,
                    "scale": {"domain": ["reference", "current"], "range": [0.25, 1.0]},
                    "legend": None,
                },
                "tooltip": [
                    {"field": "bin"},
                    {"field": "series"},
                    {"field": "share", "format": ".2%"},
                ],
            },
        }
    )
    rows = tuple((b.label, pct(b.reference), pct(b.current)) for b in col.bins)
    return Chart(
        f"drift-{col.name}", title, spec, ("bin", "reference share", "current share"), rows
    )


def psi_chart(model: ModelView, drift: DriftView) -> Chart | None:
    """PSI per feature, highest first, with the two band cut-offs drawn and labelled."""
    cols = [c for c in drift.features if c.psi is not None]
    if not cols:
        return None
    values = [
        {
            "feature": c.name,
            "psi": r5(c.psi or 0.0),
            "band": c.band,
            "label": f"{fmt(c.psi, 3)} {c.band}",
        }
        for c in cols
    ]
    top = max(float(c.psi or 0.0) for c in cols)
    title = (
        f"{model.ref}: PSI per feature, highest first (dashed lines: moderate from "
        f"{fmt(drift.psi_warn)}, significant from {fmt(drift.psi_deny)})"
    )
    spec = _base(title, "Horizontal bars of PSI per feature with band cut-offs.", values)
    y = {"field": "feature", "type": "nominal", "sort": [c.name for c in cols], "title": None}
    rules = [{"cut": drift.psi_warn}, {"cut": drift.psi_deny}]
    spec.update(
        {
            "width": WIDTH,
            "layer": [
                {
                    "mark": {"type": "bar", "stroke": "#222222"},
                    "encoding": {
                        "y": y,
                        "x": {
                            "field": "psi",
                            "type": "quantitative",
                            "title": "PSI",
                            # room for the value labels right of the longest bar
                            "scale": {"domainMax": 1.45 * max(top, drift.psi_deny)},
                        },
                        "color": {
                            "field": "band",
                            "type": "nominal",
                            "scale": {
                                "domain": list(BAND_COLOURS),
                                "range": list(BAND_COLOURS.values()),
                            },
                        },
                    },
                },
                {
                    "mark": {"type": "text", "align": "left", "dx": 4},
                    "encoding": {
                        "y": y,
                        "x": {"field": "psi", "type": "quantitative"},
                        "text": {"field": "label"},
                    },
                },
                {
                    "data": {"values": rules},
                    "mark": {"type": "rule", "strokeDash": [4, 3], "color": "#333333"},
                    "encoding": {"x": {"field": "cut", "type": "quantitative"}},
                },
            ],
        }
    )
    rows = tuple((c.name, fmt(c.psi), c.band) for c in cols)
    return Chart("psi", title, spec, ("feature", "PSI", "band"), rows)


def fairness_chart(model: ModelView, attr: AttributeView) -> Chart | None:
    """Selection rate, TPR, FPR and FNR per group, with the four-fifths line."""
    measured = [g for g in attr.groups if not g.withheld]
    if not attr.groups:
        return None
    metrics: tuple[tuple[str, str], ...] = (
        ("selection rate", "selection_rate"),
        ("TPR", "tpr"),
        ("FPR", "fpr"),
        ("FNR", "fnr"),
    )
    values: list[dict[str, Any]] = []
    for g in measured:
        for label, field in metrics:
            v = getattr(g, field)
            if v is not None:
                values.append(
                    {"group": g.group, "metric": label, "value": r5(v), "text": fmt(v, 3)}
                )
    if not values:  # every group withheld or unmeasured: the table says why, no empty chart
        return None
    withheld = [
        {"group": g.group, "text": f"withheld: {g.n} rows < {attr.min_group_size}"}
        for g in attr.groups
        if g.withheld
    ]
    title = f"{attr.name}: rates per group (four-fifths line dashed)"
    spec = _base(title, f"Grouped bars of rates per group of {attr.name}; table follows.", values)
    order = [m for m, _ in metrics]
    x = {"field": "group", "type": "nominal", "title": attr.name, "axis": {"labelAngle": 0}}
    metric = {"field": "metric", "type": "nominal", "sort": order}
    layers: list[dict[str, Any]] = [
        {
            "mark": {"type": "bar", "stroke": "#222222"},
            "encoding": {
                "x": x,
                "xOffset": metric,
                "y": {
                    "field": "value",
                    "type": "quantitative",
                    "title": "rate",
                    "scale": {"domain": [0, 1]},
                },
                "color": {
                    **metric,
                    "scale": {"domain": order, "range": [BLUE, GREEN, ORANGE, PURPLE]},
                },
                "fillOpacity": {
                    **metric,
                    "scale": {"domain": order, "range": [1.0, 0.75, 0.5, 0.3]},
                    "legend": None,
                },
            },
        },
        {
            "mark": {"type": "text", "dy": -4, "fontSize": 9, "angle": 0},
            "encoding": {
                "x": x,
                "xOffset": metric,
                "y": {"field": "value", "type": "quantitative"},
                "text": {"field": "text"},
            },
        },
    ]
    if attr.four_fifths_line is not None:
        line = [{"y": attr.four_fifths_line, "label": "four-fifths of highest selection rate"}]
        layers.append(
            {
                "data": {"values": line},
                "mark": {"type": "rule", "strokeDash": [6, 3], "color": VERMILION},
                "encoding": {"y": {"field": "y", "type": "quantitative"}},
            }
        )
        layers.append(
            {
                "data": {"values": line},
                "mark": {"type": "text", "align": "left", "x": 2, "dy": -5, "fontSize": 10},
                "encoding": {
                    "y": {"field": "y", "type": "quantitative"},
                    "text": {"field": "label"},
                },
            }
        )
    if withheld:
        layers.append(
            {
                "data": {"values": withheld},
                "mark": {"type": "text", "y": 20, "fontSize": 10},
                "encoding": {"x": x, "text": {"field": "text"}},
            }
        )
    spec.update({"width": WIDTH, "height": 200, "layer": layers})
    rows = tuple(
        (
            g.group,
            str(g.n) if g.n is not None else "n/a",
            "withheld (group too small)" if g.withheld else pct(g.selection_rate),
            fmt(g.impact_ratio, 3),
            pct(g.tpr),
            pct(g.fpr),
            pct(g.fnr),
            "n/a (withheld)" if g.withheld else ("yes" if g.below_four_fifths else "no"),
        )
        for g in attr.groups
    )
    headers = (
        "group",
        "rows",
        "selection rate",
        "impact ratio",
        "TPR",
        "FPR",
        "FNR",
        "below four-fifths",
    )
    return Chart(f"fair-{attr.name}", title, spec, headers, rows)


# Performance metrics on a 0..1 scale that share one chart (Brier and ECE are errors, also 0..1).
_RATES = (*CLASSIFICATION_METRICS, "label_coverage")
# Eight distinct (colour, dash, shape) triples: Okabe & Ito's eight colours, and a dash and a
# point shape per series, so any two series differ in all three.
_PALETTE = [BLUE, ORANGE, GREEN, VERMILION, PURPLE, "#56B4E9", "#000000", "#F0E442"]
_SHAPES = [
    "circle",
    "square",
    "triangle-up",
    "diamond",
    "cross",
    "triangle-down",
    "triangle-left",
    "triangle-right",
]
_DASHES = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [4, 1], [1, 3], [10, 2], [3, 3, 1, 3]]


def trend_chart(
    model: ModelView, key: str, title: str, points: list[TrendPoint], y_title: str
) -> Chart | None:
    """A line per metric over every stored scan (dash and point shape per metric)."""
    if not points:
        return None
    metrics = sorted({p.metric for p in points})
    number: dict[str, int] = {}
    for p in points:  # oldest first, as the store returns them
        number.setdefault(p.scan_id, len(number) + 1)
    step = max(1, -(-len(number) // 10))  # at most ~10 whole-number ticks
    ticks = list(range(1, len(number) + 1, step))
    values = [
        {"scan": number[p.scan_id], "at": p.at, "metric": p.metric, "value": r5(p.value)}
        for p in points
    ]
    spec = _base(title, f"Line chart of {y_title} per scan over time; table follows.", values)
    metric = {"field": "metric", "type": "nominal", "sort": metrics, "title": "metric"}
    n = len(metrics)
    scale_dash = {"domain": metrics, "range": [_DASHES[i % 8] for i in range(n)]}
    scale_shape = {"domain": metrics, "range": [_SHAPES[i % 8] for i in range(n)]}
    palette = [_PALETTE[i % 8] for i in range(n)]
    spec.update(
        {
            "width": WIDTH,
            "height": 180,
            "mark": {"type": "line", "point": {"filled": True, "size": 50}},
            "encoding": {
                # One step per scan, whether scans are minutes or months apart; the table
                # and the tooltip give each scan's time.
                "x": {
                    "field": "scan",
                    "type": "quantitative",
                    "title": "scan number (oldest first)",
                    "axis": {"format": "d", "values": ticks},
                    "scale": {"domainMin": 1, "nice": False},
                },
                "y": {"field": "value", "type": "quantitative", "title": y_title},
                "color": {**metric, "scale": {"domain": metrics, "range": palette}},
                "strokeDash": {**metric, "scale": scale_dash},
                "shape": {**metric, "scale": scale_shape},
                "tooltip": [
                    {"field": "scan", "type": "quantitative"},
                    {"field": "at"},
                    {"field": "metric"},
                    {"field": "value", "type": "quantitative"},
                ],
            },
        }
    )
    rows = tuple((str(number[p.scan_id]), p.at, p.metric, fmt(p.value)) for p in points)
    return Chart(key, title, spec, ("scan", "scan time (UTC)", "metric", "value"), rows)


def baseline_chart(model: ModelView) -> Chart | None:
    """Current value vs the validated baseline of each metric the card states one for."""
    pairs = [m for m in model.performance if m.baseline is not None and m.current is not None]
    if not pairs:
        return None
    values = []
    for m in pairs:
        values.append({"metric": m.metric, "series": "validated baseline", "value": m.baseline})
        values.append({"metric": m.metric, "series": "current", "value": m.current})
    title = f"{model.ref}: performance now vs the validated baseline"
    spec = _base(title, "Bars of each metric now and at validation; table follows.", values)
    series = {"field": "series", "type": "nominal", "sort": ["validated baseline", "current"]}
    domain = ["validated baseline", "current"]
    spec.update(
        {
            "width": 260,
            "height": 160,
            "layer": [
                {
                    "mark": {"type": "bar", "stroke": "#222222"},
                    "encoding": {
                        "x": {"field": "metric", "type": "nominal"},
                        "xOffset": series,
                        "y": {"field": "value", "type": "quantitative"},
                        "color": {**series, "scale": {"domain": domain, "range": [BLUE, ORANGE]}},
                        "fillOpacity": {
                            **series,
                            "scale": {"domain": domain, "range": [0.25, 1.0]},
                            "legend": None,
                        },
                    },
                },
                {
                    "mark": {"type": "text", "dy": -4, "fontSize": 9},
                    "transform": [{"calculate": "format(datum.value, '.3f')", "as": "t"}],
                    "encoding": {
                        "x": {"field": "metric", "type": "nominal"},
                        "xOffset": series,
                        "y": {"field": "value", "type": "quantitative"},
                        "text": {"field": "t"},
                    },
                },
            ],
        }
    )
    rows = tuple((m.metric, fmt(m.baseline), fmt(m.current)) for m in pairs)
    return Chart("baseline", title, spec, ("metric", "validated baseline", "current"), rows)


def model_charts(model: ModelView) -> dict[str, list[Chart]]:
    """Every chart of one model, by section."""
    out: dict[str, list[Chart]] = {"drift": [], "fairness": [], "performance": []}
    d = model.drift
    if d is not None:
        for c in (psi_chart(model, d),):
            if c:
                out["drift"].append(c)
        if d.output is not None:
            c = drift_chart(model, d.output, "score")
            if c:
                title = f"Score distribution: {c.title}"
                out["drift"].append(replace(c, key="score", title=title))
        for col in d.features:
            c = drift_chart(model, col)
            if c:
                out["drift"].append(c)
    for a in model.fairness:
        c = fairness_chart(model, a)
        if c:
            out["fairness"].append(c)
    perf = [p for p in model.trend if p.family == "performance" and p.metric in _RATES]
    lat = [p for p in model.trend if p.metric.startswith("latency_")]
    err = [p for p in model.trend if p.metric == "error_rate"]
    psi = [p for p in model.trend if p.family == "drift"]
    ref = model.ref
    for c2 in (
        baseline_chart(model),
        trend_chart(model, "trend-perf", f"{ref}: performance per scan", perf, "value"),
        trend_chart(model, "trend-latency", f"{ref}: latency p50/p95/p99 per scan", lat, "ms"),
        trend_chart(model, "trend-errors", f"{ref}: error rate per scan", err, "error rate"),
        trend_chart(model, "trend-psi", f"{ref}: PSI per feature per scan", psi, "PSI"),
    ):
        if c2:
            out["performance"].append(c2)
    return out
