"""Command-line interface. `main(argv)` is the only place exceptions become exit codes."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence

import click

from govern.cli import _env  # noqa: F401  (first govern import: before numpy loads)
from govern.cli import audit as _audit  # noqa: F401  (registers commands)
from govern.cli import check as _check  # noqa: F401
from govern.cli import commands as _commands  # noqa: F401
from govern.cli import demo as _demo  # noqa: F401
from govern.cli import drift as _drift  # noqa: F401
from govern.cli import lifecycle as _lifecycle  # noqa: F401
from govern.cli import monitor as _monitor  # noqa: F401
from govern.cli import policy as _policy  # noqa: F401
from govern.cli import report as _report  # noqa: F401
from govern.cli import serve as _serve  # noqa: F401
from govern.cli._app import app
from govern.errors import EXIT_INTERNAL, EXIT_USAGE, GovernError

__all__ = ["app", "main", "run"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run govern with `argv`; return the exit code instead of exiting."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        app.main(args=args, prog_name="govern", standalone_mode=False)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 0
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return EXIT_USAGE
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE
    except GovernError as exc:
        if debug:
            traceback.print_exc()
        click.echo(f"error: {exc}", err=True)
        return exc.exit_code
    except Exception as exc:  # a bug in govern: say so, exit 3
        if debug:
            traceback.print_exc()
        click.echo(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug)", err=True)
        return EXIT_INTERNAL
    return 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
