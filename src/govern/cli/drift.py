"""Drift commands: `govern baseline` (reference profile) and `govern scan` (inference data)."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

import click

from govern.cli._app import AppContext, PathsOption, app, pass_app
from govern.lifecycle import ModelRef

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from govern.store import Store

_DATA_HELP = (
    "Parquet files, globs, (hive-partitioned) directories, or s3:// gs:// abfs:// URIs "
    "(prefixes and globs): several after one --data, or --data repeated. Monitored "
    "key=value folders under a directory, prefix or glob root are read as columns."
)


@contextmanager
def _debug_object_store(ctx: AppContext) -> Iterator[None]:
    """With --debug, the S3 client's retries (and their back-off) are printed on stderr.

    The AWS SDK writes its log to the process's C-level stdout; while the command reads,
    file descriptor 1 points at stderr, so stdout keeps only govern's own output.
    """
    if not ctx.debug:
        yield
        return
    from govern.runner._fs import log_retries

    log_retries()
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


class _Bar:
    """A rich progress bar over row groups, the current file in the description."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self.progress: Progress = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.task: TaskID | None = None
        self.files = 0
        self.seen: set[Path | str] = set()

    def __enter__(self) -> _Bar:
        self.progress.start()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.progress.stop()

    def start(self, files: int, row_groups: int) -> None:
        self.files = files
        self.task = self.progress.add_task("row groups", total=row_groups)

    def advance(self, path: Path | str, rows: int) -> None:
        if self.task is None:
            return
        self.seen.add(path)
        name = path.name if isinstance(path, Path) else path.rsplit("/", 1)[-1]
        desc = f"file {len(self.seen)}/{self.files} {name}"
        self.progress.update(self.task, advance=1, description=desc)


@app.command()
@click.argument("model")
@click.option("--data", "data", cls=PathsOption, required=True, help=_DATA_HELP)
@click.option(
    "--binning",
    type=click.Choice(["decile", "uniform"]),
    default=None,
    help="Numeric bin edges (default: the card's monitoring.binning, else decile).",
)
@click.option("--bins", type=int, default=None, help="Number of bins (default 10).")
@pass_app
def baseline(
    ctx: AppContext, model: str, data: tuple[str, ...], binning: str | None, bins: int | None
) -> None:
    """Store the reference profile of MODEL (NAME@VERSION) from training parquet."""
    from govern.runner.baseline import baseline as run_baseline
    from govern.store import Store

    ref = ModelRef.parse(model)
    with (
        _debug_object_store(ctx),
        Store.open(ctx.db, lock_timeout=ctx.lock_timeout) as store,
    ):
        result = run_baseline(store, ref, data=list(data), strategy=binning, n_bins=bins)
    kinds = [c.kind for c in result.profiles.columns]
    ctx.console.print(
        f"profiled {result.model}@{result.version}: {result.rows} rows from "
        f"{len(result.sources)} file(s), {kinds.count('numeric')} numeric and "
        f"{kinds.count('categorical')} categorical columns (profile {result.profile_id})"
    )


