"""Plain frozen dataclasses shared by every layer; exit codes are computed from them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from govern.errors import EXIT_ALLOWED, EXIT_DENIED

SEVERITIES = ("low", "medium", "high", "critical")
# The performance metrics a scan stores, by task (the report and the evidence checks use them).
CLASSIFICATION_METRICS = (
    "auc",
    "accuracy",
    "precision",
    "recall",
    "f1",
    "brier_score",
    "expected_calibration_error",
)
REGRESSION_METRICS = ("rmse", "mae")


@dataclass(frozen=True)
class Violation:
    """One `deny` or `warn` entry returned by a policy."""

    kind: str  # "deny" | "warn"
    control: str
    msg: str
    severity: str
    package: str
    remediation: str | None = None
    evidence: Any = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the stored and reported shape)."""
        d: dict[str, Any] = {
            "kind": self.kind,
            "control": self.control,
            "msg": self.msg,
            "severity": self.severity,
            "package": self.package,
        }
        if self.remediation is not None:
            d["remediation"] = self.remediation
        if self.evidence is not None:
            d["evidence"] = self.evidence
        return d


@dataclass(frozen=True)
class Overlay:
    """A data overlay a decision was evaluated with: its content is stored with the decision."""

    path: str
    sha256: str  # of the UTF-8 content
    content: str


@dataclass(frozen=True)
class Decision:
    """The outcome of evaluating one gate for one model version, as recorded."""

    decision_id: str
    model: str
    version: str
    stage: str
    allowed: bool
    violations: tuple[Violation, ...]
    bundle_hash: str
    input_hash: str
    engine: str
    engine_version: str
    decided_at: str  # RFC 3339, UTC
    packages: tuple[str, ...] = ()
    overlays: tuple[Overlay, ...] = ()  # --data overlays, in the order they were applied

    @property
    def denials(self) -> tuple[Violation, ...]:
        """The violations that block the gate."""
        return tuple(v for v in self.violations if v.kind == "deny")

    @property
    def warnings(self) -> tuple[Violation, ...]:
        """Advisory findings that do not block the gate."""
        return tuple(v for v in self.violations if v.kind == "warn")

    @property
    def result(self) -> str:
        """Either allow or deny."""
        return "allow" if self.allowed else "deny"

    def exit_code(self) -> int:
        """0 allowed, 1 denied by policy."""
        return EXIT_ALLOWED if self.allowed else EXIT_DENIED

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form of the decision record."""
        return {
            "decision_id": self.decision_id,
            "model": self.model,
            "version": self.version,
            "stage": self.stage,
            "result": self.result,
            "allowed": self.allowed,
            "violations": [v.to_dict() for v in self.violations],
            "bundle_hash": self.bundle_hash,
            "input_hash": self.input_hash,
            "engine": self.engine,
            "engine_version": self.engine_version,
            "decided_at": self.decided_at,
            "packages": list(self.packages),
            **(
                {"overlays": [{"path": o.path, "sha256": o.sha256} for o in self.overlays]}
                if self.overlays
                else {}
            ),
        }


@dataclass(frozen=True)
class SourceFile:
    """Provenance of one scanned file."""

    path: str
    size: int
    mtime: float
    rows: int
    fingerprint: str = ""  # sha256 of the parquet footer (runner/_identity.py)


@dataclass(frozen=True)
class MetricRow:
    """One evidence value: a number with status "ok", or a status and a reason, never both."""

    family: str  # drift | fairness | performance | operational
    subject: str  # feature / group / column the metric is about ("" for the whole model)
    metric: str
    value: float | None
    status: str = "ok"  # ok | insufficient_data | invalid
    reason: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ScanResult:
    """What one `govern scan` measured and stored."""

    scan_id: str
    model: str
    version: str
    rows: int
    sources: tuple[SourceFile, ...]
    metrics: tuple[MetricRow, ...]
    scanned_at: str
    # When the scanned data last changed: the newest first-scan time of the scan's files
    # for this version (store/evidence.py); re-reading the same files does not move it.
    data_changed_at: str | None = None
