"""`govern serve`: the read-only web view and JSON API (see report/_serve.py)."""

from __future__ import annotations

import click

from govern.cli._app import AppContext, app, pass_app

LOOPBACK = ("127.0.0.1", "::1", "localhost")


@app.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=click.IntRange(0, 65535), default=8321, show_default=True)
@click.option("--verbose", is_flag=True, help="Log every request to stderr.")
@pass_app
def serve(ctx: AppContext, host: str, port: int, verbose: bool) -> None:
    """Serve the report pages and a JSON API, read-only, on loopback by default."""
    from govern.errors import UserInputError
    from govern.report._serve import make_server
    from govern.store.views import open_read_only

    open_read_only(ctx.db, lock_timeout=ctx.lock_timeout).close()  # fail now on a bad --db
    try:
        server = make_server(ctx.db, host, port, verbose=verbose)
    except OSError as exc:
        raise UserInputError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    if host not in LOOPBACK:
        click.echo(
            f"warning: listening on {host}, not loopback: anyone who can reach it can "
            "read the registry",
            err=True,
        )
    bound_host, bound_port = str(server.server_address[0]), server.server_address[1]
    click.echo(
        f"serving {ctx.db or 'govern.duckdb'} read-only on http://{bound_host}:{bound_port}/ "
        "(Ctrl-C stops)",
        err=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
