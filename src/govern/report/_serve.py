"""`govern serve`: a read-only web view and JSON API over the same view model.

Routes (GET and HEAD only; any other method gets 405):
    /                               inventory page
    /models/{name}/{version}        one model version's page
    /api/models                     inventory as JSON
    /api/models/{name}/{version}    one model version's view as JSON
    /api/decisions/{id}             one stored decision (violations and input) as JSON

The database is opened read-only for a request whose answer is not cached, and closed
before the answer is sent, so scans and CI can keep writing. Answers are cached by route and
by the database files' size and modification time, for at most a minute (evidence ages and
zombie flags move with the clock): an unchanged database is not reopened for every request,
and a change invalidates every answer. While a writer holds the lock (DuckDB admits no reader
then), the last answer for the route is served with `X-Govern-Stale: 1` and a banner; with no
earlier answer the server says 503 with Retry-After. Binds to loopback by default.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from govern.errors import GovernError, ModelNotFoundError, StoreLockedError
from govern.report._build import audit_status, build_report, load_catalogue
from govern.report._html import render_html
from govern.report._view import AuditStatus, ReportView
from govern.store import Store, resolve_db_path, views
from govern.store import decisions as decision_store

BUSY = "database busy: another process is writing (a scan or a check); retry shortly"
STALE = "showing the last answer read before another process started writing to the database"
CACHE_SIZE = 512
READ_LOCK_TIMEOUT = 0.25  # how long one request waits for a writer before answering stale
BUSY_BACKOFF = 1.0  # after a lock, answer stale for this long without retrying the open
# Evidence ages and zombie flags move with the clock: an answer is rebuilt at least this often.
MAX_AGE = 60.0


@dataclass(frozen=True)
class Answer:
    """A response body, ready to send."""

    status: int
    content_type: str
    body: bytes


def _json(status: int, doc: Any) -> Answer:
    text = json.dumps(doc, indent=2, sort_keys=True, default=str) + "\n"
    return Answer(status, "application/json; charset=utf-8", text.encode())


def _html(status: int, text: str) -> Answer:
    return Answer(status, "text/html; charset=utf-8", text.encode())


def model_href(name: str, version: str) -> str:
    """URL of a model version's page."""
    return f"/models/{quote(name, safe='')}/{quote(version, safe='')}"


