"""The click group, shared options, and the context object commands receive."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import click
from rich.console import Console


@dataclass
class AppContext:
    """Global options, resolved once."""

    db: str | None
    debug: bool
    quiet: bool
    lock_timeout: float | None = None

    @property
    def console(self) -> Console:
        """Human output (stdout); colour only on a terminal."""
        return Console(highlight=False, soft_wrap=True)

    @property
    def progress(self) -> bool:
        """Show progress bars: on a terminal, not in CI, not with --quiet."""
        return not self.quiet and sys.stderr.isatty() and not os.environ.get("CI")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    envvar="GOVERN_DB",
    metavar="PATH",
    help="DuckDB file (default: $GOVERN_DB, else ./govern.duckdb).",
)
@click.option(
    "--lock-timeout",
    envvar="GOVERN_LOCK_TIMEOUT",
    type=click.FloatRange(min=0),
    default=None,
    metavar="SECONDS",
    help="Wait this long for another process's database lock (default 10).",
)
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars or chatter.")
@click.version_option(package_name="govern-mrm", prog_name="govern")
@click.pass_context
def app(
    ctx: click.Context, db: str | None, lock_timeout: float | None, debug: bool, quiet: bool
) -> None:
    """govern: policy-as-code compliance for the AI model lifecycle."""
    ctx.obj = AppContext(db=db, debug=debug, quiet=quiet, lock_timeout=lock_timeout)


pass_app = click.make_pass_decorator(AppContext)
