"""Registry and evidence commands: init, register, scan."""

from __future__ import annotations

from pathlib import Path

import click

from govern.cli._app import AppContext, app, pass_app
from govern.lifecycle import ModelRef


@app.command()
@pass_app
def init(ctx: AppContext) -> None:
    """Create (or migrate) the DuckDB database."""
    from govern.store import SCHEMA_VERSION, Store

    with Store.open(ctx.db, create=True, lock_timeout=ctx.lock_timeout) as store:
        path = store.path
    ctx.console.print(f"initialised {path} (schema version {SCHEMA_VERSION})")


@app.command()
@click.argument("cards", nargs=-1, required=True, type=click.Path(path_type=Path))
@pass_app
def register(ctx: AppContext, cards: tuple[Path, ...]) -> None:
    """Register or update model versions from model-card YAML files."""
    from govern.cards import load_card
    from govern.store import Store
    from govern.store.registry import upsert_card

    parsed = [load_card(p) for p in cards]  # validate every card before writing any
    for card in parsed:
        for warning in card.warnings:
            click.echo(f"warning: {warning}", err=True)
    with Store.open(ctx.db, lock_timeout=ctx.lock_timeout) as store:
        for card in parsed:
            action = upsert_card(store, card)
            ctx.console.print(f"{action} {card.name}@{card.version} ({card.path})")


@app.command()
@click.argument("model")
@click.option(
    "--baseline", required=True, type=click.Path(path_type=Path), help="Reference parquet."
)
@click.option(
    "--data",
    "data",
    multiple=True,
    required=True,
    type=click.Path(path_type=Path),
    help="Inference parquet (repeatable).",
)
@pass_app
def scan(ctx: AppContext, model: str, baseline: Path, data: tuple[Path, ...]) -> None:
    """Measure drift of inference data against a baseline and store the evidence."""
    from govern.runner.scan import scan as run_scan
    from govern.store import Store

    ref = ModelRef.parse(model)
    with Store.open(ctx.db, lock_timeout=ctx.lock_timeout) as store:
        result = run_scan(store, ref, baseline=baseline, data=list(data))
    psis = [m for m in result.metrics if m.metric == "psi"]
    ctx.console.print(
        f"scanned {result.model}@{result.version}: {result.rows} rows from "
        f"{len(result.sources)} file(s), {len(psis)} features (scan {result.scan_id})"
    )
    if not ctx.quiet:
        for m in psis:
            shown = f"{m.value:.4f}" if m.value is not None else f"{m.status} ({m.reason})"
            ctx.console.print(f"  {m.subject:<20} psi {shown}")
