"""SARIF 2.1.0: findings as static-analysis results, for code-scanning UIs.

Rule ids are control ids; each result points at the model card and the line of the
offending field (line 1 when the policy named no field), relative to the repository root
(`uriBaseId` %SRCROOT%), which is what GitHub code scanning expects. `deny` maps to level
"error", `warn` to "warning". One run per invocation; the invocation records the exit code.
"""

from __future__ import annotations

import json
from typing import Any

from govern.output._report import Report

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
LEVELS = {"deny": "error", "warn": "warning"}
SRCROOT = "%SRCROOT%"


def sarif_document(report: Report) -> dict[str, Any]:
    """The SARIF log object for a report."""
    rules: list[dict[str, Any]] = []
    rule_index: dict[str, int] = {}
    results: list[dict[str, Any]] = []
    for m in report.models:
        d = m.decision
        for v, loc in m.findings():
            if v.control not in rule_index:
                rule_index[v.control] = len(rules)
                rule: dict[str, Any] = {
                    "id": v.control,
                    "shortDescription": {"text": f"govern control {v.control}"},
                    "defaultConfiguration": {"level": LEVELS[v.kind]},
                    "properties": {"package": v.package, "tags": ["compliance"]},
                }
                if v.remediation:
                    rule["help"] = {"text": v.remediation}
                rules.append(rule)
            text = f"{m.ref} → {d.stage}: {v.msg}"
            if v.remediation:
                text += f" (remediation: {v.remediation})"
            result: dict[str, Any] = {
                "ruleId": v.control,
                "ruleIndex": rule_index[v.control],
                "level": LEVELS[v.kind],
                "message": {"text": text},
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
            if m.card:
                result["locations"] = [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": m.card, "uriBaseId": SRCROOT},
                            "region": {"startLine": loc.line},
                        }
                    }
                ]
            results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "govern",
                        "version": report.tool_version,
                        "rules": rules,
                    }
                },
                "invocations": [
                    {"executionSuccessful": True, "exitCode": report.exit_code},
                ],
                "results": results,
            }
        ],
    }


class SarifReporter:
    """SARIF 2.1.0 JSON log."""

    name = "sarif"

    def render(self, report: Report, *, color: bool = False) -> str:
        """Indented JSON."""
        return json.dumps(sarif_document(report), indent=2, allow_nan=False) + "\n"


REPORTER = SarifReporter()
