"""CLI pieces of the drift commands: progress bar policy and the bar itself."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from govern.cli._app import AppContext
from govern.cli.drift import _Bar
from govern.metrics._drift import DriftAccumulator
from govern.metrics._profile import ProfileSet, numeric_profile
from govern.runner._engine import scan_files


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("quiet", "ci", "tty", "shown"),
    [
        (False, None, True, True),
        (True, None, True, False),
        (False, "true", True, False),
        (False, None, False, False),
    ],
)
def test_progress_only_on_a_terminal_outside_ci(
    monkeypatch: pytest.MonkeyPatch, quiet: bool, ci: str | None, tty: bool, shown: bool
) -> None:
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    monkeypatch.setattr(sys, "stderr", _Tty() if tty else io.StringIO())
    assert AppContext(db=None, debug=False, quiet=quiet).progress is shown


def test_bar_counts_every_row_group(tmp_path: Path) -> None:
    import numpy as np

    files = []
    for i in range(3):
        p = tmp_path / f"{i}.parquet"
        pq.write_table(pa.table({"x": np.arange(1_000, dtype=np.float64)}), p, row_group_size=300)
        files.append(p)
    prof, _ = numeric_profile("x", "double", np.arange(10, dtype=np.float64))
    acc = DriftAccumulator(ProfileSet((prof,)))
    with _Bar() as bar:
        scan_files(files, [acc], expected={"x": "double"}, progress=bar)
        task = bar.progress.tasks[0]
    assert (task.total, task.completed) == (12, 12)
    assert task.description.startswith("file 3/3")
