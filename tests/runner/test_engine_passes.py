"""The engine's read paths give bit-identical per-file states.

Without a window each row group is read as one batch of the fairness/performance/operational
columns plus one column at a time for drift; with a window the whole projected row group is
read at once (and a lone long row group is counted in slices). Whatever the path, thread
count or row-group layout, every accumulator's per-file state must be the same, rows must be
counted once per row group, and string columns read as parquet dictionaries must give the
same evidence as plain strings.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from govern.errors import MetricInputError
from govern.metrics import (
    DriftAccumulator,
    accumulators_from_card,
    check_schema,
    parse_monitoring,
)
from govern.metrics._accumulator import Accumulator
from govern.runner._engine import (
    SPLIT_ROWS,
    FileResult,
    dictionary_columns,
    read_units,
    scan_files,
)
from govern.runner._parquet import Window, open_parquet
from govern.runner.baseline import build_profiles
from govern.runner.scan import dictionary_columns as scan_dictionary_columns

NOW = datetime(2026, 11, 3)
CARD: dict[str, Any] = {
    "monitoring": {
        "features": ["f0", "f1", "f2", "c"],
        "prediction": "score",
        "label": "label",
        "protected": ["group", ["group", "region"]],
        "min_group_size": 5,
        "latency": "latency_ms",
        "error_code": "error_code",
        "timestamp": "ts",
        "min_rows": 10,
    }
}
# Every path must see every row: the window covers all timestamps.
ALL_ROWS = Window("ts", since=datetime(2000, 1, 1))
STRINGS = ["c", "group", "region", "error_code"]  # region is an integer column


def _table(seed: int, n: int, *, large: bool = False) -> pa.Table:
    rng = np.random.default_rng(seed)
    f0 = rng.normal(0, 1, n)
    f0[rng.random(n) < 0.02] = np.nan
    f1 = rng.exponential(2, n)
    f1[rng.random(n) < 0.01] = np.inf
    score = rng.random(n)
    label = (rng.random(n) < score).astype(np.int8)
    group = rng.choice(["A", "B", "C"], n).tolist()
    stype = pa.large_string() if large else pa.string()
    return pa.table(
        {
            "f0": pa.array(f0, mask=rng.random(n) < 0.03),
            "f1": f1,
            "f2": rng.integers(0, 50, n),
            "c": pa.array(rng.choice(["x", "y", "z", "w"], n).tolist(), type=stype),
            "score": pa.array(score, mask=rng.random(n) < 0.01),
            "label": pa.array(label, mask=rng.random(n) < 0.1),
            "group": pa.array(group, mask=rng.random(n) < 0.02, type=stype),
            "region": pa.array(rng.integers(0, 3, n), mask=rng.random(n) < 0.05),
            "latency_ms": rng.lognormal(3, 0.7, n),
            "error_code": pa.array(
                np.where(rng.random(n) < 0.05, "E500", None).tolist(), type=stype
            ),
            "ts": pa.array(
                [datetime(2026, 11, 1) + timedelta(seconds=int(s)) for s in range(n)],
                type=pa.timestamp("us"),
            ),
        }
    )


def _accumulators(reference: Path) -> list[Accumulator]:
    profiles, _ = build_profiles([reference], CARD)
    return [DriftAccumulator(profiles), *accumulators_from_card(CARD, now=NOW)]


def _scan(
    files: list[Path],
    accs: list[Accumulator],
    *,
    window: Window | None,
    threads: int,
    dictionary: list[str] = STRINGS,
) -> list[FileResult]:
    return scan_files(
        files,
        accs,
        expected={},
        dictionary=dictionary,
        window=window,
        threads=threads,
        check_schema=lambda schema, path: check_schema(CARD, schema, path),
    )


def _states(results: list[FileResult]) -> list[tuple[int, list[Any]]]:
    return [(r.rows, [s.to_state() for s in r.states]) for r in results]


LAYOUTS = {
    # name: [(rows, row group size)] per file
    "one_row_group": [(3_000, 3_000)],
    "many_row_groups": [(3_000, 700), (1_500, 400)],
    "lone_long_row_group": [(SPLIT_ROWS + 10_000, SPLIT_ROWS + 10_000)],
}


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ref") / "ref.parquet"
    pq.write_table(_table(1, 4_000), path)
    return path


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_read_paths_and_threads_give_identical_states(
    layout: str, reference: Path, tmp_path: Path
) -> None:
    files = []
    for i, (n, rg) in enumerate(LAYOUTS[layout]):
        files.append(tmp_path / f"part-{i}.parquet")
        pq.write_table(_table(10 + i, n), files[-1], row_group_size=rg)
    accs = _accumulators(reference)
    want = _states(_scan(files, accs, window=ALL_ROWS, threads=1))
    paths = [(None, 1), (None, 2), (ALL_ROWS, 2)]
    for window, threads in paths:
        got = _states(_scan(files, accs, window=window, threads=threads))
        assert got == want, (window, threads)
    # Rows counted once per row group, by the engine and by the drift accumulator.
    results = _scan(files, accs, window=None, threads=2)
    for r, (n, _) in zip(results, LAYOUTS[layout], strict=True):
        assert r.rows == n
        drift = r.states[0]
        assert drift.rows == n
        drift.check_rows()
        assert r.states[-1].rows == n  # operational counts every row it is given


def test_a_lone_long_row_group_gives_the_same_states_on_any_thread_count(
    reference: Path, tmp_path: Path
) -> None:
    """With a window, a lone long row group would be counted in slices on all threads; the
    performance accumulator (float partial sums per batch) asks for whole row groups instead,
    so a file's state does not depend on the thread count."""
    n = SPLIT_ROWS + 10_000
    path = tmp_path / "long.parquet"
    pq.write_table(_table(10, n), path, row_group_size=n)
    accs = _accumulators(reference)
    whole = _states(_scan([path], accs, window=ALL_ROWS, threads=1))
    assert _states(_scan([path], accs, window=ALL_ROWS, threads=2)) == whole


