"""Command-line interface. `main(argv)` is the only place exceptions become exit codes."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence

import click

from govern.cli import _env  # noqa: F401  (first govern import: before numpy loads)
from govern.cli._app import app, load_commands
from govern.errors import EXIT_INTERNAL, EXIT_USAGE, GovernError

__all__ = ["app", "load_commands", "main", "run"]


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
    _exit(main())


def _exit(code: int) -> None:
    """Exit with `code`, skipping the interpreter's teardown when nothing is left to run.

    Tearing down the modules a command loaded (numpy, pyarrow, DuckDB, govern) cost ~20 ms
    of every `govern scan` (benchmarks/README.md) and does nothing a process about to exit
    needs. So once every Python thread but this one has finished, the atexit functions (and
    weakref finalizers) run, the standard streams are flushed and the process exits; with a
    thread still running, or a stream that cannot be flushed, Python exits as usual.
    """
    import atexit
    import os
    import threading

    if threading.active_count() == 1:
        atexit._run_exitfuncs()
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            pass  # a closed or broken stream: let the normal exit report it
        else:
            os._exit(code)
    sys.exit(code)
