"""A stored partial state that cannot be loaded is treated as absent: its file is read again.

A partial row can be damaged outside govern (a disk fault, a hand edit, an interrupted
copy of the database). The scan must neither stop nor merge what it cannot read: it warns
naming the file, reads that file again, stores a fresh partial in place of the damaged one,
and the evidence equals a clean scan of the same files, value for value. Real DuckDB,
parquet and C kernel; every class of damage is its own case.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from govern.cli import main
from govern.runner.scan import StoredStateWarning
from govern.scanplan import finish_scan, prepare_scan, scan_units
from govern.store import Store
from tests.scale.conftest import REF, evidence, latest_scan_id, timeless


def _truncate(text: str) -> str:
    return text[: len(text) // 2]


def _drop_accumulator(text: str) -> str:
    doc = json.loads(text)
    doc["states"] = doc["states"][:-1]
    return json.dumps(doc)


def _drift_missing_rows(text: str) -> str:
    doc = json.loads(text)
    del doc["states"][0]["rows"]
    return json.dumps(doc)


def _drift_counts_not_numbers(text: str) -> str:
    doc = json.loads(text)
    cols = doc["states"][0]["columns"]
    name = sorted(cols)[0]
    cols[name][0] = ["x"] * len(cols[name][0])
    return json.dumps(doc)


def _drift_counts_wrong_length(text: str) -> str:
    doc = json.loads(text)
    cols = doc["states"][0]["columns"]
    name = sorted(cols)[0]
    cols[name][0] = cols[name][0][:-2]
    return json.dumps(doc)


DAMAGE: dict[str, Callable[[str], str]] = {
    "truncated-json": _truncate,
    "not-an-object": lambda _: "[1, 2, 3]",
    "no-states": lambda _: "{}",
    "an-accumulator-missing": _drop_accumulator,
    "drift-rows-missing": _drift_missing_rows,
    "counts-not-numbers": _drift_counts_not_numbers,
    "counts-wrong-length": _drift_counts_wrong_length,
}


def _damage(db: Path, name: str, how: Callable[[str], str]) -> None:
    con = duckdb.connect(str(db))
    try:
        path, state = con.execute(
            "SELECT path, state::VARCHAR FROM scan_partials WHERE path LIKE ?", [f"%{name}"]
        ).fetchone()
        con.execute("UPDATE scan_partials SET state = ? WHERE path = ?", [how(state), path])
    except duckdb.Error:  # the JSON column refuses invalid JSON text: store it as a string
        con.execute(
            "UPDATE scan_partials SET state = to_json(?::VARCHAR) WHERE path = ?",
            [how(state), path],
        )
    finally:
        con.close()


@pytest.mark.parametrize("how", list(DAMAGE), ids=list(DAMAGE))
def test_a_damaged_partial_is_read_again_with_a_warning(
    scale_model: dict[str, Any], capsys: pytest.CaptureFixture[str], how: str
) -> None:
    logs = scale_model["logs"]
    clean = scale_model["fresh_db"]()
    assert main(["--db", str(clean), "-q", "scan", "m@1", "--data", str(logs)]) == 0
    expected = timeless(evidence(clean, latest_scan_id(clean)))

    db = scale_model["fresh_db"]()
    assert main(["--db", str(db), "-q", "scan", "m@1", "--data", str(logs)]) == 0
    _damage(db, "day2.parquet", DAMAGE[how])
    capsys.readouterr()
    assert main(["--db", str(db), "-q", "scan", "m@1", "--data", str(logs)]) == 0
    err = capsys.readouterr().err
    again = evidence(db, latest_scan_id(db))
    assert (again.params["files_read"], again.params["files_reused"]) == (1, 3)
    assert timeless(again) == expected
    day2 = str(logs / "day2.parquet")
    assert f"warning: {day2}: its stored partial state cannot be loaded" in err, err
    assert "read again" in err and "Traceback" not in err
    # The damaged row was replaced: the next scan reuses every file, silently.
    assert main(["--db", str(db), "-q", "scan", "m@1", "--data", str(logs)]) == 0
    third = evidence(db, latest_scan_id(db))
    assert (third.params["files_read"], third.params["files_reused"]) == (0, 4)
    assert timeless(third) == expected
    assert "warning" not in capsys.readouterr().err


def test_the_plan_api_warns_and_plans_the_file_again(scale_model: dict[str, Any]) -> None:
    logs = scale_model["logs"]
    db = scale_model["fresh_db"]()
    assert main(["--db", str(db), "-q", "scan", "m@1", "--data", str(logs)]) == 0
    expected = timeless(evidence(db, latest_scan_id(db)))
    _damage(db, "day3.parquet", _truncate)
    with Store.open(db) as store, pytest.warns(StoredStateWarning, match="day3.parquet"):
        plan = prepare_scan(store, REF, [logs])
    assert [f.uri.rsplit("/", 1)[1] for f in plan.files if not f.reused] == ["day3.parquet"]
    blobs = [scan_units(plan, t) for t in plan.tasks()]
    with Store.open(db) as store, warnings.catch_warnings():
        warnings.simplefilter("error")
        result = finish_scan(store, plan, blobs)
    assert timeless(evidence(db, result.scan_id)) == expected
