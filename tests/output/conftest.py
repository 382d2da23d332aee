"""Reports built from plain decision records (the dataclasses every layer shares)."""

from __future__ import annotations

import pytest

from govern.output import CheckedModel, ControlInfo, Location, Report, RunError
from govern.results import Decision, Violation

HASH = "a" * 64


def decision(model: str, violations: tuple[Violation, ...], stage: str = "production") -> Decision:
    return Decision(
        decision_id="0b6f9f4e-4c1e-4f57-9a57-0d7c8c4f2d11",
        model=model,
        version="3",
        stage=stage,
        allowed=not any(v.kind == "deny" for v in violations),
        violations=violations,
        bundle_hash=HASH,
        input_hash="b" * 64,
        engine="regorus",
        engine_version="0.13.0",
        decided_at="2026-11-23T19:00:00.000000Z",
        packages=(f"govern.gates.{stage}",),
    )


DENY = Violation(
    "deny",
    "MON-CSI-01",
    "feature income: PSI 0.412 >= 0.25 | <b>shift</b>\nsecond line, 100% sure",
    "high",
    "govern.gates.production",
    "retrain, then re-scan",
    {"field": "monitoring.features"},
)
WARN = Violation("warn", "DQ-MISS-01", "missing rate 0.07", "medium", "govern.gates.production")


CONTROLS = (
    ControlInfo(
        "MON-CSI-01",
        "Feature stability (CSI) per monitored input",
        "A feature at or above the deny band blocks.",
        "Characteristic Stability Index, https://example.org/csi",
        "CONV",
        "high",
    ),
    ControlInfo("DQ-MISS-01", "Missing values", "", "Data quality practice", "", "medium"),
)
EVALUATED = ("MON-CSI-01", "DQ-MISS-01", "MON-PSI-01")


@pytest.fixture
def mixed() -> Report:
    denied = CheckedModel(
        decision("fraud-detect", (DENY, WARN)),
        "models/fraud, detect.yaml",
        (Location(12, "monitoring.features.2"), Location()),
        uri="team a/models/fraud, detect.yaml",
        evaluated=EVALUATED,
    )
    allowed = CheckedModel(
        decision("credit-risk", ()),
        "models/credit-risk.yaml",
        (),
        uri="team a/models/credit-risk.yaml",
        evaluated=EVALUATED,
    )
    return Report((allowed, denied), tool_version="0.1.0", root="/work/repo x", controls=CONTROLS)


POLICY_ERROR = RunError(
    "policy_load_error",
    "compile policy: unexpected token",
    2,
    "policies/gates/production.rego",
    8,
    1,
    "policies/gates/production.rego",
)


@pytest.fixture
def failed() -> Report:
    """A run stopped by a policy error before any decision."""
    return Report((), tool_version="0.1.0", error=POLICY_ERROR, root="/work/repo")


@pytest.fixture
def clean() -> Report:
    return Report((CheckedModel(decision("credit-risk", ()), None, ()),), tool_version="0.1.0")
