"""The view model: everything one report shows about a model version, as plain data.

One view, three renderers (HTML, terminal, JSON API): they format these dataclasses and
compute nothing. Every number here is read from the store (evidence, decisions, profiles,
the audit chain) or derived in this module by one documented rule (shares, PSI bands, the
four-fifths line), so the tests check the view against SQL and the renderers against it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

STAGES = ("proposed", "development", "validation", "deployment", "production", "retired")
# PSI bands as commonly used in credit-risk monitoring (Siddiqi, "Credit Risk Scorecards",
# 2006, ch. 8): below 0.10 stable, 0.10 to 0.25 some shift, 0.25 and above a major shift.
# A card's monitoring.limits.psi_warn / psi_deny replace the two cut-offs.
PSI_WARN = 0.10
PSI_DENY = 0.25
# EEOC Uniform Guidelines, 29 CFR 1607.4(D): a selection rate below four-fifths of the
# highest group's rate is evidence of adverse impact.
FOUR_FIFTHS = 0.8

NO_EVIDENCE = "no scan stored yet: run `govern baseline` then `govern scan` for this version"
NO_DECISION = "no gate decision recorded yet: run `govern check` for this version"


@dataclass(frozen=True)
class ViolationView:
    """One deny/warn of a decision, joined with the control catalogue."""

    kind: str
    control: str
    title: str
    severity: str
    msg: str
    source: str
    article: str
    remediation: str


@dataclass(frozen=True)
class DecisionView:
    """A recorded gate decision."""

    decision_id: str
    stage: str
    result: str  # allow | deny
    decided_at: str
    bundle_hash: str
    engine: str
    violations: tuple[ViolationView, ...]


@dataclass(frozen=True)
class StageEvent:
    """One lifecycle event: registration, promotion, retirement."""

    at: str
    action: str
    from_stage: str | None
    to_stage: str | None
    actor: str | None
    decision_id: str | None


@dataclass(frozen=True)
class ApprovalView:
    """An approval recorded with `govern approve` (card-declared ones are claims, not shown)."""

    at: str
    stage: str
    role: str
    by: str
    note: str | None


@dataclass(frozen=True)
class BinShare:
    """One drift bin: its label and the reference and current shares of valid values."""

    label: str
    reference: float
    current: float


@dataclass(frozen=True)
class ColumnDrift:
    """Drift of one feature (or of the score column)."""

    name: str
    kind: str
    psi: float | None
    band: str  # stable | moderate | significant | n/a
    chi2: float | None
    p_value: float | None
    missing_rate: float | None
    out_of_range_rate: float | None
    unseen_rate: float | None
    inf_rate: float | None
    rows: int | None
    status: str
    reasons: tuple[str, ...]
    bins: tuple[BinShare, ...]


@dataclass(frozen=True)
class DriftView:
    """Drift of the latest scan: features sorted by PSI (highest first), then the score."""

    psi_warn: float
    psi_deny: float
    features: tuple[ColumnDrift, ...]
    output: ColumnDrift | None


@dataclass(frozen=True)
class GroupView:
    """One group of a protected attribute."""

    group: str
    n: int | None
    withheld: bool  # fewer rows than monitoring.min_group_size: rates not reported
    selection_rate: float | None
    impact_ratio: float | None
    tpr: float | None
    fpr: float | None
    fnr: float | None
    below_four_fifths: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class AttributeView:
    """Fairness of one protected attribute."""

    name: str
    min_group_size: int | None
    most_favoured_group: str | None
    four_fifths_line: float | None  # 0.8 x the highest eligible selection rate
    min_impact_ratio: float | None
    status: str
    reasons: tuple[str, ...]
    groups: tuple[GroupView, ...]


@dataclass(frozen=True)
class MetricCompare:
    """A model-level metric now, and its validated baseline where the card states one."""

    metric: str
    current: float | None
    baseline: float | None
    status: str
    reason: str | None


@dataclass(frozen=True)
class TrendPoint:
    """One metric's value in one stored scan."""

    scan_id: str
    at: str
    family: str  # performance | operational | drift
    metric: str
    value: float


@dataclass(frozen=True)
class SourceView:
    """One scanned file."""

    path: str
    size: int | None
    rows: int | None


@dataclass(frozen=True)
class ProvenanceView:
    """Where the numbers come from."""

    scan_id: str | None
    scanned_at: str | None
    rows: int | None
    sources: tuple[SourceView, ...]
    profile_id: str | None
    engine_version: str | None
    scans: int
    bundle_hash: str | None
    policy_engine: str | None
    decision_ids: tuple[str, ...]
    card_path: str | None
    card_sha256: str
    # When the latest scan's data last changed (its newest file's first scan); None before
    # schema 8. Older than the monitoring gap: the scans re-read old files.
    data_changed_at: str | None = None


@dataclass(frozen=True)
class ModelView:
    """Everything shown for one model version."""

    name: str
    version: str
    anchor: str
    owner: str | None
    risk_tier: str | None
    use_case: str | None
    scope: tuple[str, ...]
    stage: str
    history: tuple[StageEvent, ...]
    approvals: tuple[ApprovalView, ...]
    last_decision: DecisionView | None
    decisions: tuple[DecisionView, ...]
    drift: DriftView | None
    fairness: tuple[AttributeView, ...]
    performance: tuple[MetricCompare, ...]
    operational: tuple[MetricCompare, ...]
    trend: tuple[TrendPoint, ...]
    provenance: ProvenanceView
    zombie_reasons: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def ref(self) -> str:
        """NAME@VERSION."""
        return f"{self.name}@{self.version}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the API's model document)."""
        d = asdict(self)
        d["ref"] = self.ref
        return d


@dataclass(frozen=True)
class InventoryRow:
    """One version in the inventory."""

    name: str
    version: str
    anchor: str
    stage: str
    owner: str | None
    risk_tier: str | None
    last_evidence_at: str | None
    evidence_age_days: float | None
    last_result: str | None
    last_decision_stage: str | None
    last_decided_at: str | None
    zombie_reasons: tuple[str, ...]


@dataclass(frozen=True)
class AuditStatus:
    """The hash chain: intact or not, and its head."""

    ok: bool
    rows: int
    head_seq: int
    head_hash: str
    problem: str | None


@dataclass(frozen=True)
class ReportView:
    """A whole report: the inventory, the audit chain, and the selected model versions."""

    generated_at: str
    database: str
    inventory: tuple[InventoryRow, ...]
    audit: AuditStatus
    models: tuple[ModelView, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        d = asdict(self)
        d["models"] = [m.to_dict() for m in self.models]
        return d


def iso(value: datetime | str | None) -> str | None:
    """UTC timestamps as RFC 3339 text with a Z (None stays None)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def anchor_of(name: str, version: str) -> str:
    """A stable HTML id for a model section."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in f"{name}-{version}")
    return f"m-{safe}"


def psi_band(psi: float | None, warn: float, deny: float) -> str:
    """The band of a PSI value by the two cut-offs (n/a without a value)."""
    if psi is None:
        return "n/a"
    if psi >= deny:
        return "significant"
    if psi >= warn:
        return "moderate"
    return "stable"
