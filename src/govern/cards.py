"""Model cards: the YAML files that declare a model version and its governance facts.

The schema (`SCHEMA`, documented in docs/registry.md) is small on purpose: it fixes the
types of the fields govern itself reads, and every other field is still carried into the
policy input as `input.model.<field>` so that policies, not code, decide what must be
present. Unknown fields produce a warning (a likely typo), never an error.

A declared fact may carry provenance instead of a bare value:

    lineage:
      training_data:
        value: s3://models/credit/train.parquet
        asserted_by: jane.doe@example.com
        asserted_at: 2026-06-01
        evidence: https://wiki.example.com/credit/lineage
        expires: 2027-06-01

`resolve_facts` unwraps these for the policy input; an expired fact counts as absent, so a
policy that requires it denies until someone re-asserts it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from govern import _yaml
from govern._identity import check_name, check_version
from govern.errors import ModelCardError, UserInputError
from govern.lifecycle import STAGES

PROVENANCE_KEYS = ("value", "asserted_by", "asserted_at", "evidence", "expires")
IDENTITY_FIELDS = ("name", "version", "stage")  # never wrapped in provenance
DOMAINS = ("credit", "employment", "insurance", "fraud", "other")


@dataclass(frozen=True)
class Field:
    """One field of the model card schema."""

    types: tuple[type, ...]
    doc: str
    required: bool = False
    enum: tuple[Any, ...] | None = None
    items: type | None = None  # element type of a list
    children: dict[str, Field] | None = None  # known keys of a mapping
    open: bool = False  # a mapping whose unknown keys are expected (no warning)


def _f(*types: type, doc: str, **kw: Any) -> Field:
    return Field(types=types, doc=doc, **kw)


SCHEMA: dict[str, Field] = {
    "name": _f(str, doc="model name, stable across versions", required=True),
    "version": _f(str, int, doc="version label", required=True),
    "owner": _f(str, doc="accountable owner (person or team)", required=True),
    "risk_tier": _f(str, int, doc="materiality tier, 1 (highest) to 3", required=True),
    "use_case": _f(str, doc="what the model is used for", required=True),
    "description": _f(str, doc="one-paragraph description"),
    "stage": _f(str, doc="initial stage when first registered", enum=STAGES),
    "domain": _f(str, doc="business domain, drives regulatory scope", enum=DOMAINS),
    "regulatory_scope": _f(list, doc="scopes such as us_sr26_2, eu_ai_act", items=str),
    "review_frequency_days": _f(int, doc="maximum days between reviews (default 365)"),
    "roles": _f(
        dict,
        doc="people with a role in the model's life",
        children={
            "developers": _f(list, doc="who built the model", items=str),
            "validators": _f(list, doc="who may validate it", items=str),
            "approvers": _f(list, doc="who may approve it", items=str),
        },
    ),
    "lineage": _f(dict, doc="training data and code provenance (free-form keys)", open=True),
    # Governance facts read by the default policy library (see docs/policies.md).
    "owner_id": _f(str, doc="owner's identifier, if different from `owner`"),
    "developer_ids": _f(list, doc="who built the model (MRM-VAL-03)", items=str),
    "tier_rationale": _f(str, doc="why this risk tier (MRM-TIER-01)"),
    "intended_use": _f(str, doc="intended purpose (MRM-INV-02, EU Art. 13)"),
    "purpose_statement": _f(str, doc="statement of purpose (MRM-DEV-01)"),
    "products": _f(list, doc="products the model serves (MRM-INV-02)", items=str),
    "approved_use_cases": _f(list, doc="use cases approved for traffic (MRM-USE-01)", items=str),
    "restrictions_on_use": _f(str, doc="restrictions on use (MRM-INV-02)"),
    "input_sources": _f(list, doc="type and source of inputs (MRM-INV-02)"),
    "outputs": _f(str, list, doc="outputs and their intended use (MRM-INV-02)"),
    "assumptions": _f(str, list, doc="key assumptions (MRM-DEV-01)"),
    "limitations": _f(str, list, doc="known limitations (MRM-DEV-01)"),
    "last_updated_at": _f(str, date, doc="when the model was last updated"),
    "next_validation_due": _f(str, date, doc="planned validation date (MRM-VAL-05)"),
    "valid_until": _f(str, date, doc="end of the validated period"),
    "go_live_at": _f(str, date, doc="production go-live time (gate 5)"),
    "registered_calibration_hash": _f(str, doc="calibration id (MRM-INV-03)"),
    "approved_artifact_sha": _f(str, doc="approved artifact hash (MRM-CHG-01)"),
    "data_quality_report_uri": _f(str, doc="data quality assessment (MRM-DEV-02)"),
    "docs": _f(dict, doc="documentation links (MRM-DEV-01, EU Art. 18)", open=True),
    "dev_tests": _f(dict, doc="developmental tests: OOS/OOT (MRM-DEV-02)", open=True),
    "validation": _f(dict, doc="validation report: date, outcome, scope, validator", open=True),
    "uat_rounds": _f(list, doc="user acceptance test rounds (MRM-UAT-01)"),
    "approvals": _f(list, doc="claimed approvals (input.model.claimed_approvals; never counted)"),
    "shadow": _f(dict, doc="shadow-run record (gate 5, PROD default)", open=True),
    "deployment": _f(dict, doc="deployed artifact and calibration (MRM-CHG-01)", open=True),
    "benchmark": _f(dict, doc="challenger / benchmark comparison (MRM-BMK-01)", open=True),
    "ecoa": _f(dict, doc="ECOA / Reg B adverse-action facts", open=True),
    "eu_ai_act": _f(dict, doc="EU AI Act classification and role", open=True),
    "eu": _f(dict, doc="EU AI Act provider/deployer records", open=True),
    "slo": _f(dict, doc="operational service-level objectives (MON-OPS-01)", open=True),
    "monitoring": _f(
        dict,
        doc="what `govern scan` measures (checked in full by metrics/_monitoring.py)",
        children={
            "features": _f(
                list, doc="monitored feature columns (numbers, text, booleans)", items=str
            ),
            "prediction": _f(str, dict, doc="score column, or {column, positive: [values]}"),
            "min_rows": _f(int, doc="fewest valid values for a drift metric (default 100)"),
            "frequency_days": _f(int, doc="maximum evidence age in days (default 30)"),
            "metrics": _f(list, doc="metrics of the monitoring plan (MRM-MON-01)"),
            "limits": _f(dict, doc="limits per metric (MRM-MON-01)", open=True),
            "escalation": _f(str, dict, doc="response procedure (MRM-MON-01)"),
            "binning": _f(
                dict,
                doc="numeric bin edges for drift",
                children={
                    "strategy": _f(str, doc="decile or uniform", enum=("decile", "uniform")),
                    "bins": _f(int, doc="number of bins (default 10)"),
                    "edges": _f(dict, doc="explicit edges per feature", open=True),
                },
            ),
            "columns": _f(dict, doc="feature -> column name in the inference logs", open=True),
            "threshold": _f(float, int, doc="decision threshold on the score (default 0.5)"),
            "label": _f(str, dict, doc="label column, or {column, positive: [values]}"),
            "task": _f(
                str, doc="classification or regression", enum=("classification", "regression")
            ),
            "protected": _f(list, doc="protected attribute columns (lists = intersections)"),
            "min_group_size": _f(int, doc="smallest group for a fairness metric (default 30)"),
            "favourable_outcome": _f(int, doc="decision value that favours the subject (1 or 0)"),
            "score_range": _f(list, doc="[low, high] of the score (default [0, 1])"),
            "latency": _f(str, doc="latency column in milliseconds"),
            "error_code": _f(str, doc="error code column"),
            "ok_codes": _f(list, doc="error codes that count as success"),
            "timestamp": _f(str, doc="timestamp column"),
            "source": _f(str, doc="inference logs `govern monitor` scans ({date}: today, UTC)"),
        },
    ),
    "retirement": _f(
        dict,
        doc="why and when the model is retired",
        children={
            "reason": _f(str, doc="why it is retired"),
            "date": _f(str, date, doc="retirement date"),
            "successor": _f(str, doc="NAME@VERSION that replaces it"),
        },
    ),
}
REQUIRED = tuple(k for k, f in SCHEMA.items() if f.required)

_TYPE_NAMES = {str: "string", int: "integer", list: "list", dict: "mapping", date: "date"}


@dataclass(frozen=True)
class ModelCard:
    """A validated model card and where it came from."""

    data: dict[str, Any]
    path: str | None
    sha256: str
    warnings: tuple[str, ...] = field(default=())

    @property
    def name(self) -> str:
        """Model name (stable across versions)."""
        return str(self.data["name"])

    @property
    def version(self) -> str:
        """Version label, always a string."""
        return str(self.data["version"])

    @property
    def stage(self) -> str:
        """Declared initial stage (only used when the version is first registered)."""
        return str(self.data.get("stage", "proposed"))

    @property
    def values(self) -> dict[str, Any]:
        """The card with provenance wrappers replaced by their values (expiry ignored)."""
        return {k: unwrap(v) for k, v in self.data.items()}


_PROVENANCE_SET = frozenset(PROVENANCE_KEYS)


def is_provenance(value: Any) -> bool:
    """A mapping with a `value` and only provenance keys is a fact with provenance."""
    return isinstance(value, dict) and "value" in value and value.keys() <= _PROVENANCE_SET


def unwrap(value: Any) -> Any:
    """Replace every provenance wrapper by its value, recursively."""
    if is_provenance(value):
        return unwrap(value["value"])
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def _instant(value: Any) -> datetime | None:
    """A date, datetime or ISO 8601 text as a naive-UTC datetime (dates at 00:00 UTC)."""
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt


def resolve_facts(
    data: dict[str, Any], now: datetime
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """(facts, provenance) as of `now` (naive UTC): expired facts are dropped from `facts`.

    `provenance` maps a dotted field path to {asserted_by, asserted_at, evidence, expires,
    expired}, so policies can also ask who asserted a fact and on what evidence.
    """
    provenance: dict[str, dict[str, Any]] = {}

    def walk(value: Any, path: str) -> tuple[bool, Any]:
        if is_provenance(value):
            expires = _instant(value.get("expires"))
            expired = expires is not None and now >= expires
            provenance[path] = {
                "asserted_by": value.get("asserted_by"),
                "asserted_at": _text(value.get("asserted_at")),
                "evidence": value.get("evidence"),
                "expires": _text(value.get("expires")),
                "expired": expired,
            }
            if expired:
                return False, None
            return walk(value["value"], path)
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                keep, resolved = walk(v, f"{path}.{k}" if path else str(k))
                if keep:
                    out[k] = resolved
            return True, out
        if isinstance(value, list):
            items = [walk(v, f"{path}[{i}]") for i, v in enumerate(value)]
            return True, [resolved for keep, resolved in items if keep]
        return True, value

    facts = walk(data, "")[1]
    return facts, provenance


def _text(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


Where = list[str | int]  # a path into the card: mapping keys and list indices


def _dotted(where: Where) -> str:
    out = ""
    for part in where:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _type_name(types: tuple[type, ...]) -> str:
    """The expected type(s) with an article: "an integer", "a string or mapping"."""
    text = " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in types)
    return f"an {text}" if text[:1] in "aeiou" else f"a {text}"


def _is_type(value: Any, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool):  # YAML `yes` must not pass as an integer
        return bool in types
    if isinstance(value, datetime) and date in types:
        return True
    return isinstance(value, types)


class _Validator:
    def __init__(self, node: Node | None, path: str | None) -> None:
        self.node = node
        self.path = path
        self.warnings: list[str] = []

    def error(self, where: Where, message: str) -> ModelCardError:
        dotted = _dotted(where)
        return ModelCardError(
            f"field {dotted!r}: {message}", path=self.path, line=_yaml.line_of(self.node, where)
        )

    def warn(self, where: Where, message: str) -> None:
        line = _yaml.line_of(self.node, where)
        loc = ":".join(str(x) for x in (self.path or "<card>", line) if x is not None)
        self.warnings.append(f"{loc}: field {_dotted(where)!r}: {message}")

    def provenance(self, where: Where, wrapper: dict[str, Any]) -> Any:
        for key in ("asserted_at", "expires"):
            if key in wrapper and _instant(wrapper[key]) is None:
                raise self.error(
                    [*where, key], f"must be a date or an ISO 8601 time, got {wrapper[key]!r}"
                )
        if "asserted_by" in wrapper and not isinstance(wrapper["asserted_by"], str):
            raise self.error([*where, "asserted_by"], "must be a string")
        ev = wrapper.get("evidence")
        if ev is not None and not (
            isinstance(ev, str) or (isinstance(ev, list) and all(isinstance(e, str) for e in ev))
        ):
            raise self.error([*where, "evidence"], "must be a string or a list of strings")
        return wrapper["value"]

    def field(self, where: Where, spec: Field, value: Any) -> None:
        if is_provenance(value):
            if where[-1] in IDENTITY_FIELDS and len(where) == 1:
                raise self.error(where, "cannot carry provenance; give a plain value")
            value = self.provenance(where, value)
            where = [*where, "value"]
        if not _is_type(value, spec.types):
            raise self.error(where, f"must be {_type_name(spec.types)}, got {type(value).__name__}")
        if spec.enum is not None and value not in spec.enum:
            valid = ", ".join(str(e) for e in spec.enum)
            raise self.error(where, f"unknown value {value!r}; valid values are: {valid}")
        if spec.items is not None:
            for i, item in enumerate(value):
                item = unwrap(item)
                if not _is_type(item, (spec.items,)):
                    raise self.error(
                        where,
                        f"item {i} must be {_type_name((spec.items,))}, got {type(item).__name__}",
                    )
        if isinstance(value, dict):
            self.mapping(where, spec.children or {}, value, open_=spec.open or not spec.children)

    def facts(self, where: Where, value: Any) -> None:
        """Check every fact with provenance anywhere in the card, open mappings included.

        Without this a wrapper under a free-form field (`lineage.training_data`) was never
        validated, so `expires: soon` made a fact that never expires.
        """
        if isinstance(value, dict):
            if is_provenance(value):
                self.provenance(where, value)
            elif "value" in value and "expires" in value:
                extra = sorted(set(value) - set(PROVENANCE_KEYS))
                raise self.error(
                    where,
                    f"a fact with `expires` may only have the keys {', '.join(PROVENANCE_KEYS)}; "
                    f"found {', '.join(extra)} (move them elsewhere so the expiry is honoured)",
                )
            for k, v in value.items():
                self.facts([*where, k], v)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                self.facts([*where, i], v)

    def mapping(
        self, where: Where, schema: dict[str, Field], data: dict[str, Any], *, open_: bool
    ) -> None:
        for key, value in data.items():
            spec = schema.get(str(key))
            if spec is None:
                if not open_:
                    known = ", ".join(schema)
                    self.warn(
                        [*where, str(key)],
                        f"unknown field (known fields: {known}); it is still passed to policies",
                    )
                continue
            self.field([*where, str(key)], spec, value)


FAVOURABLE_DEFAULT = (
    "fairness is monitored but favourable_outcome is not declared; decision 1 is taken as "
    "favourable. For a risk score (1 = default, fraud, re-offending) declare "
    "favourable_outcome: 0, or the adverse impact ratios are reversed"
)


def _check_monitoring(validator: _Validator, data: dict[str, Any]) -> None:
    """The `monitoring` keys as `govern scan` reads them, at register time (line numbers)."""
    mon = unwrap(data.get("monitoring"))
    if not isinstance(mon, dict):
        return
    from govern.metrics._monitoring import MonitoringFieldError, parse_monitoring

    try:
        parse_monitoring({"monitoring": mon})
    except MonitoringFieldError as exc:
        cause = exc.message.split(": ", 1)[1]
        raise validator.error(list(exc.field), cause) from exc
    if mon.get("protected") and "favourable_outcome" not in mon:
        validator.warn(["monitoring", "protected"], FAVOURABLE_DEFAULT)


IDENTITY_NOT_TEXT = "cannot carry provenance or structure ({kind}); give a plain value"


def _identity(node: Node | None, data: dict[str, Any], key: str, path: str | None) -> str:
    """`name` / `version` exactly as written: `version: 010` is "010", `1.10` is "1.10".

    Numbers elsewhere in a card follow the YAML 1.2 core schema; an identity is text, so it
    is taken from the source before any number resolution could change it.
    """
    where: Where = [key]
    text: str | None = None
    if isinstance(node, MappingNode):
        for k, v in node.value:
            if isinstance(k, ScalarNode) and k.value == key:
                if not isinstance(v, ScalarNode):
                    kind = "list" if isinstance(v, SequenceNode) else "mapping"
                    raise ModelCardError(
                        f"field {key!r}: {IDENTITY_NOT_TEXT.format(kind=kind)}",
                        path=path,
                        line=_yaml.line_of(node, where),
                    )
                text = str(v.value)
    if text is None:
        text = str(data[key])
    try:
        return check_name(text) if key == "name" else check_version(text)
    except UserInputError as exc:
        raise ModelCardError(
            f"field {key!r}: {exc.message}", path=path, line=_yaml.line_of(node, where)
        ) from None


def parse_card(text: str, path: str | None = None) -> ModelCard:
    """Parse and validate one model card; errors name the file, line and field."""
    try:
        data, node = _yaml.parse(text)
    except _yaml.YamlError as exc:
        raise ModelCardError(exc.message, path=path, line=exc.line) from None
    if not isinstance(data, dict):
        raise ModelCardError("a model card must be a YAML mapping of fields", path=path, line=1)
    for name in REQUIRED:
        if unwrap(data.get(name)) in (None, ""):
            raise ModelCardError(
                f"missing required field {name!r}; required fields are: {', '.join(REQUIRED)}",
                path=path,
            )
    data["name"] = _identity(node, data, "name", path)
    data["version"] = _identity(node, data, "version", path)
    validator = _Validator(node, path)
    validator.mapping([], SCHEMA, data, open_=False)
    _check_monitoring(validator, data)
    validator.facts([], data)
    digest = hashlib.sha256(text.encode()).hexdigest()
    return ModelCard(data=data, path=path, sha256=digest, warnings=tuple(validator.warnings))


def load_card(path: str | Path) -> ModelCard:
    """Read and validate a model card file (a regular file, bounded in size)."""
    p = Path(path)
    try:
        text = _yaml.read_text(p)
    except FileNotFoundError as exc:
        raise ModelCardError("file not found", path=p) from exc
    except _yaml.YamlError as exc:
        raise ModelCardError(
            f"cannot read model card: {exc.message}", path=p, line=exc.line
        ) from None
    except OSError as exc:
        raise ModelCardError(f"cannot read model card: {exc}", path=p) from exc
    return parse_card(text, str(p))
