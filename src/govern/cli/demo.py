"""`govern demo`: the end-to-end flow on seeded sample data."""

from __future__ import annotations

from pathlib import Path

import click

from govern.cli._app import AppContext, app, pass_app

AUDITOR_QUERY = (
    "SELECT name, version, stage, result, decided_at, "
    "json_array_length(violations) AS violations FROM decisions ORDER BY decided_at;"
)


@app.command()
@click.option(
    "--dir",
    "out",
    type=click.Path(path_type=Path),
    default=Path("demo-out"),
    show_default=True,
    help="Where to write the sample data and the database.",
)
@pass_app
def demo(ctx: AppContext, out: Path) -> None:
    """Generate sample data for three models and run init → register → scan → check."""
    from govern.runner.demo import run_demo

    result = run_demo(out)
    c = ctx.console
    c.print(f"wrote {len(result.files)} parquet files under {out / 'data'}")
    for d in result.decisions:
        verdict = "[green]ALLOWED[/]" if d.allowed else "[red]DENIED[/]"
        c.print(
            f"{d.model}@{d.version} → {d.stage}: {verdict} "
            f"({len(d.denials)} deny, {len(d.warnings)} warn)"
        )
        for v in d.violations:
            c.print(f"  {v.kind.upper():<4} {v.control:<12} {v.msg}")
    report = out / "report.html"
    _write_report(result.db, report)
    c.print(f"\ndatabase: {result.db.resolve()}")
    c.print(f"report:   {report.resolve()} (open it in a browser; works offline)")
    c.print("inspect the decisions (read-only SQL):")
    c.print(f'  govern --db {result.db} sql "{AUDITOR_QUERY}"', markup=False)
    c.print("or look at one model in the terminal, or serve the pages:")
    c.print(f"  govern --db {result.db} show fraud-detect@7")
    c.print(f"  govern --db {result.db} serve")


def _write_report(db: Path, out: Path) -> None:
    """The demo's HTML report (read-only, after every write has finished)."""
    from govern.report import build_report, render_html
    from govern.store.views import open_read_only

    with open_read_only(db) as store:
        view = build_report(store, None)
    out.write_text(render_html(view, title="govern demo report"), encoding="utf-8")