def test_every_column_is_read_once_and_the_joint_batch_first(reference: Path) -> None:
    accs = _accumulators(reference)
    units = read_units(accs)
    flat = [c for _, cols in units for c in cols]
    union = {c for a in accs for c in a.columns}
    assert len(flat) == len(set(flat)) and set(flat) == union
    assert [j for j, _ in units] == [True] + [False] * (len(units) - 1)
    joint = set(units[0][1])
    assert joint == {c for a in accs[1:] for c in a.columns}
    assert "score" in joint  # shared with drift: counted by drift from the joint batch
    assert all(len(cols) == 1 for _, cols in units[1:])
    assert read_units(accs[:1]) == [(False, [c]) for c in accs[0].columns]


def test_read_paths_agree_with_drift_alone(reference: Path, tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    pq.write_table(_table(5, 2_000), path, row_group_size=600)
    accs = _accumulators(reference)
    alone = _states(_scan([path], accs[:1], window=None, threads=2))
    together = _states(_scan([path], accs, window=None, threads=2))
    assert alone[0][0] == together[0][0] == 2_000
    assert alone[0][1][0] == together[0][1][0]


@pytest.mark.parametrize("large", [False, True])
def test_dictionary_reads_give_the_same_evidence(
    large: bool, reference: Path, tmp_path: Path
) -> None:
    path = tmp_path / "s.parquet"
    pq.write_table(_table(7, 3_000, large=large), path, row_group_size=800)
    accs = _accumulators(reference)
    for window in (None, ALL_ROWS):
        plain = _scan([path], accs, window=window, threads=2, dictionary=[])
        coded = _scan([path], accs, window=window, threads=2)
        assert _states(plain) == _states(coded)
        rows = [m for s in coded[0].states for m in s.finalize()]
        assert rows == [m for s in plain[0].states for m in s.finalize()]
        assert any(m.subject == "group=A" for m in rows)


def test_dictionary_columns_keep_only_the_files_strings() -> None:
    schema = pa.schema(
        [
            ("s", pa.string()),
            ("ls", pa.large_string()),
            ("d", pa.dictionary(pa.int32(), pa.string())),
            ("i", pa.int64()),
            ("b", pa.bool_()),
        ]
    )
    got = dictionary_columns(schema, ["i", "s", "missing", "ls", "b", "d", "s"])
    assert got == ["s", "ls", "d"]


def test_scan_lists_categorical_protected_and_error_code_columns(reference: Path) -> None:
    drift = _accumulators(reference)[0]
    assert isinstance(drift, DriftAccumulator)
    cfg = parse_monitoring(CARD)
    assert scan_dictionary_columns(drift, cfg) == STRINGS
    assert scan_dictionary_columns(drift, None) == ["c"]


def test_listed_string_columns_are_read_as_dictionaries(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(_table(2, 100, large=True), path)
    with open_parquet(path) as pf:
        names = dictionary_columns(pf.schema_arrow, STRINGS)
    assert names == ["c", "group", "error_code"]  # region is an integer column
    with open_parquet(path, dictionary=names) as pf:
        table = pf.read_row_group(0, columns=[*names, "region"])
    assert all(pa.types.is_dictionary(table.schema.field(n).type) for n in names)
    assert table.schema.field("region").type == pa.int64()


def test_a_listed_dictionary_column_missing_from_a_file_is_reported(
    reference: Path, tmp_path: Path
) -> None:
    path = tmp_path / "nogroup.parquet"
    pq.write_table(_table(3, 500).drop_columns(["group"]), path)
    with pytest.raises(MetricInputError, match="'group'.*missing") as err:
        _scan([path], _accumulators(reference), window=None, threads=1)
    assert "nogroup.parquet" in str(err.value)


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_each_files_state_is_its_own_however_threads_run_through_the_files(
    threads: int, reference: Path, tmp_path: Path
) -> None:
    """Drift is counted into one running state per thread and file and merged once per file:
    a thread moving on to the next file (or a range of the same file) starts a new state, so
    each result holds exactly its own file's counts, equal to scanning that file alone and to
    the per-row-group states of the windowed path; an empty file gets an empty state."""
    files: list[Path] = []
    for i, (n, rg) in enumerate([(2_100, 300), (0, 100), (950, 100), (1_700, 1_700)]):
        files.append(tmp_path / f"p{i}.parquet")
        pq.write_table(_table(20 + i, n), files[-1], row_group_size=rg)
    accs = _accumulators(reference)
    alone = [_states(_scan([f], accs, window=None, threads=1))[0] for f in files]
    got = _states(_scan(files, accs, window=None, threads=threads))
    assert got == alone
    assert got == _states(_scan(files, accs, window=ALL_ROWS, threads=1))
    assert [rows for rows, _ in got] == [2_100, 0, 950, 1_700]
    # The same file split into row-group ranges: one result per range, summing to the file.
    split = scan_files(
        [files[0]] * 3,
        accs[:1],
        expected={},
        threads=threads,
        row_groups=[(0, 2), (2, 5), (5, 7)],
    )
    assert [r.rows for r in split] == [600, 900, 600]
    merged = split[0].states[0].merge(split[1].states[0]).merge(split[2].states[0])
    assert merged.to_state() == alone[0][1][0]
