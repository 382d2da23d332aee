"""Markdown: a pull-request comment (and the GitHub job summary) of a run.

Cells are escaped so that policy messages cannot break the table or inject HTML. A run
stopped by an error gets a heading saying no decision was made, and the error; a model of
a `check --all` run that could not be decided gets a row and its error.
"""

from __future__ import annotations

from govern.output._report import CheckedModel, Report

_MARK = {True: "✅ allowed", False: "❌ denied"}
_KIND = {"deny": "❌ deny", "warn": "⚠️ warn"}
_UNDECIDED = "⚠️ error, no decision"


def cell(text: str) -> str:
    """Text made safe for one GitHub-flavoured Markdown table cell."""
    out = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return out.replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def _code(text: str) -> str:
    return f"`{text.replace('`', '')}`" if text else ""


def _findings(m: CheckedModel) -> list[str]:
    d = m.decision
    lines = [
        "",
        f"### {_code(m.ref)} → {d.stage}: {_MARK[d.allowed]}",
        "",
    ]
    if not d.violations:
        lines.append("No findings.")
        return lines
    lines += [
        "| result | severity | control | finding | remediation | where |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for v, loc in m.findings():
        where = _code(f"{m.repo_path}:{loc.line}") if m.card else ""
        lines.append(
            f"| {_KIND.get(v.kind, v.kind)} | {v.severity} | {_code(v.control)} "
            f"| {cell(v.msg)} | {cell(v.remediation or '')} | {where} |"
        )
    return lines


def _error(report: Report) -> list[str]:
    error = report.error
    assert error is not None
    where = f" in {_code(error.location)}" if error.location else ""
    return [
        "## govern check: ⚠️ error, no decision",
        "",
        f"{_code(error.code)}{where}:",
        "",
        f"> {cell(error.message)}",
        "",
        report.summary,
        "",
    ]


def render_markdown(report: Report) -> str:
    """Heading with the overall verdict, a table of models, then findings per model."""
    if report.error is not None:
        return "\n".join(_error(report))
    lines = [
        f"## govern check: {_UNDECIDED if report.failures else _MARK[report.allowed]}",
        "",
        "| model | stage | result | deny | warn |",
        "| --- | --- | --- | --- | --- |",
    ]
    for m in report.models:
        d = m.decision
        lines.append(
            f"| {_code(m.ref)} | {d.stage} | {_MARK[d.allowed]} "
            f"| {len(d.denials)} | {len(d.warnings)} |"
        )
    for f in report.failures:
        lines.append(f"| {_code(f.ref)} | {f.stage} | {_UNDECIDED} | | |")
    for f in report.failures:
        where = f" in {_code(f.error.location)}" if f.error.location else ""
        lines += [
            "",
            f"### {_code(f.ref)} → {f.stage}: {_UNDECIDED}",
            "",
            f"{_code(f.error.code)}{where}:",
            "",
            f"> {cell(f.error.message)}",
        ]
    for m in report.models:
        lines += _findings(m)
    lines += ["", report.summary, ""]
    return "\n".join(lines)


class MarkdownReporter:
    """GitHub-flavoured Markdown."""

    name = "markdown"

    def render(self, report: Report, *, color: bool = False) -> str:
        """The Markdown text."""
        return render_markdown(report)


REPORTER = MarkdownReporter()
