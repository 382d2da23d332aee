"""Lifecycle commands: promote, retire, approve, inventory."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import click

from govern.cli._app import AppContext, app, pass_app
from govern.cli.policy import policy_layers_option
from govern.lifecycle import STAGES, ModelRef

INVENTORY_FORMATS = ("table", "json", "csv")
INVENTORY_COLUMNS = (
    "name",
    "version",
    "stage",
    "owner",
    "risk_tier",
    "stage_entered_at",
    "last_evidence_at",
    "last_review_at",
    "zombie",
    "reasons",
    "imported",
    "import_reason",
)

_policies_option = policy_layers_option
_format_option = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text"
)


def _show_transition(ctx: AppContext, t: Any, fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(t.to_dict(), indent=2, sort_keys=True))
        return
    c = ctx.console
    d = t.decision
    verdict = "[green]ALLOWED[/]" if d.allowed else "[red]DENIED[/]"
    c.print(f"{t.model}@{t.version} {t.from_stage} → {t.to_stage}: {verdict}")
    for v in d.violations:
        c.print(f"  {v.kind.upper():<4} {v.severity:<8} {v.control:<14} {v.msg}")
        if v.remediation:
            c.print(f"       remediation: {v.remediation}")
    if t.dry_run:
        c.print("dry run: nothing recorded")
    elif t.applied:
        c.print(f"moved to {t.to_stage} (decision {d.decision_id}, event {t.event_id})")
    else:
        c.print(f"stage unchanged; denied decision {d.decision_id} recorded")


@app.command()
@click.argument("model", metavar="NAME@VERSION")
@click.option("--to", "to", required=True, help=f"Target stage: {', '.join(STAGES[1:-1])}.")
@click.option("--dry-run", is_flag=True, help="Evaluate the gate; record nothing.")
@click.option("--actor", default=None, help="Who promotes (default: $GOVERN_ACTOR or user).")
@_policies_option
@_format_option
@pass_app
def promote(
    ctx: AppContext,
    model: str,
    to: str,
    dry_run: bool,
    actor: str | None,
    policies: tuple[Path, ...],
    fmt: str,
) -> None:
    """Move a model version to the next stage if that stage's gate allows it."""
    from govern.lifecycle import check_stage
    from govern.policy import load
    from govern.runner.lifecycle import promote as run_promote
    from govern.store import Store

    check_stage(to)
    ref = ModelRef.parse(model)
    prepared = load(policies)
    read_only = dry_run
    with Store.open(ctx.db, read_only=read_only, lock_timeout=ctx.lock_timeout) as store:
        t = run_promote(store, prepared, ref, to, actor=actor, dry_run=dry_run)
    _show_transition(ctx, t, fmt)
    raise SystemExit(t.exit_code())


@app.command()
@click.argument("model", metavar="NAME@VERSION")
@click.option("--reason", default=None, help="Why the model is retired.")
@click.option("--dry-run", is_flag=True, help="Evaluate the gate; record nothing.")
@click.option("--actor", default=None, help="Who retires (default: $GOVERN_ACTOR or user).")
@_policies_option
@_format_option
@pass_app
def retire(
    ctx: AppContext,
    model: str,
    reason: str | None,
    dry_run: bool,
    actor: str | None,
    policies: tuple[Path, ...],
    fmt: str,
) -> None:
    """Retire a model version (from any stage) if the retirement gate allows it."""
    from govern.policy import load
    from govern.runner.lifecycle import retire as run_retire
    from govern.store import Store

    ref = ModelRef.parse(model)
    prepared = load(policies)
    with Store.open(ctx.db, read_only=dry_run, lock_timeout=ctx.lock_timeout) as store:
        t = run_retire(store, prepared, ref, reason=reason, actor=actor, dry_run=dry_run)
    _show_transition(ctx, t, fmt)
    raise SystemExit(t.exit_code())


@app.command()
@click.argument("model", metavar="NAME@VERSION")
@click.option("--stage", required=True, help=f"Stage approved for: {', '.join(STAGES)}.")
@click.option(
    "--role",
    required=True,
    help="Approver's role: validator, approver, committee, compliance, owner.",
)
@click.option("--by", "by", required=True, help="Who approves (person or body).")
@click.option("--note", default=None, help="Free text kept with the approval.")
@click.option("--actor", default=None, help="Who records it (default: $GOVERN_ACTOR or user).")
@pass_app
def approve(
    ctx: AppContext,
    model: str,
    stage: str,
    role: str,
    by: str,
    note: str | None,
    actor: str | None,
) -> None:
    """Record an approval; gate policies see it as input.approvals."""
    from govern.runner.lifecycle import approve as run_approve
    from govern.store import Store

    ref = ModelRef.parse(model)
    with Store.open(ctx.db, lock_timeout=ctx.lock_timeout) as store:
        a = run_approve(store, ref, stage=stage, role=role, by=by, note=note, actor=actor)
    ctx.console.print(
        f"recorded approval of {a['model']}@{a['version']} for {a['stage']} "
        f"by {a['by']} ({a['role']})"
    )


def inventory_csv(rows: list[dict[str, Any]]) -> str:
    """CSV with a header; reasons joined by "; "."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(INVENTORY_COLUMNS)
    for r in rows:
        w.writerow(
            [
                "; ".join(r["reasons"])
                if k == "reasons"
                else ("true" if r[k] else "false")
                if k in ("zombie", "imported")
                else ("" if r[k] is None else r[k])
                for k in INVENTORY_COLUMNS
            ]
        )
    return buf.getvalue()


def inventory_table(rows: list[dict[str, Any]]) -> str:
    """Plain aligned columns, never truncated (zombie reasons are the point of the view)."""
    header = ("MODEL", "STAGE", "OWNER", "TIER", "LAST EVIDENCE", "LAST REVIEW", "ZOMBIE")
    lines = [header]
    for r in rows:
        lines.append(
            (
                f"{r['name']}@{r['version']}",
                f"{r['stage']} (imported)" if r["imported"] else r["stage"],
                r["owner"] or "-",
                str(r["risk_tier"] or "-"),
                (r["last_evidence_at"] or "never")[:16].replace("T", " "),
                (r["last_review_at"] or "never")[:16].replace("T", " "),
                "; ".join(r["reasons"]) or "no",
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    out = []
    for line in lines:
        cells = [c.ljust(w) for c, w in zip(line[:-1], widths, strict=True)]
        out.append("  ".join([*cells, line[-1]]).rstrip())
    return "\n".join(out) + "\n"


@app.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(INVENTORY_FORMATS),
    default="table",
    show_default=True,
)
@click.option("--zombies", "only_zombies", is_flag=True, help="Only versions flagged as zombies.")
@pass_app
def inventory(ctx: AppContext, fmt: str, only_zombies: bool) -> None:
    """Every model version with stage, owner, last evidence, last review and zombie flags."""
    from govern.store import Store
    from govern.store.lifecycle import inventory as read_inventory

    with Store.open(ctx.db, read_only=True, lock_timeout=ctx.lock_timeout) as store:
        rows = read_inventory(store)
    if only_zombies:
        rows = [r for r in rows if r["zombie"]]
    if fmt == "json":
        click.echo(json.dumps([{k: r[k] for k in INVENTORY_COLUMNS} for r in rows], indent=2))
        return
    if fmt == "csv":
        click.echo(inventory_csv(rows), nl=False)
        return
    click.echo(inventory_table(rows), nl=False)
