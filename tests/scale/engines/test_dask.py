"""Scans on a real Dask LocalCluster (2 worker processes on 127.0.0.1): the evidence is the
one `govern scan` stores for the same files on one machine, bit for bit; a worker that dies
fails the scan naming its units (or, retried, counts the same rows); nothing half-stored."""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

import govern.dask
from govern.cli import main
from govern.errors import EngineError, MetricInputError
from govern.lifecycle import ModelRef
from govern.scanplan import prepare_scan
from govern.store import Store

from ..conftest import counts
from .conftest import copy_db, evidence, log_table

SMALL_TASKS = 60_000  # bytes: several tasks per scan, so both workers count
SPLIT = 40_000  # bytes: every log file becomes several row-group ranges


def _local(model: dict[str, Any], *args: str) -> Path:
    db = copy_db(model, "local")
    assert main(["--db", str(db), "-q", "scan", "m@1", "--data", *args]) == 0
    return db


def _sources(db: Path) -> list[Any]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute("SELECT sources FROM scans ORDER BY finished_at DESC LIMIT 1").fetchone()
    finally:
        con.close()
    return list(json.loads(row[0]))


def test_dask_scan_equals_the_local_scan(model: dict, dask_client: Any) -> None:
    files = [str(f) for f in model["files"]]
    local = _local(model, *files)
    db = copy_db(model, "dask")
    result = govern.dask.scan(
        db, "m@1", files, client=dask_client, target_bytes=SMALL_TASKS, split_bytes=SPLIT
    )
    assert result.rows == 12_000
    assert evidence(db) == evidence(local)
    assert _sources(db) == _sources(local)
    with Store.open(local) as store:  # the same plan, to see what the workers were given
        plan = prepare_scan(store, ModelRef("m", "1"), files, incremental=False, split_bytes=SPLIT)
    assert all(u.row_groups is not None for u in plan.units) and len(plan.units) > len(files)


def test_dask_scan_with_a_time_window(model: dict, dask_client: Any) -> None:
    since, until = "2026-11-02T06:00:00", "2026-11-03T12:00:00"
    local = copy_db(model, "local")
    args = ["-q", "scan", "m@1", "--data", str(model["logs"]), "--since", since, "--until", until]
    assert main(["--db", str(local), *args]) == 0
    db = copy_db(model, "dask")
    govern.dask.scan(
        db,
        "m@1",
        model["logs"],
        client=dask_client,
        since=datetime.fromisoformat(since),
        until=datetime.fromisoformat(until),
        target_bytes=SMALL_TASKS,
    )
    assert evidence(db) == evidence(local)


def test_dask_incremental_rescan_reuses_partials(model: dict, dask_client: Any) -> None:
    db = copy_db(model, "dask")
    govern.dask.scan(db, "m@1", model["logs"], client=dask_client, target_bytes=SMALL_TASKS)
    pq.write_table(log_table(99, 2_000, day=5), model["logs"] / "part-5.parquet")
    govern.dask.scan(db, "m@1", model["logs"], client=dask_client, target_bytes=SMALL_TASKS)
    con = duckdb.connect(str(db), read_only=True)
    params = json.loads(
        con.execute("SELECT params FROM scans ORDER BY finished_at DESC LIMIT 1").fetchone()[0]
    )
    con.close()
    assert (params["files_read"], params["files_reused"]) == (1, 4)
    full = copy_db(model, "full")  # a copy from before both scans: reads all five files
    assert main(["--db", str(full), "-q", "scan", "m@1", "--data", str(model["logs"])]) == 0
    assert evidence(db) == evidence(full)


def test_cli_engine_dask_with_a_scheduler(model: dict, dask_client: Any) -> None:
    local = _local(model, str(model["logs"]))
    db = copy_db(model, "dask")
    address = dask_client.scheduler.address
    args = ["--engine", "dask", "--scheduler", address]
    assert main(["--db", str(db), "-q", "scan", "m@1", "--data", str(model["logs"]), *args]) == 0
    assert evidence(db) == evidence(local)


