"""Where a report's paths are relative to, and the report of a run that an error stopped.

Code-scanning services and CI annotations resolve file paths against the repository root,
not against the directory the gate happened to run in, so cards are named relative to the
root: the nearest directory at or above the working directory holding `.git` (a directory,
or a file in a worktree or submodule), else the working directory itself.
"""

from __future__ import annotations

import os
from pathlib import Path

from govern.errors import EXIT_INTERNAL, GovernError
from govern.output import Report, RunError


def repo_root(start: Path | None = None) -> Path:
    """The repository root above `start` (default: the working directory), else `start`."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / ".git").exists():
            return candidate
    return here


def repo_relative(path: str | Path, root: Path) -> str | None:
    """`path` relative to `root`, "/" separated, or None when it lies outside `root`."""
    try:
        return Path(os.path.abspath(path)).resolve().relative_to(root).as_posix()
    except (ValueError, OSError):
        return None


def run_error(exc: BaseException, root: Path) -> RunError:
    """What a report says of an error: its code, message, exit code and place."""
    if isinstance(exc, GovernError):
        uri = repo_relative(exc.path, root) if exc.path else None
        return RunError(exc.code, exc.message, exc.exit_code, exc.path, exc.line, exc.column, uri)
    # a bug in govern: the CLI says so and exits 3
    return RunError("internal_error", f"{type(exc).__name__}: {exc}", EXIT_INTERNAL)


def error_report(
    exc: BaseException, *, fail_on: str, tool_version: str, root: Path | None = None
) -> Report:
    """The report of a run stopped by `exc`: no decision, the error, and its exit code."""
    base = root or repo_root()
    error = run_error(exc, base)
    return Report((), fail_on=fail_on, tool_version=tool_version, error=error, root=str(base))