class _Opening:
    """The database, opened on a helper thread while the scan's modules are imported.

    Opening DuckDB (the engine's catalogue, the file, the schema check: ~50 ms of CPU, most
    of it in C++ without the GIL) and importing pyarrow, numpy and the scan engine (~0.2 s
    on one core) are independent, so on two cores the opening costs no wall time. Errors
    are raised where the store is asked for, as the main thread would have raised them.
    """

    def __init__(self, db: str | None, lock_timeout: float | None) -> None:
        self._store: Store | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._open, args=(db, lock_timeout), name="govern-open", daemon=True
        )
        self._thread.start()

    def _open(self, db: str | None, lock_timeout: float | None) -> None:
        try:
            from govern.store import Store

            self._store = Store.open(db, lock_timeout=lock_timeout)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the asking thread
            self._error = exc

    def store(self) -> Store:
        """The open store (waits for the opening), or the opening's error."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._store is not None
        return self._store

    def discard(self) -> None:
        """Close the store if it opened (the command failed before using it)."""
        self._thread.join()
        if self._store is not None:
            self._store.close()


@contextmanager
def _plain_warnings() -> Iterator[None]:
    """Show govern's StoredStateWarning as a plain `warning: ...` line on stderr.

    Only that category is intercepted (through `warnings.showwarning`); every other warning
    goes where it went before. Recording all warnings instead (`catch_warnings(record=True)`)
    made `--engine spark` on a Spark Connect session grow past 20 GB of memory.
    """
    import warnings

    from govern.runner.scan import StoredStateWarning

    original = warnings.showwarning

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        if issubclass(category, StoredStateWarning):
            click.echo(f"warning: {message}", err=True)
        else:
            original(message, category, filename, lineno, file, line)

    with warnings.catch_warnings():  # restores the filters and showwarning afterwards
        warnings.simplefilter("always", StoredStateWarning)  # one line per damaged file
        warnings.showwarning = show
        yield


@app.command()
@click.argument("model")
@click.option("--data", "data", cls=PathsOption, help=_DATA_HELP)
@click.option(
    "--table",
    default=None,
    metavar="TABLE",
    help="A table version instead of --data: delta:PATH[@VERSION] or "
    "iceberg:CATALOG.NAMESPACE.TABLE[@SNAPSHOT_ID] (docs/scale.md).",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "dask", "spark"]),
    default="local",
    help="Where the files are counted (default local threads); the evidence is the same.",
)
@click.option("--scheduler", default=None, help="Dask scheduler address (tcp://HOST:PORT).")
@click.option(
    "--workers", type=int, default=None, help="Without --scheduler: local Dask worker processes."
)
@click.option("--master", default=None, help="Spark master URL (local[4], spark://..., sc://...).")
@click.option(
    "--baseline",
    default=None,
    help="Reference parquet (path or URI) to profile on the fly (default: the stored "
    "`govern baseline`).",
)
@click.option("--since", default=None, help="Only rows at or after this ISO time (UTC).")
@click.option("--until", default=None, help="Only rows before this ISO time (UTC).")
@click.option("--threads", type=int, default=None, help="Reader threads (default: 2).")
@click.option("--full", is_flag=True, help="Re-read every file (ignore stored partial counts).")
@pass_app
def scan(
    ctx: AppContext,
    model: str,
    data: tuple[str, ...],
    table: str | None,
    engine: str,
    scheduler: str | None,
    workers: int | None,
    master: str | None,
    baseline: str | None,
    since: str | None,
    until: str | None,
    threads: int | None,
    full: bool,
) -> None:
    """Measure drift of inference data against the reference profile; store the evidence."""
    from contextlib import nullcontext

    ref = ModelRef.parse(model)
    opening = _Opening(ctx.db, ctx.lock_timeout)
    try:
        from govern.runner._engine import DEFAULT_THREADS
        from govern.runner._parquet import parse_when
        from govern.runner.engines import scan_with

        t0 = parse_when(since, "--since") if since else None
        t1 = parse_when(until, "--until") if until else None
        bar = _Bar() if ctx.progress and engine == "local" else None
        opened = opening.store()
    except BaseException:
        opening.discard()
        raise
    with (
        _debug_object_store(ctx),
        opened as store,
        bar if bar is not None else nullcontext(),
        _plain_warnings(),
    ):
        result = scan_with(
            store,
            ref,
            data=list(data),
            table=table,
            engine=engine,
            scheduler=scheduler,
            workers=workers,
            master=master,
            baseline=baseline,
            since=t0,
            until=t1,
            threads=threads if threads is not None else DEFAULT_THREADS,
            progress=bar,
            incremental=not full,
        )
    psis = [m for m in result.metrics if m.metric == "psi"]
    # Plain lines: click.echo, not rich (no markup to interpret, ~30 ms less start-up).
    click.echo(
        f"scanned {result.model}@{result.version}: {result.rows} rows from "
        f"{len(result.sources)} file(s), {len(psis)} columns (scan {result.scan_id})"
    )
    if result.data_changed_at is not None:
        # Re-reading the same files is not new data: monitoring-gap controls judge this time.
        new = result.data_changed_at == result.scanned_at
        click.echo(
            f"data changed at {result.data_changed_at}"
            + (" (new files in this scan)" if new else " (no file new since then)")
        )
    if not ctx.quiet:
        for m in psis:
            shown = f"{m.value:.4f}" if m.value is not None else f"{m.status} ({m.reason})"
            click.echo(f"  {m.subject:<20} psi {shown}")
