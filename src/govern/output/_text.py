"""Text: a table of findings per model for people at a terminal or reading a CI log.

Colour is used only when the caller says the destination is a terminal; files and pipes
get plain text of a fixed width, so logs and tests see the same bytes every time.
"""

from __future__ import annotations

from io import StringIO

from govern.output._report import Report

WIDTH = 120
TABLE_LIMIT = 50
"""Above this many models (a `check --all` over an inventory) findings are one line each:
a table per model costs ~5 ms of layout, seconds over 1,000 models, and is no easier to
read at that length; the line keeps every field of the table."""
_SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}


class TextReporter:
    """Verdict line, findings table (severity, control, message, remediation) and summary."""

    name = "text"

    def render(self, report: Report, *, color: bool = False) -> str:
        """Plain text, or ANSI-coloured text when `color` is True."""
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        buf = StringIO()
        console = Console(
            file=buf,
            width=WIDTH,
            force_terminal=color,
            no_color=not color,
            color_system="standard" if color else None,
            highlight=False,
            emoji=False,
            markup=False,
        )
        if report.error is not None:
            e = report.error
            where = f"{e.location}: " if e.location and e.location not in e.message else ""
            console.print(f"ERROR {e.code}: {where}{e.message}")
            console.print()
        for f in report.failures:
            e = f.error
            where = f"{e.location}: " if e.location and e.location not in e.message else ""
            console.print(f"{f.ref} → {f.stage}: NOT DECIDED ({e.code}) {where}{e.message}")
            console.print()
        for m in report.models:
            d = m.decision
            verdict = (
                Text("ALLOWED", style="bold green") if d.allowed else Text("DENIED", "bold red")
            )
            head = Text(f"{m.ref} → {d.stage}: ")
            head.append_text(verdict)
            if m.card:
                head.append(f"  ({m.card})")
            console.print(head)
            if d.violations and len(report.models) > TABLE_LIMIT:
                for v, loc in m.findings():
                    where = f" ({m.card}:{loc.line})" if m.card else ""
                    fix = f" (remediation: {v.remediation})" if v.remediation else ""
                    msg = " ".join(v.msg.splitlines())  # one line a finding
                    rest = f"{v.severity} {v.control}: {msg}{fix}{where}"
                    if not color:  # plain text needs no layout: written as it is
                        buf.write(f"  {v.kind.upper()} {rest}\n")
                        continue
                    line = Text(f"  {v.kind.upper()} ", "red" if v.kind == "deny" else "yellow")
                    line.append(rest)
                    console.print(line, overflow="ignore", crop=False, soft_wrap=True)
            elif d.violations:
                table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
                table.add_column("result")
                table.add_column("severity")
                table.add_column("control", no_wrap=True)
                table.add_column("message", ratio=3)
                table.add_column("remediation", ratio=2)
                table.add_column("where", no_wrap=True)
                for v, loc in m.findings():
                    kind = Text(v.kind.upper(), "red" if v.kind == "deny" else "yellow")
                    where = f"{m.card}:{loc.line}" if m.card else ""
                    table.add_row(
                        kind,
                        Text(v.severity, _SEVERITY_STYLE.get(v.severity, "")),
                        v.control,
                        v.msg,
                        v.remediation or "",
                        where,
                    )
                console.print(table)
            console.print(f"decision {d.decision_id} (policies {d.bundle_hash[:12]})")
            console.print()
        console.print(report.summary)
        text = buf.getvalue()
        if color:
            return text
        # rich pads table cells to the full width; logs and files need no trailing blanks
        return "\n".join(line.rstrip() for line in text.split("\n"))


REPORTER = TextReporter()
