"""Policy conventions, in one place: packages, rule names, violation fields.

- Gate packages: `govern.gates.<stage>`; control packs: packages listed in
  `data.govern.packs` with the regulatory scopes they apply to.
- Rule names: `deny` (blocks) and `warn` (advisory), each a set.
- A violation is an object {control, msg, severity, remediation?, evidence?} or a plain
  string (conftest style: control = the package, severity high for deny, medium for warn).
"""

from __future__ import annotations

from typing import Any

from govern.errors import PolicyEvalError
from govern.results import SEVERITIES, Violation

GATE_PACKAGE = "govern.gates.{stage}"
RULES = ("deny", "warn")
DEFAULT_SEVERITY = {"deny": "high", "warn": "medium"}
VIOLATION_FIELDS = {"control", "msg", "severity", "remediation", "evidence"}

PACKS_MALFORMED = "data.govern.packs.{pack}: {problem} (e.g. package: govern.controls.<pack>)"
MALFORMED = "malformed {kind} entry in {package}: {problem}"


def parse_violation(kind: str, package: str, item: Any) -> Violation:
    """Validate one deny/warn entry; anything malformed is an error, never ignored."""
    if isinstance(item, str):
        return Violation(kind, package, item, DEFAULT_SEVERITY[kind], package)
    if not isinstance(item, dict):
        problem = f"expected an object or a string, got {type(item).__name__}"
        raise PolicyEvalError(MALFORMED.format(kind=kind, package=package, problem=problem))
    for field in ("control", "msg"):
        if not isinstance(item.get(field), str) or not item[field]:
            problem = f"field {field!r} must be a non-empty string"
            raise PolicyEvalError(MALFORMED.format(kind=kind, package=package, problem=problem))
    severity = item.get("severity", DEFAULT_SEVERITY[kind])
    if severity not in SEVERITIES:
        problem = f"severity {severity!r} is not one of {', '.join(SEVERITIES)}"
        raise PolicyEvalError(MALFORMED.format(kind=kind, package=package, problem=problem))
    remediation = item.get("remediation")
    if remediation is not None and not isinstance(remediation, str):
        problem = "field 'remediation' must be a string"
        raise PolicyEvalError(MALFORMED.format(kind=kind, package=package, problem=problem))
    return Violation(
        kind, item["control"], item["msg"], severity, package, remediation, item.get("evidence")
    )


def parse_rule_value(kind: str, package: str, entries: Any) -> list[Violation]:
    """Violations from the value of one `deny` or `warn` rule (a set, i.e. a JSON array)."""
    if not isinstance(entries, list):
        raise PolicyEvalError(f"{package}.{kind} must be a set, got {type(entries).__name__}")
    return [parse_violation(kind, package, e) for e in entries]


def parse_package_result(package: str, value: Any) -> list[Violation]:
    """Violations from the value of a package document ({deny: [...], warn: [...]})."""
    if not isinstance(value, dict):
        raise PolicyEvalError(f"package {package} did not evaluate to an object")
    out: list[Violation] = []
    for kind in RULES:
        out.extend(parse_rule_value(kind, package, value.get(kind, [])))
    return out


def applicable_packages(data: dict[str, Any], stage: str, scopes: list[str]) -> list[str]:
    """The gate package of `stage` plus the packs whose scopes meet the model's scopes."""
    packages = [GATE_PACKAGE.format(stage=stage)]
    packs = data.get("govern", {}).get("packs") or {}
    if not isinstance(packs, dict):
        raise PolicyEvalError(PACKS_MALFORMED.format(pack="*", problem="must be a mapping"))
    for pack_id in sorted(packs):
        pack = packs[pack_id]
        if not isinstance(pack, dict) or not isinstance(pack.get("package"), str):
            problem = "needs a `package` name"
            raise PolicyEvalError(PACKS_MALFORMED.format(pack=pack_id, problem=problem))
        pack_scopes = pack.get("scopes") or []
        stages = pack.get("stages")
        if stages is not None and stage not in stages:
            continue
        matches = "*" in pack_scopes or bool(set(pack_scopes) & set(scopes))
        if matches and pack["package"] not in packages:
            packages.append(pack["package"])
    return packages
