"""`govern audit verify` and `govern audit head`: check and anchor the hash-chained log."""

from __future__ import annotations

import json
from pathlib import Path

import click

from govern.cli._app import AppContext, app, pass_app
from govern.errors import EXIT_DENIED


@app.group()
def audit() -> None:
    """Verify the audit trail and export its head for anchoring outside the database."""


@audit.command()
@click.option(
    "--anchor",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="A head exported earlier by `govern audit head` (catches truncation and re-chaining).",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@pass_app
def verify(ctx: AppContext, anchor: Path | None, fmt: str) -> None:
    """Recompute the chain and the rows' content digests; exit 0 intact, 1 broken, 2 bad input.

    A broken result names the first bad seq, and for content, the table and row id.
    """
    from govern.errors import UserInputError
    from govern.store import Store
    from govern.store import audit as audit_store

    head = None
    if anchor is not None:
        try:
            text = anchor.read_text(encoding="utf-8")
        except OSError as exc:
            raise UserInputError(f"cannot read audit head: {exc.strerror}", path=anchor) from exc
        head = audit_store.read_anchor(text, str(anchor))
    with Store.open(ctx.db, read_only=True, lock_timeout=ctx.lock_timeout) as store:
        result = audit_store.verify(store.conn, anchor=head)
    if fmt == "json":
        doc = {
            "ok": result.ok,
            "rows": result.rows,
            "head": result.head.to_dict(),
            "first_bad_seq": result.first_bad_seq,
            "problem": result.problem,
            "anchored": result.anchored,
            "content_covered": result.content_covered,
            "not_content_covered": result.not_content_covered,
            "bound_rows": result.bound_rows,
        }
        click.echo(json.dumps(doc, indent=2, sort_keys=True))
    elif result.ok:
        against = f", matches the anchor at seq {head.seq}" if head is not None else ""
        click.echo(f"audit log intact: {result.rows} rows{against}")
        click.echo(
            f"content: {result.content_covered} scan/decision/baseline records match their rows"
            f", {result.not_content_covered} not content-covered (written before digests)"
        )
        click.echo(
            f"state: {result.bound_rows} rows of models, versions, lifecycle events, approvals "
            "and scan partials match their records; every version's stage matches the trail"
        )
        click.echo(f"head: seq {result.head.seq} hash {result.head.hash}")
    else:
        where = f" at seq {result.first_bad_seq}" if result.first_bad_seq is not None else ""
        click.echo(f"audit log BROKEN{where}: {result.problem}")
        click.echo(f"last good chain row: seq {result.head.seq} hash {result.head.hash}")
    if not result.ok:
        raise SystemExit(EXIT_DENIED)


@audit.command()
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the head JSON here instead of stdout.",
)
@pass_app
def head(ctx: AppContext, output: Path | None) -> None:
    """Print the head (seq, hash) as JSON, to keep somewhere the database's writers cannot."""
    from govern.store import Store
    from govern.store import audit as audit_store

    with Store.open(ctx.db, read_only=True, lock_timeout=ctx.lock_timeout) as store:
        tip = audit_store.head(store.conn)
    text = json.dumps(tip.to_dict(), sort_keys=True) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        from govern.errors import UserInputError

        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UserInputError(
                f"cannot write the audit head: {exc.strerror}; pass -o with a writable path",
                path=output,
            ) from exc
        click.echo(f"wrote audit head seq {tip.seq} to {output}", err=True)