def test_cli_engine_dask_starts_a_local_cluster(model: dict) -> None:
    pytest.importorskip("distributed", reason="needs govern-mrm[dask]")
    local = _local(model, str(model["logs"]))
    db = copy_db(model, "dask")
    args = ["--engine", "dask", "--workers", "2"]
    assert main(["--db", str(db), "-q", "scan", "m@1", "--data", str(model["logs"]), *args]) == 0
    assert evidence(db) == evidence(local)


def test_a_file_changed_after_planning_fails_on_the_worker(model: dict, dask_client: Any) -> None:
    before = counts(model["db"])
    target = model["files"][2]
    with Store.open(model["db"]) as store:
        plan = prepare_scan(store, ModelRef("m", "1"), [model["logs"]])
        pq.write_table(log_table(77, 3_000, day=3), target, row_group_size=1_000)
        with pytest.raises(MetricInputError) as info:
            govern.dask.run_plan(dask_client, plan, target_bytes=SMALL_TASKS)
    assert str(target) in str(info.value) and "changed while it was read" in str(info.value)
    assert counts(model["db"]) == before


def _kill_plugin(marker: Path | None) -> Any:
    """A worker plugin that ends its worker process when a govern task starts executing.

    With a marker file, only once (the first worker to start one creates the marker).
    """
    from distributed.diagnostics.plugin import WorkerPlugin

    class KillOnStart(WorkerPlugin):  # type: ignore[misc]
        def transition(self, key: Any, start: str, finish: str, **kwargs: Any) -> None:
            if finish != "executing" or not str(key).startswith("govern-scan-"):
                return
            if marker is not None:
                try:
                    fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
                except FileExistsError:
                    return
                os.close(fd)
            os._exit(1)

    return KillOnStart()


