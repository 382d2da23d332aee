"""`govern report`, `govern show` and `govern sql`: look at the evidence without writing."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from govern.cli._app import AppContext, app, pass_app

SQL_FORMATS = ("table", "csv", "json")
NEED_MODELS = "name model versions (NAME@VERSION ...) or pass --all"


@app.command()
@click.argument("models", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Every registered model version.")
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="HTML file to write (one self-contained page).",
)
@click.option(
    "--policies",
    type=click.Path(path_type=Path, file_okay=False),
    multiple=True,
    help="Extra policy directories whose control catalogue names the violations.",
)
@pass_app
def report(
    ctx: AppContext, models: tuple[str, ...], all_: bool, output: Path, policies: tuple[Path, ...]
) -> None:
    """Write an offline HTML report (charts inline) for MODELS or --all."""
    from govern.errors import UserInputError
    from govern.report import build_report, render_html, resolve_refs
    from govern.store.views import open_read_only

    if not models and not all_:
        raise UserInputError(NEED_MODELS)
    if models and all_:
        raise UserInputError("pass model versions or --all, not both")
    if not output.parent.exists():
        raise UserInputError("directory does not exist", path=output.parent)
    t0 = time.perf_counter()
    with open_read_only(ctx.db, lock_timeout=ctx.lock_timeout) as store:
        keys = None if all_ else resolve_refs(store, models)
        view = build_report(store, keys, policies=policies)
    html = render_html(view)
    try:
        output.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise UserInputError(f"cannot write report: {exc.strerror}", path=output) from exc
    took = time.perf_counter() - t0
    click.echo(
        f"wrote {output} ({len(view.models)} model version(s), {len(html) / 1e6:.1f} MB, "
        f"{took:.1f} s)",
        err=ctx.quiet,
    )


@app.command()
@click.argument("model")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@pass_app
def show(ctx: AppContext, model: str, fmt: str) -> None:
    """Show one model version's evidence, decisions and provenance in the terminal."""
    from govern.report import build_report, resolve_refs
    from govern.report._terminal import print_report
    from govern.store.views import open_read_only

    with open_read_only(ctx.db, lock_timeout=ctx.lock_timeout) as store:
        view = build_report(store, resolve_refs(store, [model]))
    if fmt == "json":
        doc = view.models[0].to_dict()
        doc["audit"] = view.to_dict()["audit"]
        click.echo(json.dumps(doc, indent=2, sort_keys=True, default=str))
        return
    print_report(ctx.console, view)


@app.command()
@click.argument("query")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(SQL_FORMATS),
    default="table",
    show_default=True,
    help="Output format.",
)
@pass_app
def sql(ctx: AppContext, query: str, fmt: str) -> None:
    """Run a read-only SQL QUERY against the database (write statements are refused)."""
    from govern.store.views import open_read_only, run_sql

    with open_read_only(ctx.db, lock_timeout=ctx.lock_timeout) as store:
        cols, rows = run_sql(store, query)
    if fmt == "json":
        docs = [{c: _plain(v) for c, v in zip(cols, r, strict=True)} for r in rows]
        click.echo(json.dumps(docs, indent=2, default=str))
    elif fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(cols)
        w.writerows([[_text(v) for v in r] for r in rows])
        click.echo(buf.getvalue(), nl=False)
    else:
        from rich.table import Table

        t = Table(*cols, header_style="bold")
        for r in rows:
            t.add_row(*[_text(v) for v in r])
        ctx.console.print(t)
        ctx.console.print(f"{len(rows)} row(s)")


def _plain(v: Any) -> Any:
    """JSON-ready value: timestamps as ISO text, decimals as floats, JSON text parsed."""
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, bytes):
        return v.hex()
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    return v


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, list | dict):
        return json.dumps(_plain(v), default=str)
    return str(v)
