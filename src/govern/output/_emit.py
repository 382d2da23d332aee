"""Writing rendered reports to their destinations: files (atomically) and stdout.

Every report is rendered before anything is written, so a rendering error leaves no
partial output. Files are written to a temporary sibling (mode 0666 less the umask, like
any file a program creates), synced to disk, and renamed into place. The
`github` format also appends its job summary to $GITHUB_STEP_SUMMARY when that is set.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from govern.errors import UserInputError
from govern.output._registry import get_reporter
from govern.output._report import Report

STDOUT_TAKEN = (
    "--format {first} and --format {second} both write to stdout; "
    "give one of them --output FILE (only one format may go to stdout)"
)
SAME_FILE = "--output {path} is given for two formats ({first}, {second}); use one file per format"


@dataclass(frozen=True)
class Target:
    """One requested format and where it goes (None: stdout)."""

    format: str
    path: Path | None = None


def check_targets(targets: Sequence[Target]) -> None:
    """Reject unknown formats, two formats on stdout, and one file for two formats."""
    for t in targets:
        get_reporter(t.format)
    on_stdout = [t for t in targets if t.path is None]
    if len(on_stdout) > 1:
        raise UserInputError(
            STDOUT_TAKEN.format(first=on_stdout[0].format, second=on_stdout[1].format)
        )
    seen: dict[Path, str] = {}
    for t in targets:
        if t.path is None:
            continue
        key = Path(os.path.abspath(t.path))
        if key in seen:
            raise UserInputError(SAME_FILE.format(path=t.path, first=seen[key], second=t.format))
        seen[key] = t.format


def _open_temp(parent: Path, name: str) -> tuple[int, Path]:
    """A new sibling file created with mode 0666 less the umask, as `open()` would create it.

    `tempfile.mkstemp` creates 0600, which CI artifact uploaders running as another user
    and teammates reading a shared directory cannot read.
    """
    for _ in range(100):
        tmp = parent / f".{name}.{secrets.token_hex(6)}.tmp"
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {parent / name}")


def _write_atomic(path: Path, text: str) -> None:
    """Write `text` to a sibling, flush it to disk, then rename it over `path`."""
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UserInputError(f"--output {path}: directory {parent} does not exist")
    fd, tmp = _open_temp(parent, path.name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())  # the data is on disk before the name points at it
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass  # some file systems cannot sync a directory; the file itself is synced
    finally:
        os.close(dir_fd)


def write_reports(
    report: Report,
    targets: Sequence[Target],
    *,
    stdout: TextIO,
    color: bool = False,
    environ: Mapping[str, str] | None = None,
) -> None:
    """Render every target, then write files, the GitHub job summary, and stdout last."""
    check_targets(targets)
    env = os.environ if environ is None else environ
    rendered = [
        (t, get_reporter(t.format).render(report, color=color and t.path is None)) for t in targets
    ]
    for t, text in rendered:
        if t.path is not None:
            try:
                _write_atomic(t.path, text)
            except OSError as exc:
                raise UserInputError(f"--output {t.path}: cannot write: {exc.strerror}") from exc
    summary_path = env.get("GITHUB_STEP_SUMMARY")
    if summary_path and any(t.format == "github" for t in targets):
        from govern.output._github import job_summary

        try:
            with open(summary_path, "a", encoding="utf-8") as fh:
                fh.write(job_summary(report))
        except OSError as exc:
            raise UserInputError(
                f"GITHUB_STEP_SUMMARY={summary_path}: cannot append: {exc.strerror}"
            ) from exc
    for t, text in rendered:
        if t.path is None:
            stdout.write(text)
    stdout.flush()
