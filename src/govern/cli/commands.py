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
@click.option(
    "--import-existing",
    is_flag=True,
    help="Register new versions at their declared stage without evaluating gates: an "
    "audited import of models that were in that stage before govern (needs --reason).",
)
@click.option("--reason", default=None, help="Why the import skips the gates (recorded).")
@click.option(
    "--policies",
    type=click.Path(path_type=Path),
    default=None,
    help="Policy directory for the registration gates (default: ./policies).",
)
@click.option("--actor", default=None, help="Who registers (default: $GOVERN_ACTOR or user).")
@pass_app
def register(
    ctx: AppContext,
    cards: tuple[Path, ...],
    import_existing: bool,
    reason: str | None,
    policies: Path | None,
    actor: str | None,
) -> None:
    """Register or update model versions from model-card YAML files (all or none).

    A new version whose card declares a stage after `proposed` must pass every gate up to
    that stage (each decision is recorded), or be imported with --import-existing --reason.
    """
    from govern.cards import load_card
    from govern.errors import UserInputError
    from govern.policy import load
    from govern.runner.check import default_policy_dir
    from govern.runner.register import NO_REASON
    from govern.runner.register import register as run_register
    from govern.store import Store

    if import_existing and not (reason or "").strip():
        raise UserInputError(NO_REASON)
    if reason is not None and not import_existing:
        raise UserInputError("--reason is only used with --import-existing")
    parsed = [load_card(p) for p in cards]  # validate every card before writing any
    for card in parsed:
        for warning in card.warnings:
            click.echo(f"warning: {warning}", err=True)
    with Store.open(ctx.db, create=True, lock_timeout=ctx.lock_timeout) as store:
        outcome = run_register(
            store,
            parsed,
            policies=lambda: load(policies or default_policy_dir()),
            import_reason=reason if import_existing else None,
            actor=actor,
        )
    c = ctx.console
    for item in outcome.items:
        where = f" ({item.card.path})"
        if item.result == "imported":
            c.print(f"imported {item.model} at {item.stage}{where}: gates not evaluated ({reason})")
        elif item.result == "created" and item.gates:
            passed = ", ".join(d.stage for d in item.gates)
            c.print(f"created {item.model} at {item.stage}{where}; gates passed: {passed}")
        elif item.result == "denied":
            gate = item.gates[-1]
            c.print(
                f"[red]DENIED[/] {item.model}: gate {gate.stage} (decision {gate.decision_id})"
                f"{where}"
            )
            for v in gate.violations:
                c.print(f"  {v.kind.upper():<4} {v.severity:<8} {v.control:<14} {v.msg}")
        else:
            c.print(f"{item.result} {item.model}{where}")
    if not outcome.allowed:
        c.print(
            "nothing registered: register the version at `proposed` and promote it, or import "
            "a model that is already in that stage with --import-existing --reason TEXT"
        )
        raise SystemExit(outcome.exit_code())
