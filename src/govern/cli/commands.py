"""Registry commands: init and register (drift: cli/drift.py; gates: cli/check.py)."""

from __future__ import annotations

from pathlib import Path

import click

from govern.cli._app import AppContext, app, pass_app


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
