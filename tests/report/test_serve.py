"""`govern serve` over HTTP on loopback: routes, refused methods, answers while others write."""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from govern.report._serve import STALE, make_server
from govern.store.views import open_read_only

from .conftest import Built, table


class Served:
    def __init__(self, db: Path) -> None:
        self.db = db
        self.server = make_server(db, "127.0.0.1", 0)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def request(
        self, method: str, path: str, body: bytes | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body)
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def served(built: Built, tmp_path: Path) -> Iterator[Served]:
    db = tmp_path / "govern.duckdb"
    shutil.copy(built.db, db)
    s = Served(db)
    yield s
    s.close()


def _decision_id(db: Path) -> str:
    with open_read_only(db) as store:
        return str(store.query("SELECT decision_id FROM decisions LIMIT 1")[0][0])


def routes(db: Path) -> list[str]:
    """Every page and API route of the fixture database."""
    return [
        "/",
        "/models/m/1",
        "/models/quiet/1",
        "/models/thin/1",
        "/api/models",
        "/api/models/m/1",
        "/api/models/quiet/1",
        "/api/models/thin/1",
        f"/api/decisions/{_decision_id(db)}",
    ]


def test_every_route_answers(served: Served) -> None:
    for path in routes(served.db):
        status, headers, body = served.request("GET", path)
        assert status == 200, (path, body[:200])
        if path.startswith("/api/"):
            assert headers["content-type"].startswith("application/json")
            json.loads(body)
        else:
            assert b"<!DOCTYPE html>" in body


def test_api_documents_match_the_database(served: Served) -> None:
    _, _, body = served.request("GET", "/api/models")
    models = json.loads(body)["models"]
    assert sorted(f"{m['name']}@{m['version']}" for m in models) == ["m@1", "quiet@1", "thin@1"]
    _, _, body = served.request("GET", "/api/models/m/1")
    doc = json.loads(body)
    with open_read_only(served.db) as store:
        stored = dict(
            store.query(
                "SELECT subject, value FROM v_latest_evidence WHERE name = 'm' AND metric = 'psi'"
            )
        )
        (decision_id,) = store.query("SELECT decision_id FROM decisions WHERE name = 'm'")[0]
    shown = {f["name"]: f["psi"] for f in doc["drift"]["features"]}
    shown[doc["drift"]["output"]["name"]] = doc["drift"]["output"]["psi"]
    assert shown == stored
    _, _, body = served.request("GET", f"/api/decisions/{decision_id}")
    d = json.loads(body)
    assert d["decision_id"] == decision_id and "input" in d and "violations" in d


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/models/nope/1", 404),
        ("/api/models/nope/1", 404),
        ("/api/decisions/nope", 404),
        ("/nothing/here", 404),
        ("/api/models/m", 404),
    ],
)
def test_unknown_things_are_404(served: Served, path: str, status: int) -> None:
    code, headers, body = served.request("GET", path)
    assert code == status
    if path.startswith("/api/"):
        assert json.loads(body)["status"] == status


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path", ["/", "/api/models", "/api/models/m/1"])
def test_write_methods_are_refused(served: Served, method: str, path: str) -> None:
    before = served.db.read_bytes()
    status, headers, body = served.request(method, path, body=b'{"stage": "production"}')
    assert status == 405
    assert headers["allow"] == "GET, HEAD"
    assert served.db.read_bytes() == before


def test_head_answers_without_a_body(served: Served) -> None:
    status, headers, body = served.request("HEAD", "/api/models")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 0


HOLD = """
import sys, time
from govern.cards import parse_card
from govern.store import Store
from govern.store.registry import upsert_card
card = open(sys.argv[2]).read()
store = Store.open(sys.argv[1])
upsert_card(store, parse_card(card, "late.yaml"))
print("written", flush=True)
time.sleep(float(sys.argv[3]))
store.close()
"""


def test_while_a_writer_holds_the_lock_the_last_answer_is_served_stale(
    served: Served, tmp_path: Path
) -> None:
    status, _, fresh = served.request("GET", "/")
    assert status == 200 and b"late@1" not in fresh
    card = tmp_path / "late.yaml"
    card.write_text('name: late\nversion: "1"\nowner: o@example.com\nrisk_tier: 3\nuse_case: x\n')
    with subprocess.Popen(
        [sys.executable, "-c", HOLD, str(served.db), str(card), "4"],
        stdout=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "written"
        status, headers, body = served.request("GET", "/")
        assert status == 200 and headers.get("x-govern-stale") == "1"
        assert STALE.encode() in body
        status, headers, _ = served.request("GET", "/api/models/quiet/1")
        assert status == 503 and headers["retry-after"] == "2"  # never answered before
        assert proc.wait(30) == 0
    status, headers, body = served.request("GET", "/")
    assert status == 200 and "x-govern-stale" not in headers and b"late@1" in body


@pytest.mark.slow
def test_keeps_answering_while_a_scan_writes(served: Served, tmp_path: Path) -> None:
    """A real `govern scan` in another process: every request gets 200, the scan succeeds."""
    rng = np.random.default_rng(5)
    for i in range(4):
        pq.write_table(table(rng, 400_000), tmp_path / f"big-{i}.parquet")
    paths = routes(served.db)
    for p in paths:
        assert served.request("GET", p)[0] == 200
    cmd = [sys.executable, "-c", "from govern.cli import run; run()", "--db", str(served.db)]
    cmd += ["scan", "m@1", "--full", "--data", str(tmp_path)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    answered_during = 0
    statuses = []
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        for p in paths:
            status, _, _ = served.request("GET", p)
            statuses.append(status)
            if proc.poll() is None:
                answered_during += 1
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert set(statuses) == {200}
    assert answered_during >= len(paths)
    _, _, body = served.request("GET", "/api/models/m/1")
    assert json.loads(body)["provenance"]["scans"] == 4  # the new scan is visible at once
