"""The SMTP sink's STARTTLS against a real local server with a certificate made by the test.

The certificate authority and the server certificate come from trustme (a test CA, never
a system one). The sink must check the certificate and the host name: an untrusted
certificate, one for another host, or a server that does not offer STARTTLS is a failed
delivery (the event stays pending), never a message sent in the clear; with `ca_file`
naming the CA the message arrives, over TLS.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path
from typing import Any

import pytest

from govern.alerts import SinkError, load_sinks, send
from govern.cli import main

from ._servers import Mailbox, smtp_server
from .conftest import REF, Env

trustme = pytest.importorskip("trustme", reason="trustme (dev extra) makes the test CA")

DOC: dict[str, Any] = {
    "event_id": "e1",
    "idempotency_key": "k" * 64,
    "type": "gate_denied",
    "model": "credit-risk@3",
    "state": "deny",
    "previous": "allow",
    "owner": "jane.doe@example.com",
}


def _server_context(ca: Any, host: str) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(host).configure_cert(ctx)
    return ctx


@pytest.fixture
def ca() -> Any:
    return trustme.CA()


@pytest.fixture
def tls_mail(ca: Any) -> Iterator[Mailbox]:
    with smtp_server(tls=_server_context(ca, "127.0.0.1")) as box:
        yield box


def _sink_file(tmp_path: Path, port: int, ca_file: str | None, starttls: bool = True) -> Path:
    lines = [
        "sinks:",
        "  - name: mail",
        "    type: smtp",
        "    host: 127.0.0.1",
        f"    port: {port}",
        "    from: govern@example.com",
        "    to: [owner@example.com]",
        "    timeout: 5",
        f"    starttls: {'true' if starttls else 'false'}",
    ]
    if ca_file is not None:
        lines.append(f"    ca_file: {ca_file}")
    path = tmp_path / "govern-sinks.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_trusted_ca_file_delivers_over_tls(ca: Any, tls_mail: Mailbox, tmp_path: Path) -> None:
    ca.cert_pem.write_to_path(str(tmp_path / "test-ca.pem"))
    (sink,) = load_sinks(_sink_file(tmp_path, tls_mail.port, "test-ca.pem"))  # relative path
    assert sink.options["ca_file"] == str(tmp_path / "test-ca.pem")
    send(sink, DOC)
    assert tls_mail.encrypted == [True] and tls_mail.handshake_errors == []
    msg = message_from_bytes(tls_mail.messages[0][2], policy=email_policy.default)
    assert msg["X-Govern-Idempotency-Key"] == DOC["idempotency_key"]
    assert "credit-risk@3" in str(msg["Subject"])


def _refused(sink_path: Path, box: Mailbox, fragment: str) -> None:
    (sink,) = load_sinks(sink_path)
    with pytest.raises(SinkError) as info:
        send(sink, DOC)
    assert fragment in str(info.value)
    assert box.messages == []  # nothing went out, encrypted or not


def test_untrusted_certificate_is_refused_without_ca_file(
    tls_mail: Mailbox, tmp_path: Path
) -> None:
    _refused(_sink_file(tmp_path, tls_mail.port, None), tls_mail, "CERTIFICATE_VERIFY_FAILED")


def test_a_ca_file_naming_another_ca_is_refused(tls_mail: Mailbox, tmp_path: Path) -> None:
    trustme.CA().cert_pem.write_to_path(str(tmp_path / "other-ca.pem"))
    path = _sink_file(tmp_path, tls_mail.port, str(tmp_path / "other-ca.pem"))
    _refused(path, tls_mail, "CERTIFICATE_VERIFY_FAILED")


def test_a_certificate_for_another_host_is_refused(ca: Any, tmp_path: Path) -> None:
    ca.cert_pem.write_to_path(str(tmp_path / "test-ca.pem"))
    with smtp_server(tls=_server_context(ca, "mail.example.org")) as box:
        _refused(_sink_file(tmp_path, box.port, "test-ca.pem"), box, "IP address mismatch")


def test_a_server_without_starttls_is_refused(ca: Any, tmp_path: Path) -> None:
    ca.cert_pem.write_to_path(str(tmp_path / "test-ca.pem"))
    with smtp_server() as box:  # plain SMTP only
        _refused(_sink_file(tmp_path, box.port, "test-ca.pem"), box, "STARTTLS")


def test_monitor_delivers_over_starttls_and_keeps_refused_events_pending(
    env: Env, ca: Any, tls_mail: Mailbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env.write_logs({"income": 0.5})  # gate_denied + retraining_required
    untrusted = _sink_file(tmp_path, tls_mail.port, None)
    args = ["--db", str(env.db), "monitor", REF, "--backoff", "0", "--attempts", "1"]
    assert main([*args, "--sinks", str(untrusted)]) == 0
    assert tls_mail.messages == [] and "certificate verify failed" in capsys.readouterr().out
    ca.cert_pem.write_to_path(str(tmp_path / "test-ca.pem"))
    trusted = _sink_file(tmp_path, tls_mail.port, "test-ca.pem")
    assert main([*args, "--sinks", str(trusted)]) == 0  # the pending events go out now
    assert len(tls_mail.messages) == 2 and tls_mail.encrypted == [True, True]