class App:
    """Routing, caching and database access; the HTTP handler only sends what this returns."""

    def __init__(
        self,
        db: str | Path | None,
        *,
        lock_timeout: float = READ_LOCK_TIMEOUT,
        cache_size: int = CACHE_SIZE,
    ) -> None:
        self.db = db
        self.lock_timeout = lock_timeout
        self.cache_size = cache_size  # 0: build every answer afresh (benchmarks measure both)
        self.controls = load_catalogue()
        self._cache: OrderedDict[tuple[str, tuple[int, ...]], Answer] = OrderedDict()
        self._last: dict[str, Answer] = {}
        self._lock = threading.Lock()
        self._busy_until = 0.0
        self._state_now: tuple[int, ...] = ()
        self._audit: tuple[tuple[int, ...], AuditStatus] | None = None

    def _state(self) -> tuple[int, ...]:
        path = resolve_db_path(self.db)
        out: list[int] = []
        for p in (path, path.with_name(path.name + ".wal")):
            try:
                st = p.stat()
                out += [st.st_size, st.st_mtime_ns]
            except OSError:
                out += [-1, -1]
        return tuple(out)

    def get(self, target: str) -> tuple[Answer, bool]:
        """The answer for a GET of `target`, and whether it is stale."""
        route = urlsplit(target).path
        key = (route, (*self._state(), int(time.time() // MAX_AGE)))
        with self._lock:  # one reader at a time: answers are built once, writers get gaps
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit, False
            try:
                if time.monotonic() < self._busy_until:
                    raise StoreLockedError(BUSY)
                self._state_now = key[1][:-1]  # the files only: the chain does not age
                answer = self._build(route)
            except StoreLockedError:
                self._busy_until = time.monotonic() + BUSY_BACKOFF
                last = self._last.get(route)
                if last is not None:
                    return last, True
                return self._error(route, HTTPStatus.SERVICE_UNAVAILABLE, BUSY), False
            except GovernError as exc:
                return self._error(route, HTTPStatus.BAD_REQUEST, str(exc)), False
            if answer.status == HTTPStatus.OK:
                self._cache[key] = answer
                self._last[route] = answer
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
            return answer, False

    def _error(self, route: str, status: int, message: str) -> Answer:
        if route.startswith("/api/"):
            return _json(status, {"error": message, "status": status})
        return _html(status, _page(f"{status} {HTTPStatus(status).phrase}", message))

    def _build(self, route: str) -> Answer:
        parts = [unquote(p) for p in route.strip("/").split("/")] if route != "/" else []
        handler = self._route(parts)
        if handler is None:
            return self._error(route, HTTPStatus.NOT_FOUND, f"no such page: {route}")
        with views.open_read_only(self.db, lock_timeout=self.lock_timeout) as store:
            try:
                return handler(store)
            except ModelNotFoundError as exc:
                return self._error(route, HTTPStatus.NOT_FOUND, str(exc))

    def _route(self, parts: list[str]) -> Callable[[Store], Answer] | None:
        if parts in ([], ["index.html"]):
            return self._index
        if parts == ["api", "models"]:
            return self._api_models
        if len(parts) == 3 and parts[0] == "models":
            return lambda s: self._model(s, parts[1], parts[2])
        if len(parts) == 4 and parts[:2] == ["api", "models"]:
            return lambda s: self._api_model(s, parts[2], parts[3])
        if len(parts) == 3 and parts[:2] == ["api", "decisions"]:
            return lambda s: self._api_decision(s, parts[2])
        return None

    def _audit_status(self, store: Store) -> AuditStatus:
        """The chain's status, recomputed once per database state (it reads every row)."""
        if self._audit is None or self._audit[0] != self._state_now:
            self._audit = (self._state_now, audit_status(store))
        return self._audit[1]

    def _report(self, store: Store, keys: list[tuple[str, str]]) -> ReportView:
        """Model pages and documents leave the inventory out (the index has it)."""
        return build_report(
            store,
            keys,
            controls=self.controls,
            audit=self._audit_status(store),
            with_inventory=not keys,
        )

    def _index(self, store: Store) -> Answer:
        report = self._report(store, [])
        return _html(HTTPStatus.OK, render_html(report, model_href=model_href))

    def _api_models(self, store: Store) -> Answer:
        report = self._report(store, [])
        return _json(HTTPStatus.OK, {"models": report.to_dict()["inventory"]})

    def _key(self, store: Store, name: str, version: str) -> list[tuple[str, str]]:
        rows = views.versions(store, [(name, version)])
        if not rows:
            raise ModelNotFoundError(f"unknown model '{name}@{version}'")
        return [(name, version)]

    def _model(self, store: Store, name: str, version: str) -> Answer:
        report = self._report(store, self._key(store, name, version))
        page = render_html(
            report,
            title=f"govern: {name}@{version}",
            model_href=model_href,
            show_inventory=False,
        )
        return _html(HTTPStatus.OK, page)

    def _api_model(self, store: Store, name: str, version: str) -> Answer:
        report = self._report(store, self._key(store, name, version))
        doc = report.models[0].to_dict()
        doc["audit"] = report.to_dict()["audit"]
        return _json(HTTPStatus.OK, doc)

    def _api_decision(self, store: Store, decision_id: str) -> Answer:
        d = decision_store.get_decision(store, decision_id)
        if d is None:
            return self._error("/api/", HTTPStatus.NOT_FOUND, f"unknown decision {decision_id!r}")
        return _json(HTTPStatus.OK, d)


def _page(title: str, message: str) -> str:
    from html import escape

    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}'
        f"</title></head><body><h1>{escape(title)}</h1><p>{escape(message)}</p>"
        '<p><a href="/">inventory</a></p></body></html>'
    )


class Handler(BaseHTTPRequestHandler):
    """GET/HEAD from the App; every other method is refused with 405."""

    app: App
    server_version = "govern"
    protocol_version = "HTTP/1.1"

    def _send(self, answer: Answer, stale: bool, body: bool) -> None:
        data = answer.body
        if stale and answer.content_type.startswith("text/html"):
            note = f'<p class="note banner" role="status">{STALE}</p>'.encode()
            data = data.replace(b"</header>", note + b"</header>", 1)
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        if stale:
            self.send_header("X-Govern-Stale", "1")
        if answer.status == HTTPStatus.SERVICE_UNAVAILABLE:
            self.send_header("Retry-After", "2")
        self.end_headers()
        if body:
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client went away; nothing to tell it

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        """Answer from the app."""
        answer, stale = self.app.get(self.path)
        self._send(answer, stale, body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        """Headers only."""
        answer, stale = self.app.get(self.path)
        self._send(answer, stale, body=False)

    def _refuse(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if 0 < length <= 1 << 20:
            self.rfile.read(length)
        doc = {"error": "read-only: only GET and HEAD are served", "status": 405}
        answer = _json(HTTPStatus.METHOD_NOT_ALLOWED, doc)
        self.send_response(answer.status)
        self.send_header("Allow", "GET, HEAD")
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet by default (the CLI turns logging on with --verbose)."""
        if getattr(self.server, "verbose", False):
            super().log_message(format, *args)


class _Server(ThreadingHTTPServer):
    # socketserver's default listen backlog is 5: a burst of clients beyond that has its
    # connections dropped and retried by TCP a second later.
    request_queue_size = 128


def make_server(
    db: str | Path | None,
    host: str = "127.0.0.1",
    port: int = 8321,
    *,
    verbose: bool = False,
    cache_size: int = CACHE_SIZE,
) -> ThreadingHTTPServer:
    """A server bound to host:port (port 0: any free port); call serve_forever()."""
    app = App(db, cache_size=cache_size)
    handler = type("GovernHandler", (Handler,), {"app": app})
    server = _Server((host, port), handler)
    server.daemon_threads = True
    server.verbose = verbose  # type: ignore[attr-defined]
    return server
