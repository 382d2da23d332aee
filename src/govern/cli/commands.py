"""Registry and evidence commands: init, register, scan, check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from govern.cli._app import AppContext, app, pass_app
from govern.cli.policy import engine_options, prepare, report_check_all
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
    with Store.open(ctx.db) as store:
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


@app.command()
@click.option("--model", "model", default=None, metavar="NAME@VERSION")
@click.option("--stage", default=None, help=f"Target stage: {', '.join(STAGES)}.")
@click.option(
    "--all", "all_", is_flag=True, help="Every registered version at its next (or own) stage."
)
@click.option(
    "--policies",
    type=click.Path(path_type=Path),
    default=None,
    help="Policy directory (default: ./policies).",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@engine_options
@pass_app
def check(
    ctx: AppContext,
    model: str | None,
    stage: str | None,
    all_: bool,
    policies: Path | None,
    fmt: str,
    engine: Any,
) -> None:
    """Evaluate the gate for STAGE; exit 0 allowed, 1 denied, 2 bad input, 3 internal."""
    from govern.lifecycle import check_stage
    from govern.runner.check import check as run_check
    from govern.runner.check import check_all, default_policy_dir
    from govern.store import Store

    if all_ == bool(model or stage):
        raise click.UsageError("give either --model NAME@VERSION --stage STAGE, or --all")
    if not all_ and not (model and stage):
        raise click.UsageError("--model and --stage go together")
    if all_:
        with (
            prepare(policies or default_policy_dir(), engine) as prepared,
            Store.open(ctx.db) as store,
        ):
            outcomes = check_all(store, prepared)
        raise SystemExit(report_check_all(ctx, outcomes, fmt))
    assert model is not None and stage is not None
    check_stage(stage)
    ref = ModelRef.parse(model)
    with prepare(policies or default_policy_dir(), engine) as prepared, Store.open(ctx.db) as store:
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
