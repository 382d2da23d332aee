"""Registry and gate commands: init, register, check (drift commands live in cli/drift.py)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from govern.cli._app import AppContext, app, pass_app
from govern.lifecycle import STAGES, ModelRef


@app.command()
@pass_app
def init(ctx: AppContext) -> None:
    """Create (or migrate) the DuckDB database."""
    from govern.store import SCHEMA_VERSION, Store

    with Store.open(ctx.db, create=True) as store:
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
    with Store.open(ctx.db) as store:
        for card in parsed:
            action = upsert_card(store, card)
            ctx.console.print(f"{action} {card.name}@{card.version} ({card.path})")


@app.command()
@click.option("--model", "model", required=True, metavar="NAME@VERSION")
@click.option("--stage", required=True, help=f"Target stage: {', '.join(STAGES)}.")
@click.option(
    "--policies",
    type=click.Path(path_type=Path),
    default=None,
    help="Policy directory (default: ./policies).",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@pass_app
def check(ctx: AppContext, model: str, stage: str, policies: Path | None, fmt: str) -> None:
    """Evaluate the gate for STAGE; exit 0 allowed, 1 denied, 2 bad input, 3 internal."""
    from govern.lifecycle import check_stage
    from govern.policy import load
    from govern.runner.check import check as run_check
    from govern.runner.check import default_policy_dir
    from govern.store import Store

    check_stage(stage)
    ref = ModelRef.parse(model)
    prepared = load(policies or default_policy_dir())
    with Store.open(ctx.db) as store:
        decision, _ = run_check(store, prepared, ref, stage)
    if fmt == "json":
        click.echo(json.dumps(decision.to_dict(), indent=2, sort_keys=True))
    else:
        c = ctx.console
        verdict = "[green]ALLOWED[/]" if decision.allowed else "[red]DENIED[/]"
        c.print(f"{decision.model}@{decision.version} → {decision.stage}: {verdict}")
        for v in decision.violations:
            c.print(f"  {v.kind.upper():<4} {v.severity:<8} {v.control:<14} {v.msg}")
            if v.remediation:
                c.print(f"       remediation: {v.remediation}")
        c.print(f"decision {decision.decision_id} (policies {decision.bundle_hash[:12]})")
    raise SystemExit(decision.exit_code())
