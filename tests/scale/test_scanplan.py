"""prepare_scan -> scan_units -> finish_scan equals `govern scan`, value for value.

Generated logs (float32, float64, int, string and dictionary features; one to many row
groups; snappy and zstd; several files) are scanned once by the CLI and once through the
three public functions, with the units grouped into tasks in several ways (one task, one per
unit, reversed pairs, random groups; files split into row-group ranges; the plan through a
JSON round trip; blobs handed back in shuffled order). Every evidence row (value, status,
reason, detail) and the provenance must be the same. Real DuckDB, parquet and C kernel.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from govern.cli import main
from govern.errors import MetricInputError, ScanPlanError
from govern.runner import _blob
from govern.scanplan import ScanPlan, WorkUnit, finish_scan, prepare_scan, scan_unit, scan_units
from govern.store import Store
from tests.scale.conftest import (
    REF,
    counts,
    evidence,
    latest_scan_id,
    log_table,
    timeless,
)


def _cli_scan(db: Path, logs: Path, *extra: str) -> Any:
    assert main(["--db", str(db), "-q", "scan", "m@1", "--data", str(logs), *extra]) == 0
    return evidence(db, latest_scan_id(db))


def _groupings(units: tuple[WorkUnit, ...], how: str) -> list[list[WorkUnit]]:
    if how == "one-task":
        return [list(units)]
    if how == "per-unit":
        return [[u] for u in units]
    if how == "reversed-pairs":
        rev = list(reversed(units))
        return [rev[i : i + 2] for i in range(0, len(rev), 2)]
    rng = random.Random(7)
    shuffled = list(units)
    rng.shuffle(shuffled)
    out, i = [], 0
    while i < len(shuffled):
        k = rng.randint(1, 3)
        out.append(shuffled[i : i + k])
        i += k
    return out


def _distributed(db: Path, logs: Path, how: str, split_bytes: int | None) -> Any:
    with Store.open(db) as store:
        plan = prepare_scan(store, REF, [logs], split_bytes=split_bytes)
    wire = ScanPlan.from_json(plan.to_json())  # what a worker receives
    assert wire == plan and wire.local is None
    blobs = [scan_units(wire, group) for group in _groupings(wire.units, how)]
    random.Random(3).shuffle(blobs)
    with Store.open(db) as store:
        result = finish_scan(store, ScanPlan.from_json(plan.to_json()), blobs)
    return plan, evidence(db, result.scan_id)


@pytest.mark.parametrize("how", ["one-task", "per-unit", "reversed-pairs", "random"])
@pytest.mark.parametrize("split_bytes", [None, 20_000])
def test_units_in_any_grouping_equal_govern_scan(
    scale_model: dict[str, Any], how: str, split_bytes: int | None
) -> None:
    logs = scale_model["logs"]
    local = _cli_scan(scale_model["fresh_db"](), logs)
    db = scale_model["fresh_db"]()
    plan, dist = _distributed(db, logs, how, split_bytes)
    # the partials stored from the workers' bytes are bound to the audit trail as verify reads them
    assert main(["--db", str(db), "-q", "audit", "verify"]) == 0
    ranged = [u for u in plan.units if u.row_groups is not None]
    if split_bytes is None:
        assert not ranged and len(plan.units) == len(scale_model["files"])
    else:  # the many-row-group files are split into several whole-row-group ranges
        assert len(ranged) > len(scale_model["files"])
        for f in plan.files:
            spans = sorted(u.row_groups for u in plan.units if u.uri == f.uri and u.row_groups)
            if spans:
                assert spans[0][0] == 0
                assert all(a[1] == b[0] for a, b in zip(spans, spans[1:], strict=False))
                assert spans[-1][1] == pq.ParquetFile(f.uri).num_row_groups
    assert timeless(dist) == timeless(local)
    assert dist.sources == local.sources
    assert dist.scanned_at == plan.scanned_at
    assert (dist.params["files_read"], dist.params["files_reused"]) == (4, 0)


def test_stored_partials_are_per_file_and_reused_by_govern_scan(
    scale_model: dict[str, Any],
) -> None:
    """Partials stored by finish_scan (split units merged per file) serve a later CLI scan."""
    db, logs = scale_model["fresh_db"](), scale_model["logs"]
    _distributed(db, logs, "random", 20_000)
    assert counts(db)[2] == len(scale_model["files"])
    again = _cli_scan(db, logs)
    assert (again.params["files_read"], again.params["files_reused"]) == (0, 4)
    full = _cli_scan(scale_model["fresh_db"](), logs, "--full")
    assert timeless(again) == timeless(full)


def test_incremental_plan_reads_only_the_new_file(scale_model: dict[str, Any]) -> None:
    db, logs = scale_model["fresh_db"](), scale_model["logs"]
    _distributed(db, logs, "per-unit", None)
    new = logs / "day9.parquet"
    pq.write_table(log_table(99, 2_200, day=9), new, row_group_size=500, compression="zstd")
    with Store.open(db) as store:
        plan = prepare_scan(store, REF, [logs])
    assert {u.uri for u in plan.units} == {str(new.resolve())}
    assert [f.reused for f in plan.files] == [True, True, True, True, False]
    wire = ScanPlan.from_json(plan.to_json())
    blob = scan_unit(wire, wire.units[0])
    with Store.open(db) as store:  # the driver reloads the reused partials from the store
        result = finish_scan(store, wire, [blob])
    incremental = evidence(db, result.scan_id)
    assert (incremental.params["files_read"], incremental.params["files_reused"]) == (1, 4)
    full = _cli_scan(scale_model["fresh_db"](), logs)
    assert timeless(incremental) == timeless(full)
    assert incremental.sources == full.sources


def _prepared(scale_model: dict[str, Any]) -> tuple[Path, ScanPlan, list[bytes]]:
    db = scale_model["fresh_db"]()
    with Store.open(db) as store:
        plan = prepare_scan(store, REF, [scale_model["logs"]], split_bytes=20_000)
    return db, plan, [scan_units(plan, [u]) for u in plan.units]


def _flip(blob: bytes) -> bytes:
    mid = len(blob) // 2
    return blob[:mid] + bytes([blob[mid] ^ 0xFF]) + blob[mid + 1 :]


def _tampered(plan: ScanPlan, blob: bytes, part: str) -> bytes:
    """The blob re-encoded with a well-formed envelope but a nonsense state inside."""
    b = _blob.decode(plan, blob, 0)
    nonsense = {"nonsense": 1}
    if part == "total":
        return _blob.encode(plan, b.units, b.rows, [nonsense, *b.total[1:]])
    bad = _blob.UnitState(b.units[0].unit, b.units[0].rows, json.dumps({"states": [nonsense]}))
    return _blob.encode(plan, [bad, *b.units[1:]], b.rows, b.total)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda plan, blobs: blobs[1:], "work units have no state"),
        (lambda plan, blobs: [*blobs, blobs[0]], "is in two blobs"),
        (lambda plan, blobs: [_flip(blobs[0]), *blobs[1:]], "state blob 0: damaged"),
        (lambda plan, blobs: [b"nonsense", *blobs[1:]], "not a govern state blob"),
        (lambda plan, blobs: [blobs[0][:3] + b"\x09" + blobs[0][4:], *blobs[1:]], "format 9"),
        (lambda plan, blobs: [_tampered(plan, blobs[0], "total"), *blobs[1:]], "total is damaged"),
        (lambda plan, blobs: [_tampered(plan, blobs[0], "unit"), *blobs[1:]], "is damaged"),
    ],
    ids=["missing", "duplicate", "corrupt", "not-a-blob", "format", "bad-total", "bad-unit"],
)
def test_a_missing_or_bad_blob_stores_nothing(
    scale_model: dict[str, Any], damage: Any, message: str
) -> None:
    db, plan, blobs = _prepared(scale_model)
    before = counts(db)
    with Store.open(db) as store, pytest.raises(ScanPlanError, match=message):
        finish_scan(store, plan, damage(plan, blobs))
    assert counts(db) == before


def test_a_blob_of_another_plan_is_refused(scale_model: dict[str, Any]) -> None:
    db, plan, blobs = _prepared(scale_model)
    with Store.open(db) as store:
        other = prepare_scan(store, REF, [scale_model["logs"]], split_bytes=20_000)
    before = counts(db)
    with Store.open(db) as store, pytest.raises(ScanPlanError, match="another scan plan"):
        finish_scan(store, other, blobs)
    assert counts(db) == before


def test_a_unit_not_in_the_plan_is_refused(scale_model: dict[str, Any]) -> None:
    _, plan, _ = _prepared(scale_model)
    u = plan.units[0]
    bogus = WorkUnit(u.uri, u.size, u.version, (0, 999), u.nbytes)
    with pytest.raises(ScanPlanError, match="not one of the plan's units"):
        scan_units(plan, [bogus])


def test_a_file_changed_after_planning_fails_the_worker(scale_model: dict[str, Any]) -> None:
    db, logs = scale_model["fresh_db"](), scale_model["logs"]
    with Store.open(db) as store:
        plan = prepare_scan(store, REF, [logs])
    target = Path(plan.units[0].uri)
    pq.write_table(log_table(55, 3_000), target, row_group_size=700)
    with pytest.raises(MetricInputError, match="changed while it was read") as err:
        scan_units(plan, [plan.units[0]])
    assert err.value.path == str(target)
    # A file that keeps its content but was touched is another version too (mtime).
    plan2 = prepare_scan_of(db, logs)
    st = os.stat(target)
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    with pytest.raises(MetricInputError, match="not the version the scan plan recorded"):
        scan_units(plan2, [u for u in plan2.units if u.uri == str(target)])


def prepare_scan_of(db: Path, logs: Path) -> ScanPlan:
    with Store.open(db) as store:
        return prepare_scan(store, REF, [logs])


def test_a_plan_with_python_accumulators_does_not_serialise(scale_model: dict[str, Any]) -> None:
    from govern.metrics._drift import DriftAccumulator  # any accumulator object

    db = scale_model["fresh_db"]()
    with Store.open(db) as store:
        plan = prepare_scan(store, REF, [scale_model["logs"]])
        dummy = DriftAccumulator(plan.local.profiles)  # type: ignore[union-attr]
        custom = prepare_scan(store, REF, [scale_model["logs"]], extra=[dummy])
    assert plan.to_json()
    with pytest.raises(ScanPlanError, match="cannot be serialised"):
        custom.to_json()


def test_a_malformed_plan_is_refused() -> None:
    with pytest.raises(ScanPlanError, match="not a govern scan plan"):
        ScanPlan.from_json('{"format": 1, "model": "m"}')
    with pytest.raises(ScanPlanError, match="format 99"):
        ScanPlan.from_json('{"format": 99}')


def test_tasks_group_consecutive_units_by_size(scale_model: dict[str, Any]) -> None:
    _, plan, _ = _prepared(scale_model)
    for target in (1, 30_000, 10**9):
        tasks = plan.tasks(target_bytes=target)
        assert [u for t in tasks for u in t] == list(plan.units)
        for t in tasks:
            assert len(t) == 1 or sum(u.nbytes for u in t) <= target
    assert len(plan.tasks(target_bytes=10**9)) == 1
    assert len(plan.tasks(target_bytes=1)) == len(plan.units)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"states": [not json]}', "its partial state is not JSON"),
        ('{"states": [{"a": "\udcff"}]}', "its partial state is not JSON"),
        ("[1, 2]", "the state of the whole file is damaged"),
    ],
    ids=["not-json", "not-utf8", "not-a-document"],
)
def test_a_bad_whole_file_state_names_the_file_and_stores_nothing(
    scale_model: dict[str, Any], text: str, message: str
) -> None:
    """Whole files' states are stored as the workers sent them, checked by the store."""
    db = scale_model["fresh_db"]()
    with Store.open(db) as store:
        plan = prepare_scan(store, REF, [scale_model["logs"]])
    assert all(u.row_groups is None for u in plan.units)
    blobs = [scan_units(plan, [u]) for u in plan.units]
    b = _blob.decode(plan, blobs[1], 1)
    raw = text.encode("utf-8", "surrogateescape")
    bad = _blob.UnitState(b.units[0].unit, b.units[0].rows, memoryview(raw))
    blobs[1] = _blob.encode(plan, [bad], b.rows, b.total)
    before = counts(db)
    with Store.open(db) as store, pytest.raises(ScanPlanError, match=message) as err:
        finish_scan(store, plan, blobs)
    assert b.units[0].unit.uri in str(err.value)
    assert counts(db) == before
