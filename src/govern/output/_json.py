"""JSON: the decision records of a run in a stable, documented shape.

The schema is docs/check-json-schema.json (`schema_version` 1). Additions are allowed in
minor releases; removing or renaming a field bumps `schema_version`. The top-level
`result` and `violations` keep the single-model shape older scripts read (`.result`,
`.violations[].kind`), with each violation naming its model. A run stopped by an error
(policy that does not compile, evaluation conflict, time limit, bad card) still gets a
document: `result` "error", no decisions, and `error` saying what and where. A model of
a `check --all` run that could not be decided is listed in `failures` (model, version,
stage and the error, in the shape of `error`); the run's `result` is then "error".
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from govern.output._report import Report

SCHEMA_VERSION = 1


def report_document(report: Report) -> dict[str, Any]:
    """The JSON-ready document for a report."""
    decisions = []
    flat = []
    for m in report.models:
        record = m.decision.to_dict()
        violations = []
        for v, loc in m.findings():
            item = v.to_dict()
            item["location"] = {"card": m.card, "uri": m.uri, "line": loc.line, "field": loc.field}
            violations.append(item)
            flat.append({"model": m.decision.model, "version": m.decision.version, **item})
        record["violations"] = violations
        record["card"] = m.card
        record["controls"] = list(m.evaluated)
        decisions.append(record)
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "govern", "version": report.tool_version},
        "result": report.result,
        "allowed": report.allowed,
        "fail_on": report.fail_on,
        "exit_code": report.exit_code,
        "summary": {
            "models": len(report.models),
            "allowed": sum(1 for m in report.models if m.decision.allowed),
            "denied": sum(1 for m in report.models if not m.decision.allowed),
            "deny": report.deny_count,
            "warn": report.warn_count,
            "undecided": len(report.failures),
            "text": report.summary,
        },
        "violations": flat,
        "decisions": decisions,
        "failures": [
            {"model": f.model, "version": f.version, "stage": f.stage, "error": asdict(f.error)}
            for f in report.failures
        ],
    }
    if report.error is not None:
        doc["error"] = asdict(report.error)
    return doc


class JsonReporter:
    """Indented, key-sorted JSON, one document per run."""

    name = "json"

    def render(self, report: Report, *, color: bool = False) -> str:
        """The document of `report_document`, serialised (NaN refused)."""
        return json.dumps(report_document(report), indent=2, sort_keys=True, allow_nan=False) + "\n"


REPORTER = JsonReporter()
