"""GitHub Actions: workflow commands that annotate the model card in the pull request.

`deny` becomes `::error`, `warn` becomes `::warning`, each with the card's file and the
line of the offending field, so the finding shows up on the diff. The Markdown job summary
(the same text as the `markdown` format) is appended to $GITHUB_STEP_SUMMARY by the writer
when that variable is set; see `job_summary`.
"""

from __future__ import annotations

from govern.output._markdown import render_markdown
from govern.output._report import Report

COMMANDS = {"deny": "error", "warn": "warning"}


def escape_data(text: str) -> str:
    """Escape a workflow-command message (GitHub's toolkit `escapeData`)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow-command property value (GitHub's toolkit `escapeProperty`)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def job_summary(report: Report) -> str:
    """The Markdown written to $GITHUB_STEP_SUMMARY."""
    return render_markdown(report)


class GithubReporter:
    """One workflow command per finding, a notice per allowed model, then the summary."""

    name = "github"

    def render(self, report: Report, *, color: bool = False) -> str:
        """Workflow-command lines."""
        lines = []
        for m in report.models:
            d = m.decision
            for v, loc in m.findings():
                props = []
                if m.card:
                    props += [f"file={escape_property(m.card)}", f"line={loc.line}"]
                props.append(f"title={escape_property(f'{v.control} ({v.severity})')}")
                msg = f"{m.ref} → {d.stage}: {v.msg}"
                if v.remediation:
                    msg += f" (remediation: {v.remediation})"
                lines.append(f"::{COMMANDS[v.kind]} {','.join(props)}::{escape_data(msg)}")
            if d.allowed:
                lines.append(
                    f"::notice title=govern::{escape_data(f'{m.ref} → {d.stage}: allowed')}"
                )
        lines.append(report.summary)
        return "\n".join(lines) + "\n"


REPORTER = GithubReporter()
