"""Scans of `gs://` and `abfs://` URIs against real emulators on 127.0.0.1.

fake-gcs-server (Google Cloud Storage's JSON API) and Azurite (Microsoft's Azure Storage
emulator) each hold the same parquet files as a local folder; govern finds them through
each cloud's own variables (`STORAGE_EMULATOR_HOST`, `AZURE_STORAGE_CONNECTION_STRING`).
The evidence must equal the local scan's value for value; one new object is the only one
read on a re-scan, an object replaced in place (new generation / ETag) is read again; a
missing bucket, container, prefix or object, an unreachable endpoint, wrong credentials
and an object replaced after planning fail with exit 2 naming the URI and store nothing.
Each test skips when its emulator is not installed (`make install`, `make emulators`).
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from govern.cli import main
from govern.errors import MetricInputError
from govern.runner import _fs
from govern.scanplan import ScanPlan, finish_scan, prepare_scan, scan_units
from govern.store import Store
from tests.scale.conftest import (
    REF,
    CloudServer,
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

# What each store uses as an object's version (runner/_fs.py: _version_tag).
VERSION = {"gcs": "generation:", "azure": "etag:"}


def _bucket(server: CloudServer, files: list[Path]) -> tuple[str, str]:
    """A fresh bucket (container) holding `files` under logs/: (its name, the prefix URI)."""
    name = f"lake-{uuid.uuid4().hex[:10]}"
    server.make_bucket(name)
    for f in files:
        server.upload(f, name, f"logs/{f.name}")
    return name, server.uri(name, "logs/")


def test_a_scan_by_uri_equals_the_local_scan(
    cloud: CloudServer, scale_model: dict[str, Any]
) -> None:
    name, prefix = _bucket(cloud, scale_model["files"])
    local = _scan(scale_model["fresh_db"](), str(scale_model["logs"]))
    remote = _scan(scale_model["fresh_db"](), prefix)
    assert timeless(remote) == timeless(local)
    assert [s["path"] for s in remote.sources] == [
        f"{prefix}{f.name}" for f in scale_model["files"]
    ]
    assert [(s["rows"], s["size"]) for s in remote.sources] == [
        (s["rows"], s["size"]) for s in local.sources
    ]
    assert all(s["fingerprint"].startswith(VERSION[cloud.kind]) for s in remote.sources)
    # A glob, and the plan API with units split into row-group ranges, agree too.
    assert timeless(_scan(scale_model["fresh_db"](), prefix + "day*.parquet")) == timeless(local)
    db = scale_model["fresh_db"]()
    with Store.open(db) as store:
        plan = prepare_scan(store, REF, [prefix], split_bytes=20_000)
    assert len(plan.units) > len(scale_model["files"])
    wire = ScanPlan.from_json(plan.to_json())
    blobs = [scan_units(wire, t) for t in wire.tasks(target_bytes=40_000)]
    with Store.open(db) as store:
        result = finish_scan(store, wire, blobs)
    assert timeless(evidence(db, result.scan_id)) == timeless(local)


def test_azure_uri_forms_name_the_same_objects(
    azure_server: CloudServer, scale_model: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """abfs://CONTAINER@ACCOUNT.dfs..., abfs://ACCOUNT.blob.../CONTAINER and abfs://CONTAINER
    (the account from the connection string) list the same objects, each in its own form."""
    for k, v in azure_server.env.items():
        monkeypatch.setenv(k, v)
    _fs.reset()
    name, prefix = _bucket(azure_server, scale_model["files"][:2])
    forms = [
        prefix,
        f"abfs://{_fs.AZURITE_ACCOUNT}.blob.core.windows.net/{name}/logs/",
        f"abfs://{name}/logs/",
    ]
    local = _scan(scale_model["fresh_db"](), *map(str, scale_model["files"][:2]))
    for form in forms:
        stored = _scan(scale_model["fresh_db"](), form)
        assert [s["path"] for s in stored.sources] == [
            form + f.name for f in scale_model["files"][:2]
        ]
        assert timeless(stored) == timeless(local)
    _fs.reset()


def test_incremental_rescan_reads_one_new_object_and_a_replaced_one(
    cloud: CloudServer, scale_model: dict[str, Any]
) -> None:
    files = scale_model["files"]
    name, prefix = _bucket(cloud, files[:3])
    db = scale_model["fresh_db"]()
    first = _scan(db, prefix)
    assert (first.params["files_read"], first.params["files_reused"]) == (3, 0)
    cloud.upload(files[3], name, f"logs/{files[3].name}")
    second = _scan(db, prefix)
    assert (second.params["files_read"], second.params["files_reused"]) == (1, 3)
    assert timeless(second) == timeless(_scan(scale_model["fresh_db"](), str(scale_model["logs"])))
    # Replace day2 in place with other rows: a new generation / ETag, so it is read again.
    other = scale_model["tmp"] / f"other-{cloud.kind}.parquet"
    pq.write_table(log_table(77, 2_000, day=2), other, row_group_size=400)
    before = next(s for s in second.sources if s["path"].endswith("day2.parquet"))
    cloud.upload(other, name, "logs/day2.parquet")
    third = _scan(db, prefix)
    assert (third.params["files_read"], third.params["files_reused"]) == (1, 3)
    after = next(s for s in third.sources if s["path"].endswith("day2.parquet"))
    assert after["fingerprint"] != before["fingerprint"] and after["rows"] == 2_000
    assert timeless(third) == timeless(_scan(scale_model["fresh_db"](), prefix))


def test_baseline_by_uri_equals_the_local_baseline(
    cloud: CloudServer, scale_model: dict[str, Any]
) -> None:
    from govern.store.profiles import latest_profile

    train = scale_model["tmp"] / "train.parquet"
    name, prefix = _bucket(cloud, [train])
    digests = []
    for data in (str(train), prefix + "train.parquet"):
        db = scale_model["fresh_db"]()
        assert main(["--db", str(db), "-q", "baseline", "m@1", "--data", data]) == 0
        with Store.open(db) as store:
            stored = latest_profile(store, "m", "1")
        assert stored is not None and stored["sources"][0]["path"] == data
        digests.append(stored["digest"])
    assert digests[0] == digests[1]


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("bucket", "does not exist"),
        ("object", "no such object"),
        ("prefix", "no such object or prefix"),
    ],
)
def test_missing_bucket_container_or_object_exits_2_naming_the_uri(
    cloud: CloudServer,
    scale_model: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    where: str,
    message: str,
) -> None:
    name, prefix = _bucket(cloud, scale_model["files"][:1])
    uri = {
        "bucket": cloud.uri(f"nobucket-{uuid.uuid4().hex[:8]}", "logs/x/"),
        "object": prefix + "nothing-here.parquet",
        "prefix": prefix + "nothing-here/",
    }[where]
    db = scale_model["fresh_db"]()
    before = counts(db)
    code, err = _run_cli(db, "scan", "m@1", "--data", uri, capsys=capsys)
    assert code == 2, err
    assert uri in err and message in err and "Traceback" not in err
    if where == "bucket":
        assert ("container" if cloud.kind == "azure" else "bucket") in err
    assert counts(db) == before


def test_unreachable_endpoint_exits_2(
    cloud: CloudServer,
    scale_model: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dead = f"127.0.0.1:{_free_port()}"
    for k, v in cloud.env.items():
        monkeypatch.setenv(k, v.replace(f"127.0.0.1:{cloud.port}", dead))
    _fs.reset()
    uri = cloud.uri("lake", "logs/")
    db = scale_model["fresh_db"]()
    before = counts(db)
    t0 = time.monotonic()
    code, err = _run_cli(db, "scan", "m@1", "--data", uri, capsys=capsys)
    assert code == 2 and time.monotonic() - t0 < 120, err
    assert uri in err and "endpoint is unreachable" in err and "Traceback" not in err
    assert next(iter(cloud.env)) in err and _fs.AZURITE_KEY not in err
    assert counts(db) == before


def test_azure_wrong_key_is_permission_denied_and_never_echoed(
    azure_server: CloudServer,
    scale_model: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wrong = "d3JvbmctYnV0LXdlbGwtZm9ybWVkLWtleS1mb3ItdGhlLXRlc3Q="
    for k, v in azure_server.env.items():
        monkeypatch.setenv(k, v)
    _fs.reset()
    name, prefix = _bucket(azure_server, scale_model["files"][:1])
    monkeypatch.setenv(
        _fs.AZURE_CONNECTION_ENV,
        azure_server.env[_fs.AZURE_CONNECTION_ENV].replace(_fs.AZURITE_KEY, wrong),
    )
    _fs.reset()
    db = scale_model["fresh_db"]()
    before = counts(db)
    code, err = _run_cli(db, "scan", "m@1", "--data", prefix, capsys=capsys)
    assert code == 2 and prefix in err and "permission denied" in err, err
    assert wrong not in err
    assert counts(db) == before
    _fs.reset()


@pytest.mark.parametrize(
    ("connection", "message"),
    [
        (
            "AccountName=other;AccountKey=c2VjcmV0;BlobEndpoint=http://127.0.0.1:1/other",
            "names the storage account 'devstoreaccount1' but",
        ),
        ("not a connection string c2VjcmV0", "Key=Value pairs"),
    ],
    ids=["other-account", "malformed"],
)
def test_azure_settings_errors_exit_2_without_the_secret(
    scale_model: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    connection: str,
    message: str,
) -> None:
    monkeypatch.setenv(_fs.AZURE_CONNECTION_ENV, connection)
    _fs.reset()
    uri = f"abfs://logs@{_fs.AZURITE_ACCOUNT}.dfs.core.windows.net/x/"
    code, err = _run_cli(scale_model["fresh_db"](), "scan", "m@1", "--data", uri, capsys=capsys)
    assert code == 2 and message in err, err
    assert "c2VjcmV0" not in err
    _fs.reset()


def test_an_object_replaced_after_planning_fails_the_worker(
    cloud: CloudServer, scale_model: dict[str, Any]
) -> None:
    name, prefix = _bucket(cloud, scale_model["files"][:2])
    db = scale_model["fresh_db"]()
    with Store.open(db) as store:
        plan = prepare_scan(store, REF, [prefix])
    other = scale_model["tmp"] / f"late-{cloud.kind}.parquet"
    pq.write_table(log_table(5, 1_000), other)
    cloud.upload(other, name, "logs/" + plan.units[1].uri.rsplit("/", 1)[1])
    blob = scan_units(plan, [plan.units[0]])  # the untouched object still counts
    with pytest.raises(MetricInputError, match="changed while it was read") as err:
        scan_units(plan, [plan.units[1]])
    assert err.value.path == plan.units[1].uri
    before = counts(db)
    with Store.open(db) as store, pytest.raises(Exception, match="no state"):
        finish_scan(store, plan, [blob])
    assert counts(db) == before
