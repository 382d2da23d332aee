"""`govern monitor` (scheduled scans, decisions, events) and `govern events` (list, ack)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from govern.cli._app import AppContext, app, pass_app

if TYPE_CHECKING:
    from rich.console import Console

    from govern.alerts import SinkConfig
    from govern.lifecycle import ModelRef

_SINKS_HELP = "Sinks file (default: $GOVERN_SINKS, else ./govern-sinks.yaml when present)."


@app.command()
@click.argument("models", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Every version in deployment or production.")
@click.option(
    "--dry-run", is_flag=True, help="Show what would be scanned and sent; change nothing."
)
@click.option("--sinks", type=click.Path(path_type=Path), default=None, help=_SINKS_HELP)
@click.option(
    "--policies",
    type=click.Path(path_type=Path),
    default=None,
    help="Policy directory (default: ./policies, else the shipped library).",
)
@click.option(
    "--reannounce-hours",
    type=float,
    default=24.0,
    show_default=True,
    help="Announce a bad state that persists again after this many hours.",
)
@click.option(
    "--attempts",
    type=click.IntRange(1, 20),
    default=3,
    show_default=True,
    help="Delivery attempts per event and sink in this run.",
)
@click.option(
    "--backoff",
    type=click.FloatRange(0),
    default=0.5,
    show_default=True,
    help="Seconds before the first retry (doubles each retry).",
)
@pass_app
def monitor(
    ctx: AppContext,
    models: tuple[str, ...],
    all_: bool,
    dry_run: bool,
    sinks: Path | None,
    policies: Path | None,
    reannounce_hours: float,
    attempts: int,
    backoff: float,
) -> None:
    """Scan new data, evaluate gates and send events for deployed models (for cron/CI).

    Exit 0 when the run completed, whatever it found; 2 on bad input, 3 on internal errors.
    """
    from govern.alerts import default_sinks_path, load_sinks
    from govern.errors import UserInputError
    from govern.lifecycle import ModelRef
    from govern.store import Store

    if bool(models) == all_:
        raise UserInputError("pass --all or one or more NAME@VERSION (not both)")
    refs = [ModelRef.parse(m) for m in models]
    path = sinks or default_sinks_path()
    configured = load_sinks(path) if path is not None else []  # before anything is scanned
    c = _human(ctx, configured)
    if dry_run:
        _dry_run(c, ctx, refs, configured)
        return
    from govern.policy import load
    from govern.runner.check import default_policy_dir
    from govern.runner.monitor import deliver
    from govern.runner.monitor import monitor as run_monitor

    prepared = load(policies or default_policy_dir())
    with Store.open(ctx.db, lock_timeout=ctx.lock_timeout) as store:
        try:
            result = run_monitor(
                store, prepared, refs, reannounce=timedelta(hours=reannounce_hours)
            )
        finally:
            prepared.close()
        result.deliveries = deliver(store, configured, attempts=attempts, backoff=backoff)
    for r in result.runs:
        state = "-" if r.decision is None else r.decision.result
        note = f" ({r.error})" if r.error else ""
        c.print(
            f"{r.model}@{r.version} ({r.stage}) {state}: {len(r.files)} file(s), "
            f"{len(r.events)} event(s){note}"
        )
        for e in r.events:
            c.print(f"  event {e.event_id} {e.type}")
    for d in result.deliveries:
        line = f"sink {d.sink}: {d.delivered} delivered"
        if d.failed:
            line += f", pending after errors: {d.failed[0][1]}"
        c.print(line)


def _human(ctx: AppContext, sinks: list[SinkConfig]) -> Console:
    """Where the human summary goes: stderr when a JSON lines sink owns stdout.

    An orchestrator reading `path: "-"` then gets one JSON document per stdout line.
    """
    from rich.console import Console

    from govern.alerts import STDOUT

    if any(s.type == "jsonl" and s.options.get("path") == STDOUT for s in sinks):
        return Console(stderr=True, highlight=False, soft_wrap=True)
    return ctx.console


def _dry_run(c: Console, ctx: AppContext, refs: list[ModelRef], sinks: list[SinkConfig]) -> None:
    from govern.clock import utcnow
    from govern.errors import UserInputError
    from govern.runner._parquet import discover
    from govern.runner.monitor import resolve_source, targets
    from govern.store import Store
    from govern.store import events as event_store

    with Store.open(ctx.db, read_only=True, lock_timeout=ctx.lock_timeout) as store:
        for row in targets(store, refs):
            source = resolve_source(row, utcnow())
            where = f"{row['name']}@{row['version']} ({row['stage']})"
            if row["stage"] == "retired":
                c.print(f"{where}: retired, not scanned")
            elif source is None:
                c.print(f"{where}: no monitoring.source; would evaluate the gate only")
            else:
                try:
                    files = discover([source])
                    c.print(f"{where}: would scan {len(files)} file(s) from {source}")
                except UserInputError as exc:
                    c.print(f"{where}: {source}: {exc}")
        for sink in sinks:
            n = len(event_store.pending(store, sink.name))
            c.print(f"sink {sink.name} ({sink.type}): would send {n} pending event(s)")
    c.print("dry run: nothing scanned, recorded or sent")


@app.group(invoke_without_command=True)
@click.option("--open", "open_", is_flag=True, help="Only events not acknowledged.")
@click.option("--pending", is_flag=True, help="Only events some sink has not received, and why.")
@click.option("--model", default=None, help="Only this NAME@VERSION (or NAME).")
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of text.")
@click.pass_context
def events(
    click_ctx: click.Context, open_: bool, pending: bool, model: str | None, as_json: bool
) -> None:
    """List monitoring events (see `govern events ack` to close one)."""
    if click_ctx.invoked_subcommand is not None:
        return
    from govern.lifecycle import ModelRef
    from govern.store import Store
    from govern.store import events as event_store

    ctx = click_ctx.find_object(AppContext)
    assert ctx is not None
    ref = ModelRef.parse(model) if model else None
    with Store.open(ctx.db, read_only=True, lock_timeout=ctx.lock_timeout) as store:
        rows = event_store.list_events(
            store,
            open_only=open_,
            name=ref.name if ref else None,
            version=ref.version if ref else None,
        )
    if pending:
        rows = [
            r
            for r in rows
            if not r["deliveries"] or any(d["delivered_at"] is None for d in r["deliveries"])
        ]
    for row in rows:
        e = row["event"]
        if as_json:
            doc = {
                **e.to_dict(),
                "acked_by": row["acked_by"],
                "ack_note": row["ack_note"],
                "replaced_by": row["replaced_by"],
                "deliveries": [
                    {k: str(v) if v is not None else None for k, v in d.items() if k != "event_id"}
                    for d in row["deliveries"]
                ],
            }
            click.echo(json.dumps(doc, sort_keys=True))
            continue
        acked = f" acked by {row['acked_by']}" if row["acked_by"] else ""
        link = f" replaced by {row['replaced_by']}" if row["replaced_by"] else ""
        ctx.console.print(
            f"{e.event_id} {e.created_at:%Y-%m-%d %H:%M} {e.name}@{e.version} "
            f"{e.type} {e.state}{link}{acked}"
        )
        for d in row["deliveries"]:
            if d["delivered_at"] is None:
                ctx.console.print(
                    f"  pending {d['sink']}: {d['attempts']} attempt(s), {d['last_error']}"
                )
        if pending and not row["deliveries"]:
            ctx.console.print("  pending: no delivery attempted yet")


@events.command("ack")
@click.argument("event_id")
@click.option("--by", required=True, help="Who acknowledges (recorded in the audit log).")
@click.option("--note", required=True, help="Why, or what was done (recorded).")
@pass_app
def ack(ctx: AppContext, event_id: str, by: str, note: str) -> None:
    """Close an event (e.g. a retraining trigger), audited."""
    from govern.errors import UserInputError
    from govern.store import Store
    from govern.store import events as event_store

    if not by.strip() or not note.strip():
        raise UserInputError("events ack: --by and --note must not be empty")
    with Store.open(ctx.db, lock_timeout=ctx.lock_timeout) as store:
        done = event_store.ack(store, event_id, by=by, note=note)
    ctx.console.print(f"acknowledged {done['event_id']} ({done['type']}, {done['model']})")


@events.command("link")
@click.argument("event_id")
@click.option(
    "--replaced-by", "replaced_by", required=True, help="NAME@VERSION that replaces the model."
)
@click.option("--by", required=True, help="Who links (recorded in the audit log).")
@click.option("--note", default=None, help="Why (recorded).")
@pass_app
def link(ctx: AppContext, event_id: str, replaced_by: str, by: str, note: str | None) -> None:
    """Name the version that replaces a model with an open retraining trigger (audited).

    The trigger stays open; the linked version may then be promoted past it (MON-RTR-01).
    """
    from govern.errors import UserInputError
    from govern.lifecycle import ModelRef
    from govern.store import Store, registry
    from govern.store import events as event_store

    if not by.strip():
        raise UserInputError("events link: --by must not be empty")
    ref = ModelRef.parse(replaced_by)
    if ref.version is None:
        raise UserInputError(f"events link: --replaced-by {replaced_by!r} needs NAME@VERSION")
    with Store.open(ctx.db, lock_timeout=ctx.lock_timeout) as store:
        name, version = registry.resolve(store, ref)
        done = event_store.link_replacement(
            store, event_id, name=name, version=version, by=by, note=note
        )
    ctx.console.print(
        f"linked {done['event_id']} ({done['model']}): replaced by {done['replaced_by']}"
    )
