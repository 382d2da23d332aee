"""Real receivers on 127.0.0.1 for the sink tests: an HTTP server and a minimal SMTP server."""

from __future__ import annotations

import hashlib
import hmac
import json
import socketserver
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool | None

    @property
    def doc(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Records every request; answers the queued status codes first (then 200)."""

    secret: str
    requests: list[Received] = field(default_factory=list)  # answered 2xx
    attempts: int = 0
    script: list[int | str] = field(default_factory=list)  # 500, or "hang"
    delay: float = 0.0
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def delivered(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]


def _handler(rx: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # quiet
            pass

        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with rx.lock:
                rx.attempts += 1
                action = rx.script.pop(0) if rx.script else 200
            if action == "hang":
                time.sleep(2.0)
                return
            sig = self.headers.get("X-Govern-Signature")
            ok = None
            if sig is not None:
                want = "sha256=" + hmac.new(rx.secret.encode(), body, hashlib.sha256).hexdigest()
                ok = hmac.compare_digest(sig, want)
            if rx.delay:
                time.sleep(rx.delay)
            if isinstance(action, int) and action < 300:
                with rx.lock:
                    rx.requests.append(Received(self.path, dict(self.headers), body, ok))
            self.send_response(int(action))
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    return Handler


@contextmanager
def http_receiver(secret: str = "s3cret") -> Iterator[Receiver]:
    rx = Receiver(secret)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(rx))
    server.daemon_threads = True
    rx.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield rx
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Mailbox:
    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    port: int = 0
    encrypted: list[bool] = field(default_factory=list)  # per message: received over TLS
    handshake_errors: list[str] = field(default_factory=list)


def _smtp_handler(
    box: Mailbox, tls: ssl.SSLContext | None
) -> type[socketserver.StreamRequestHandler]:
    class Handler(socketserver.StreamRequestHandler):
        """The SMTP subset smtplib uses without authentication (RFC 5321 §4.1), and
        STARTTLS (RFC 3207) when the server has a TLS context."""

        def reply(self, text: str) -> None:
            self.wfile.write(text.encode() + b"\r\n")

        def starttls(self) -> bool:
            assert tls is not None
            self.reply("220 ready to start TLS")
            try:
                self.connection = tls.wrap_socket(self.connection, server_side=True)
            except (ssl.SSLError, OSError) as exc:  # the client refused our certificate
                box.handshake_errors.append(str(exc))
                return False
            self.rfile = self.connection.makefile("rb")
            self.wfile = self.connection.makefile("wb", buffering=0)
            return True

        def finish(self) -> None:
            try:
                super().finish()
            finally:
                if isinstance(self.connection, ssl.SSLSocket):  # the server closes only its own
                    self.connection.close()

        def handle(self) -> None:
            self.reply("220 127.0.0.1 test SMTP")
            sender, rcpts, secure = "", [], False
            while True:
                line = self.rfile.readline()
                if not line:
                    return
                verb = line.decode().strip().split(" ", 1)[0].upper()
                if verb in ("EHLO", "HELO") and tls is not None and not secure:
                    self.reply("250-127.0.0.1")
                    self.reply("250 STARTTLS")
                elif verb == "STARTTLS" and tls is not None and not secure:
                    secure = self.starttls()
                    if not secure:
                        return
                elif verb in ("EHLO", "HELO"):
                    self.reply("250 127.0.0.1")
                elif verb == "MAIL":
                    sender, rcpts = line.decode().strip(), []
                    self.reply("250 OK")
                elif verb == "RCPT":
                    rcpts.append(line.decode().strip())
                    self.reply("250 OK")
                elif verb == "DATA":
                    self.reply("354 end with .")
                    data = b""
                    while True:
                        chunk = self.rfile.readline()
                        if chunk in (b".\r\n", b""):
                            break
                        data += chunk
                    box.messages.append((sender, rcpts, data))
                    box.encrypted.append(secure)
                    self.reply("250 queued")
                elif verb == "QUIT":
                    self.reply("221 bye")
                    return
                elif verb == "STARTTLS":
                    self.reply("502 command not implemented")
                else:
                    self.reply("250 OK")

    return Handler


@contextmanager
def smtp_server(tls: ssl.SSLContext | None = None) -> Iterator[Mailbox]:
    """An SMTP server on 127.0.0.1; with `tls`, it offers STARTTLS with that context."""
    box = Mailbox()
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _smtp_handler(box, tls))
    server.daemon_threads = True
    box.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box
    finally:
        server.shutdown()
        server.server_close()
