"""Scans of `s3://` URIs against a real S3-compatible server (moto) on 127.0.0.1.

The same parquet files are scanned from local disk and, uploaded, by URI: the evidence
(every value, status, reason and detail) must be identical, by the CLI and through the scan
plan API. Incremental keys are the object's size and ETag: one new object is the only one
read, an object replaced in place (new ETag) is read again. Bad input (unreachable endpoint,
missing bucket or object, permission denied, an object that changes after planning, mixed
schemas, credentials in the URI) fails with exit 2 naming the URI, and stores nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from govern.cli import main
from govern.errors import MetricInputError
from govern.runner import _fs
from govern.scanplan import ScanPlan, finish_scan, prepare_scan, scan_units
from govern.store import Store
from tests.scale.conftest import (
    REF,
    S3Server,
    _free_port,
    counts,
    evidence,
    log_table,
    timeless,
)
from tests.scale.conftest import (
    run_cli as _run_cli,
)
from tests.scale.conftest import (
    scan_cli as _scan,
)


def _bucket(server: S3Server, files: list[Path]) -> str:
    """A fresh bucket holding `files` under logs/; returns the prefix URI."""
    name = f"lake-{uuid.uuid4().hex[:10]}"
    server.make_bucket(name)
    for f in files:
        server.upload(f, f"s3://{name}/logs/{f.name}")
    return f"s3://{name}/logs/"


def test_a_scan_by_s3_uri_equals_the_local_scan(
    s3_env: S3Server, scale_model: dict[str, Any]
) -> None:
    prefix = _bucket(s3_env, scale_model["files"])
    local = _scan(scale_model["fresh_db"](), str(scale_model["logs"]))
    remote = _scan(scale_model["fresh_db"](), prefix)
    assert timeless(remote) == timeless(local)
    assert [s["path"] for s in remote.sources] == [
        f"{prefix}{f.name}" for f in scale_model["files"]
    ]
    assert [(s["rows"], s["size"]) for s in remote.sources] == [
        (s["rows"], s["size"]) for s in local.sources
    ]
    assert all(s["fingerprint"].startswith("etag:") for s in remote.sources)
    # A glob over the same objects, and the plan API with split units, agree too.
    glob = _scan(scale_model["fresh_db"](), prefix + "day*.parquet")
    assert timeless(glob) == timeless(local)
    db = scale_model["fresh_db"]()
    with Store.open(db) as store:
        plan = prepare_scan(store, REF, [prefix], split_bytes=20_000)
    wire = ScanPlan.from_json(plan.to_json())
    blobs = [scan_units(wire, t) for t in wire.tasks(target_bytes=40_000)]
    with Store.open(db) as store:
        result = finish_scan(store, wire, blobs)
    assert timeless(evidence(db, result.scan_id)) == timeless(local)


def test_hive_keys_under_an_s3_prefix_are_read_as_columns(
    s3_env: S3Server, scale_model: dict[str, Any]
) -> None:
    """`s=a/region=1/` folders in a bucket: the drift feature `s` (string in the reference)
    and the protected attribute `region` (not in the reference: int64, all its values being
    integers) come from the keys; the evidence equals the files with the columns in them."""
    tmp = scale_model["tmp"]
    hive, flat = tmp / "hive", tmp / "flat"
    name = f"lake-{uuid.uuid4().hex[:10]}"
    s3_env.make_bucket(name)
    for day, seed in enumerate((21, 22), start=1):
        t = log_table(seed, 3_000, day=day)
        for s in ("a", "b", "c", "d"):
            for region in (1, 2):
                part = t.filter(pc.and_(pc.equal(t["s"], s), pc.equal(t["region"], region)))
                rel = f"s={s}/region={region}/day{day}.parquet"
                (hive / rel).parent.mkdir(parents=True, exist_ok=True)
                pq.write_table(part.drop_columns(["s", "region"]), hive / rel, row_group_size=100)
                s3_env.upload(hive / rel, f"s3://{name}/logs/{rel}")
                flat.mkdir(exist_ok=True)
                pq.write_table(part, flat / rel.replace("/", "_"), row_group_size=100)
    with_columns = _scan(scale_model["fresh_db"](), str(flat))
    remote = _scan(scale_model["fresh_db"](), f"s3://{name}/logs/")
    local = _scan(scale_model["fresh_db"](), str(hive))
    assert timeless(remote) == timeless(with_columns) == timeless(local)
    db = scale_model["fresh_db"]()
    with Store.open(db) as store:
        plan = prepare_scan(store, REF, [f"s3://{name}/logs/"])
    wire = ScanPlan.from_json(plan.to_json())
    assert all(f.partition is not None for f in wire.files)
    blobs = [scan_units(wire, t) for t in wire.tasks(target_bytes=40_000)]
    with Store.open(db) as store:
        result = finish_scan(store, wire, blobs)
    assert timeless(evidence(db, result.scan_id)) == timeless(with_columns)


def test_incremental_rescan_reads_one_new_object_and_a_replaced_one(
    s3_env: S3Server, scale_model: dict[str, Any]
) -> None:
    files = scale_model["files"]
    prefix = _bucket(s3_env, files[:3])
    db = scale_model["fresh_db"]()
    first = _scan(db, prefix)
    assert (first.params["files_read"], first.params["files_reused"]) == (3, 0)
    s3_env.upload(files[3], prefix + files[3].name)
    second = _scan(db, prefix)
    assert (second.params["files_read"], second.params["files_reused"]) == (1, 3)
    local = _scan(scale_model["fresh_db"](), str(scale_model["logs"]))
    assert timeless(second) == timeless(local)
    # Replace day2 in place with other rows: a new ETag, so it is read again.
    other = scale_model["tmp"] / "other.parquet"
    pq.write_table(log_table(77, 2_000, day=2), other, row_group_size=400)
    before = next(s for s in second.sources if s["path"].endswith("day2.parquet"))
    s3_env.upload(other, prefix + "day2.parquet")
    third = _scan(db, prefix)
    assert (third.params["files_read"], third.params["files_reused"]) == (1, 3)
    after = next(s for s in third.sources if s["path"].endswith("day2.parquet"))
    assert after["fingerprint"] != before["fingerprint"] and after["rows"] == 2_000
    full = _scan(scale_model["fresh_db"](), prefix)
    assert timeless(third) == timeless(full)


def test_baseline_from_s3_equals_the_local_baseline(
    s3_env: S3Server, scale_model: dict[str, Any], tmp_path: Path
) -> None:
    train = scale_model["tmp"] / "train.parquet"
    prefix = _bucket(s3_env, [train])
    digests = []
    for data in (str(train), prefix + "train.parquet"):
        db = scale_model["fresh_db"]()
        assert main(["--db", str(db), "-q", "baseline", "m@1", "--data", data]) == 0
        with Store.open(db) as store:
            from govern.store.profiles import latest_profile

            stored = latest_profile(store, "m", "1")
            assert stored is not None
            digests.append(stored["digest"])
            assert stored["sources"][0]["path"] == data if "s3" in data else True
    assert digests[0] == digests[1]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.replace("s3://", "s3://nobucket-") + "x/", "does not exist"),
        (lambda p: p + "nothing-here.parquet", "no such object"),
        (lambda p: p + "nothing-here/", "no such object or prefix"),
    ],
    ids=["missing-bucket", "missing-object", "missing-prefix"],
)
def test_missing_bucket_or_object_exits_2_naming_the_uri(
    s3_env: S3Server,
    scale_model: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    make: Any,
    message: str,
) -> None:
    prefix = _bucket(s3_env, scale_model["files"][:1])
    uri = make(prefix)
    db = scale_model["fresh_db"]()
    before = counts(db)
    code, err = _run_cli(db, "scan", "m@1", "--data", uri, capsys=capsys)
    assert code == 2, err
    assert uri.split("/")[2] in err and message in err and "Traceback" not in err
    assert counts(db) == before


def test_unreachable_endpoint_exits_2_after_bounded_retries(
    s3_env: S3Server,
    scale_model: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{_free_port()}")
    monkeypatch.setenv(_fs.MAX_ATTEMPTS_ENV, "2")
    _fs.reset()
    db = scale_model["fresh_db"]()
    before = counts(db)
    t0 = time.monotonic()
    code, err = _run_cli(db, "scan", "m@1", "--data", "s3://lake/logs/", capsys=capsys)
    assert code == 2 and time.monotonic() - t0 < 60
    assert "s3://lake/logs/" in err and "endpoint is unreachable" in err
    assert "2 attempts" in err
    assert counts(db) == before


def test_retries_are_printed_with_debug(
    s3_server: S3Server, scale_model: dict[str, Any], tmp_path: Path
) -> None:
    """--debug turns on the S3 client's warnings: each retry and its back-off (own process,
    since the client's log level is fixed when the client starts)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{_free_port()}",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
        GOVERN_S3_MAX_ATTEMPTS="3",
    )
    db = scale_model["fresh_db"]()
    args = ["--db", str(db), "scan", "m@1", "--data", "s3://lake/logs/"]
    cmd = [sys.executable, "-c", "import sys; from govern.cli import main; sys.exit(main())"]
    quiet = subprocess.run([*cmd, *args], env=env, capture_output=True, text=True, timeout=120)
    loud = subprocess.run(
        [*cmd, "--debug", *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert quiet.returncode == loud.returncode == 2
    assert "attempting again" not in quiet.stderr
    assert loud.stderr.count("before attempting again") == 2  # 3 attempts: 2 retries
    assert "testing" not in loud.stderr  # no credential in the log


def test_permission_denied_exits_2(
    scale_model: dict[str, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A moto server that checks credentials (INITIAL_NO_AUTH_ACTION_COUNT=0) answers 403."""
    pytest.importorskip("moto", reason="moto[server] (dev extra) is not installed")
    port = _free_port()
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "0"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        import socket

        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        for k in list(os.environ):
            if k.startswith("AWS_"):
                monkeypatch.delenv(k)
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAUNKNOWN")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret")
        monkeypatch.setenv("AWS_REGION", "us-east-1")
        _fs.reset()
        db = scale_model["fresh_db"]()
        before = counts(db)
        code, err = _run_cli(db, "scan", "m@1", "--data", "s3://lake/logs/", capsys=capsys)
        assert code == 2 and "s3://lake/logs/" in err and "permission denied" in err
        assert "wrong-secret" not in err and "AKIAUNKNOWN" not in err
        assert counts(db) == before
    finally:
        proc.terminate()
        proc.wait(10)
        _fs.reset()


def test_an_object_replaced_after_planning_fails_the_worker(
    s3_env: S3Server, scale_model: dict[str, Any]
) -> None:
    prefix = _bucket(s3_env, scale_model["files"][:2])
    db = scale_model["fresh_db"]()
    with Store.open(db) as store:
        plan = prepare_scan(store, REF, [prefix])
    other = scale_model["tmp"] / "other.parquet"
    pq.write_table(log_table(5, 1_000), other)
    s3_env.upload(other, plan.units[1].uri)
    blob = scan_units(plan, [plan.units[0]])  # the untouched object still counts
    with pytest.raises(MetricInputError, match="changed while it was read") as err:
        scan_units(plan, [plan.units[1]])
    assert err.value.path == plan.units[1].uri
    before = counts(db)
    with Store.open(db) as store, pytest.raises(Exception, match="no state"):
        finish_scan(store, plan, [blob])
    assert counts(db) == before


def test_mixed_schemas_across_objects_exit_2_naming_the_object(
    s3_env: S3Server, scale_model: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    prefix = _bucket(s3_env, scale_model["files"][:2])
    bad = scale_model["tmp"] / "bad.parquet"
    t = log_table(8, 500)
    t = t.set_column(t.schema.get_field_index("f64"), "f64", pa.array(["x"] * 500))
    pq.write_table(t, bad)
    s3_env.upload(bad, prefix + "day9.parquet")
    db = scale_model["fresh_db"]()
    before = counts(db)
    code, err = _run_cli(db, "scan", "m@1", "--data", prefix, capsys=capsys)
    assert code == 2
    assert f"{prefix}day9.parquet" in err and "column 'f64' has type string" in err
    assert counts(db) == before


@pytest.mark.parametrize(
    "uri",
    [
        "s3://AKIAEXAMPLE:supersecret@lake/logs/",
        "s3://AKIAEXAMPLE@lake/logs/",
        "s3://lake/logs/?access_key=AKIAEXAMPLE&secret_key=supersecret",
        "s3://lake/logs/x.parquet?X-Amz-Signature=supersecret",
        "abfs://container:supersecret@account.dfs.core.windows.net/logs/",
    ],
)
def test_uris_with_credentials_are_refused_without_echoing_them(
    scale_model: dict[str, Any], capsys: pytest.CaptureFixture[str], uri: str
) -> None:
    db = scale_model["fresh_db"]()
    for command in ("scan", "baseline"):
        code, err = _run_cli(db, command, "m@1", "--data", uri, capsys=capsys)
        assert code == 2 and "carries credentials" in err, err
        assert "supersecret" not in err and "AKIAEXAMPLE" not in err


def test_unknown_schemes_are_refused(
    scale_model: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _run_cli(
        scale_model["fresh_db"](), "scan", "m@1", "--data", "ftp://host/x.parquet", capsys=capsys
    )
    assert code == 2 and "unsupported URI scheme 'ftp'" in err
