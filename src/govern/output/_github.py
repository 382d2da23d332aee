"""GitHub Actions: workflow commands that annotate the model card in the pull request.

`deny` becomes `::error`, `warn` becomes `::warning`, each with the card's file (relative
to the repository root, as GitHub resolves it) and the line of the offending field, so the
finding shows up on the diff. A run stopped by an error is one `::error` naming the file
and line of the error; so is each model a `check --all` run could not decide. The
Markdown job summary (the same text as the `markdown` format) is appended to
$GITHUB_STEP_SUMMARY by the writer when that variable is set. GitHub shows
only the first 10 error, 10 warning and 10 notice annotations of a step (actions/toolkit
docs/problem-matchers.md, "Limitations"), so when a run has more the summary says so above
its tables, which list every model and finding (see `job_summary`).
"""

from __future__ import annotations

from govern.output._markdown import render_markdown
from govern.output._report import Report, RunError

COMMANDS = {"deny": "error", "warn": "warning"}
ANNOTATION_LIMIT = 10
"""Annotations of one kind (error, warning, notice) GitHub shows per step; the rest are dropped."""

OVER_LIMIT = (
    "> [!WARNING]\n"
    "> This run reported {errors} error, {warnings} warning and {notices} notice "
    "annotations; GitHub shows at most {limit} of each kind per step, so some have no "
    "annotation on the diff. Every model and every finding is listed below."
)


def escape_data(text: str) -> str:
    """Escape a workflow-command message (GitHub's toolkit `escapeData`)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow-command property value (GitHub's toolkit `escapeProperty`)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def job_summary(report: Report) -> str:
    """The Markdown written to $GITHUB_STEP_SUMMARY (with a note past the annotation limit)."""
    text = render_markdown(report)
    errors, warnings = report.deny_count + len(report.failures), report.warn_count
    notices = sum(1 for m in report.models if m.decision.allowed)
    if max(errors, warnings, notices) <= ANNOTATION_LIMIT:
        return text
    head, sep, rest = text.partition("\n\n")
    note = OVER_LIMIT.format(
        errors=errors, warnings=warnings, notices=notices, limit=ANNOTATION_LIMIT
    )
    return f"{head}\n\n{note}{sep}{rest}"


def _error_command(error: RunError, message: str) -> str:
    """One `::error` naming the error's file and line when it has them."""
    props = []
    if error.path is not None:
        props.append(f"file={escape_property(error.uri or error.path)}")
        if error.line is not None:
            props.append(f"line={error.line}")
            if error.column is not None:
                props.append(f"col={error.column}")
    props.append(f"title={escape_property(f'govern check: {error.code}')}")
    return f"::error {','.join(props)}::{escape_data(message)}"


class GithubReporter:
    """One workflow command per finding, a notice per allowed model, then the summary."""

    name = "github"

    def render(self, report: Report, *, color: bool = False) -> str:
        """Workflow-command lines."""
        lines = []
        if report.error is not None:
            lines.append(_error_command(report.error, report.error.message))
        for f in report.failures:
            lines.append(_error_command(f.error, f"{f.ref} → {f.stage}: {f.error.message}"))
        for m in report.models:
            d = m.decision
            for v, loc in m.findings():
                props = []
                if m.card:
                    props += [f"file={escape_property(m.repo_path or m.card)}", f"line={loc.line}"]
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
