"""Sending one event to one sink (standard library only). A failure raises SinkError.

Every sink carries the event's idempotency key (webhook/Slack: `Idempotency-Key` header;
e-mail: `X-Govern-Idempotency-Key` and a Message-ID derived from it; JSON lines: the
field), so a receiver can drop the copy a crash between sending and marking re-sends.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import sys
import urllib.error
import urllib.request
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from govern.alerts._config import STDOUT, SinkConfig

SIGNATURE_HEADER = "X-Govern-Signature"
DEFAULT_TIMEOUT = 10.0
# RFC 5322 §2.1.1 allows 998 characters a line: the 64-hex key header stays unfolded.
_MAIL_POLICY = email_policy.SMTP.clone(max_line_length=998)


class SinkError(Exception):
    """A delivery attempt failed (the event stays pending)."""


def signature(secret: str, body: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 of the exact body bytes with the sink's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def summary(doc: dict[str, Any]) -> str:
    """One line: what happened to which model."""
    prev = f" (was {doc['previous']})" if doc.get("previous") else ""
    return f"[govern] {doc['model']}: {doc['type']} - {doc['state']}{prev}"


def text(doc: dict[str, Any]) -> str:
    """The human message: model, owner, controls with titles and numbers, remediation."""
    lines = [summary(doc), f"owner: {doc.get('owner') or 'none'}", f"stage: {doc.get('stage')}"]
    if doc.get("reasons"):
        lines.append("reasons: " + "; ".join(doc["reasons"]))
    for v in doc.get("violations", []):
        title = f" ({v['title']})" if v.get("title") else ""
        lines.append(f"- {v['kind'].upper()} {v['control']}{title}: {v['msg']}")
        if v.get("evidence"):
            lines.append(f"  evidence: {json.dumps(v['evidence'], sort_keys=True)}")
        if v.get("remediation"):
            lines.append(f"  remediation: {v['remediation']}")
    if doc.get("decision_id"):
        lines.append(f"decision: {doc['decision_id']}")
    lines.append(f"event: {doc['event_id']} (key {doc['idempotency_key']})")
    return "\n".join(lines)


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> None:
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (http/https only)
            resp.read()
    except urllib.error.HTTPError as exc:
        raise SinkError(f"HTTP {exc.code} from {url}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SinkError(f"cannot reach {url}: {reason}") from None


def send(sink: SinkConfig, doc: dict[str, Any]) -> None:
    """Deliver `doc` (an Event.to_dict() enriched with titles) to `sink`."""
    o, s = sink.options, sink.secrets
    timeout = float(o.get("timeout", DEFAULT_TIMEOUT))
    key = str(doc["idempotency_key"])
    if sink.type == "webhook":
        body = json.dumps(doc, sort_keys=True).encode()
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": key,
            "X-Govern-Event": str(doc["type"]),
            **{str(k): str(v) for k, v in (o.get("headers") or {}).items()},
        }
        if "secret" in s:
            headers[SIGNATURE_HEADER] = signature(s["secret"], body)
        _post(s.get("url") or o["url"], body, headers, timeout)
    elif sink.type == "slack":
        body = json.dumps({"text": text(doc)}).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": key}
        _post(s.get("url") or o["url"], body, headers, timeout)
    elif sink.type == "smtp":
        _mail(sink, doc, timeout)
    else:
        line = json.dumps(doc, sort_keys=True) + "\n"
        if o["path"] == STDOUT:
            sys.stdout.write(line)
            sys.stdout.flush()
            return
        try:
            with Path(o["path"]).open("a", encoding="utf-8") as f:
                f.write(line)
        except OSError as exc:
            raise SinkError(f"cannot append to {o['path']}: {exc.strerror}") from None


def _mail(sink: SinkConfig, doc: dict[str, Any], timeout: float) -> None:
    o, s = sink.options, sink.secrets
    msg = EmailMessage(policy=_MAIL_POLICY)
    msg["Subject"] = summary(doc)
    msg["From"] = o["from"]
    msg["To"] = ", ".join(o["to"])
    msg["Message-ID"] = f"<{doc['idempotency_key']}@govern>"
    msg["X-Govern-Idempotency-Key"] = str(doc["idempotency_key"])
    msg.set_content(text(doc))
    try:
        with smtplib.SMTP(o["host"], int(o.get("port", 25)), timeout=timeout) as smtp:
            if o.get("starttls"):
                # smtplib's default context checks neither the certificate nor the host name
                smtp.starttls(context=ssl.create_default_context(cafile=o.get("ca_file")))
            if "username" in s:
                smtp.login(s["username"], s.get("password", ""))
            smtp.send_message(msg)
    except (smtplib.SMTPException, OSError) as exc:
        raise SinkError(f"SMTP {o['host']}:{o.get('port', 25)}: {exc}") from None