@pytest.fixture
def fragile_cluster(request: pytest.FixtureRequest) -> Any:
    """A fresh 2-worker LocalCluster whose scheduler allows `request.param` worker deaths."""
    distributed = pytest.importorskip("distributed", reason="needs govern-mrm[dask]")
    import dask

    with (
        dask.config.set({"distributed.scheduler.allowed-failures": request.param}),
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            silence_logs=logging.CRITICAL,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.mark.parametrize("fragile_cluster", [0], indirect=True)
def test_a_killed_worker_fails_the_scan_naming_the_units(model: dict, fragile_cluster: Any) -> None:
    fragile_cluster.register_plugin(_kill_plugin(None))
    before = counts(model["db"])
    with pytest.raises(EngineError) as info:
        govern.dask.scan(
            model["db"], "m@1", model["logs"], client=fragile_cluster, target_bytes=SMALL_TASKS
        )
    message = str(info.value)
    assert message.startswith("a Dask worker died while counting ")
    assert str(model["logs"]) in message and "nothing was stored" in message
    assert counts(model["db"]) == before


@pytest.mark.parametrize("fragile_cluster", [3], indirect=True)
def test_a_retried_task_gives_the_same_evidence(
    model: dict, fragile_cluster: Any, tmp_path: Path
) -> None:
    local = _local(model, str(model["logs"]))
    fragile_cluster.register_plugin(_kill_plugin(tmp_path / "killed-once"))
    db = copy_db(model, "dask")
    govern.dask.scan(db, "m@1", model["logs"], client=fragile_cluster, target_bytes=SMALL_TASKS)
    assert (tmp_path / "killed-once").exists()  # a worker did die mid-scan
    assert evidence(db) == evidence(local)


def test_missing_dask_names_the_extra(
    model: dict, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    before = counts(model["db"])
    args = ["-q", "scan", "m@1", "--data", str(model["logs"]), "--engine", "dask"]
    assert main(["--db", str(model["db"]), *args]) == 2
    err = capsys.readouterr().err
    assert "--engine dask needs the Python package 'distributed'" in err
    assert "pip install 'govern-mrm[dask]'" in err
    assert counts(model["db"]) == before


def test_dask_scan_over_s3_equals_the_local_scan(model: dict, s3_env: Any) -> None:
    """Workers read the objects themselves, credentials and endpoint from their environment.

    The cluster is started after the AWS variables point at the moto server, so the worker
    processes inherit them, as workers on a real cluster have their own.
    """
    distributed = pytest.importorskip("distributed", reason="needs govern-mrm[dask]")
    s3_env.make_bucket("lake")
    for f in model["files"]:
        s3_env.upload(f, f"s3://lake/churn/logs/{f.name}")
    local = _local(model, str(model["logs"]))
    db = copy_db(model, "s3")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            silence_logs=logging.ERROR,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        result = govern.dask.scan(
            db, "m@1", "s3://lake/churn/logs/", client=client, target_bytes=SMALL_TASKS
        )
    assert [s.path for s in result.sources] == [
        f"s3://lake/churn/logs/{f.name}" for f in model["files"]
    ]
    assert evidence(db) == evidence(local)


def test_cli_engine_dask_on_a_delta_table(model: dict, dask_client: Any, tmp_path: Path) -> None:
    deltalake = pytest.importorskip("deltalake", reason="needs govern-mrm[delta] (deltalake)")
    path = tmp_path / "inference"
    deltalake.write_deltalake(str(path), log_table(41, 3_000, day=1))
    deltalake.write_deltalake(str(path), log_table(42, 3_000, day=2), mode="append")
    local = _local(model, str(path))  # the directory: both versions' parquet files
    db = copy_db(model, "dask")
    args = ["--table", f"delta:{path}", "--engine", "dask", "--scheduler"]
    assert main(["--db", str(db), "-q", "scan", "m@1", *args, dask_client.scheduler.address]) == 0
    assert evidence(db) == evidence(local)
    con = duckdb.connect(str(db), read_only=True)
    params = json.loads(con.execute("SELECT params FROM scans").fetchone()[0])
    con.close()
    assert params["engine"] == "dask" and params["workers"] == 2
    assert params["table"] == {"format": "delta", "name": str(path), "version": 1}


def test_an_unreachable_scheduler_is_a_clear_error(
    model: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("distributed", reason="needs govern-mrm[dask]")
    import socket

    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{s.getsockname()[1]}"
    before = counts(model["db"])
    args = ["--data", str(model["logs"]), "--engine", "dask", "--scheduler", address]
    assert main(["--db", str(model["db"]), "-q", "scan", "m@1", *args]) == 2
    err = capsys.readouterr().err
    assert f"cannot reach the Dask scheduler at {address}" in err and "Traceback" not in err
    assert counts(model["db"]) == before


def test_dask_scan_of_hive_folders_equals_the_columns_in_the_files(
    model: dict, dask_client: Any, tmp_path: Path
) -> None:
    """`group=g1/c=a/` folders (the protected attribute and a drift feature only in the
    folder names): the Dask workers add them from the plan, as the local scan does."""
    import pyarrow.compute as pc

    hive, flat = tmp_path / "hive", tmp_path / "flat"
    flat.mkdir()
    for day in (1, 2):
        t = log_table(60 + day, 3_000, day)
        for group in ("g1", "g2", "g3"):
            for c in ("a", "b", "c"):
                part = t.filter(pc.and_(pc.equal(t["group"], group), pc.equal(t["c"], c)))
                d = hive / f"group={group}" / f"c={c}"
                d.mkdir(parents=True, exist_ok=True)
                pq.write_table(part, flat / f"{group}-{c}-{day}.parquet", row_group_size=100)
                pq.write_table(
                    part.drop_columns(["group", "c"]), d / f"day{day}.parquet", row_group_size=100
                )
    local = _local(model, str(flat))
    db = copy_db(model, "dask-hive")
    govern.dask.scan(db, "m@1", [hive], client=dask_client, target_bytes=SMALL_TASKS)
    assert evidence(db) == evidence(local)
