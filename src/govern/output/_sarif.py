"""SARIF 2.1.0: findings as static-analysis results, for code-scanning UIs.

Rule ids are control ids; each rule carries the control's `# METADATA`: `name` (a
Pascal-case form of the title), `shortDescription` (the title), `fullDescription` (the
description, else title and source), `help` (description, source, article) and `helpUri`
when the metadata holds a URL. GitHub code scanning requires `fullDescription`.

Each result points at the model card and the line of the offending field (line 1 when the
policy named none). The card's `artifactLocation.uri` is a percent-encoded relative
reference (RFC 3986) against `%SRCROOT%`, the repository root recorded in the run's
`originalUriBaseIds`; a card outside the repository gets an absolute `file:` URI.
`partialFingerprints` hash what identifies a finding across runs (control, model, card,
field; not line numbers or measured values), so an alert keeps its identity when lines
move. `deny` maps to level "error", `warn` to "warning".

A run stopped by an error (policy parse error, conflict, time limit, bad card) is written
too: no results, `executionSuccessful: false` and the error as a
`toolExecutionNotifications` entry at level "error", with its file and line. A model of a
`check --all` run that could not be decided is such a notification too, naming the model.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from govern.output._report import CheckedModel, ControlInfo, Location, Report, RunError
from govern.results import Violation

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
LEVELS = {"deny": "error", "warn": "warning"}
SRCROOT = "%SRCROOT%"
FINGERPRINT = "governFinding/v1"
_URL = re.compile(r"https?://[^\s<>\"')\]]+")
_WORD = re.compile(r"[A-Za-z0-9]+")


def uri_reference(path: str) -> str:
    """A "/"-separated relative path as an RFC 3986 relative reference (percent-encoded)."""
    return quote(path, safe="/")


def rule_name(control: ControlInfo | None, control_id: str) -> str:
    """A Pascal-case friendly name: from the title, else from the id (MON-CSI-01 -> MonCsi01).

    Every capital starts a word of at least two characters (the multitool's SARIF2012
    check), so one-letter words ("a") are dropped and acronyms become "Csi".
    """
    text = control.title if control is not None and control.title else control_id
    words = [w for w in _WORD.findall(text) if len(w) > 1 or w.isdigit()]
    name = "".join(w[:1].upper() + w[1:].lower() for w in words)
    return name if name[:1].isalpha() else f"Control{name}"


def _rule(control_id: str, kind: str, control: ControlInfo | None) -> dict[str, Any]:
    title = control.title if control is not None and control.title else ""
    short = title or f"govern control {control_id}"
    description = control.description if control is not None else ""
    source = control.source if control is not None else ""
    article = control.article if control is not None else ""
    cited = "; ".join(p for p in (f"source: {source}" if source else "", article) if p)
    full = description or (f"{short} ({cited})" if cited else short)
    help_text = "\n\n".join(p for p in (description or short, cited) if p)
    rule: dict[str, Any] = {
        "id": control_id,
        "name": rule_name(control, control_id),
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "help": {"text": help_text},
        "defaultConfiguration": {"level": LEVELS[kind]},
        "properties": {"tags": ["compliance"]},
    }
    url = _URL.search(f"{source} {description}")
    if url:
        rule["helpUri"] = url.group(0).rstrip(".,;")
    if control is not None and control.severity:
        rule["properties"]["severity"] = control.severity
    if source:
        rule["properties"]["source"] = source
    return rule


def _artifact(uri: str | None, path: str | None) -> dict[str, Any] | None:
    """artifactLocation: relative to %SRCROOT% when inside the repository, else absolute."""
    if uri is not None:
        return {"uri": uri_reference(uri), "uriBaseId": SRCROOT}
    if path is not None:
        return {"uri": Path(path).resolve().as_uri()}
    return None


def fingerprint(m: CheckedModel, v: Violation, loc: Location) -> str:
    """What makes a finding the same alert in the next run (no line, no measured values)."""
    subject = loc.field or ""
    parts = [v.control, m.decision.model, m.repo_path or "", subject]
    if not loc.field:  # nothing located: the message's stable head tells findings apart
        parts.append(v.msg.split(":", 1)[0])
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def _notification(error: RunError, text: str | None = None) -> dict[str, Any]:
    note: dict[str, Any] = {
        "level": "error",
        "message": {"text": text or error.message},
        "descriptor": {"id": error.code},
    }
    artifact = _artifact(error.uri, error.path)
    if artifact is not None:
        physical: dict[str, Any] = {"artifactLocation": artifact}
        if error.line is not None:
            region: dict[str, Any] = {"startLine": error.line}
            if error.column is not None:
                region["startColumn"] = error.column
            physical["region"] = region
        note["locations"] = [{"physicalLocation": physical}]
    return note


def sarif_document(report: Report) -> dict[str, Any]:
    """The SARIF log object for a report."""
    meta = {c.id: c for c in report.controls}
    rules: list[dict[str, Any]] = []
    rule_index: dict[str, int] = {}
    results: list[dict[str, Any]] = []
    for m in report.models:
        d = m.decision
        for v, loc in m.findings():
            if v.control not in rule_index:
                rule_index[v.control] = len(rules)
                rules.append(_rule(v.control, v.kind, meta.get(v.control)))
            text = f"{m.ref} → {d.stage}: {v.msg}"
            if v.remediation:
                text += f" (remediation: {v.remediation})"
            result: dict[str, Any] = {
                "ruleId": v.control,
                "ruleIndex": rule_index[v.control],
                "level": LEVELS[v.kind],
                "message": {"text": text},
                "partialFingerprints": {FINGERPRINT: fingerprint(m, v, loc)},
                "properties": {
                    "model": d.model,
                    "version": d.version,
                    "stage": d.stage,
                    "severity": v.severity,
                    "decision_id": d.decision_id,
                },
            }
            if loc.field is not None:
                result["properties"]["field"] = loc.field
            artifact = _artifact(m.uri, m.card)
            if artifact is not None:
                result["locations"] = [
                    {
                        "physicalLocation": {
                            "artifactLocation": artifact,
                            "region": {"startLine": loc.line},
                        }
                    }
                ]
            results.append(result)
    invocation: dict[str, Any] = {
        "executionSuccessful": report.error is None and not report.failures,
        "exitCode": report.exit_code,
    }
    notes = [_notification(report.error)] if report.error is not None else []
    notes += [
        _notification(f.error, f"{f.ref} → {f.stage}: {f.error.message}") for f in report.failures
    ]
    if notes:
        invocation["toolExecutionNotifications"] = notes
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "govern", "version": report.tool_version, "rules": rules}},
        "invocations": [invocation],
        "results": results,
    }
    if report.root is not None:
        run["originalUriBaseIds"] = {SRCROOT: {"uri": Path(report.root).as_uri().rstrip("/") + "/"}}
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


class SarifReporter:
    """SARIF 2.1.0 JSON log."""

    name = "sarif"

    def render(self, report: Report, *, color: bool = False) -> str:
        """Indented JSON."""
        return json.dumps(sarif_document(report), indent=2, allow_nan=False) + "\n"


REPORTER = SarifReporter()
