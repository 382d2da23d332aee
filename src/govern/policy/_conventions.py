"""Policy conventions, in one place: packages, rule names, violation fields.

- Gate packages: `govern.gates.<stage>`; control packs: packages listed in
  `data.govern.packs` with the regulatory scopes they apply to.
- Rule names: `deny` (blocks) and `warn` (advisory), each a set.
- A violation is an object {control, msg, severity, remediation?, evidence?} or a plain
  string (conftest style: control = the package, severity high for deny, medium for warn).
- Wiring (checked at load, `check_wiring`): every package outside test files that defines
  `deny` or `warn` is a gate package or the package of a `govern.packs` entry (which
  lists its `scopes`; `[]` switches the pack off explicitly), and every
  control a rule guards with `lib.applies("ID")` has an entry in `govern.control_stages`
  (`[]` switches it off explicitly). A control that could never be evaluated is an error
  naming its file, never a silent gap in the checks.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from govern.errors import PolicyEvalError, PolicyLoadError
from govern.lifecycle import STAGES
from govern.results import SEVERITIES, Violation

if TYPE_CHECKING:
    from govern.policy._ast import BundleInfo

GATE_PACKAGE = "govern.gates.{stage}"
RULES = ("deny", "warn")
DEFAULT_SEVERITY = {"deny": "high", "warn": "medium"}
VIOLATION_FIELDS = {"control", "msg", "severity", "remediation", "evidence"}

PACKS_MALFORMED = "data.govern.packs.{pack}: {problem} (e.g. package: govern.controls.<pack>)"
MALFORMED = "malformed {kind} entry in {package}: {problem}"
UNWIRED_PACKAGE = (
    "package {package} defines {rules} but is wired to no stage or scope, so it would never "
    "be evaluated: add it to govern.packs in a data file (e.g. `govern: {{packs: {{{pack}: "
    '{{package: {package}, scopes: ["*"]}}}}}}`), or name it govern.gates.<stage>'
)
PACK_NO_SCOPES = (
    "govern.packs.{pack} ({package}) has no `scopes`, so it would apply to no model: list "
    'the regulatory scopes it serves, ["*"] for every model, or [] to switch it off'
)
UNWIRED_CONTROL = (
    "control {control} ({package}) has no entry in govern.control_stages, so its rules "
    "would never be evaluated: list the stages where it applies in a data file (e.g. "
    "`govern: {{control_stages: {{{control}: [production]}}}}`), or [] to switch it off"
)


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


def _is_test(path: str) -> bool:
    return Path(path).name.endswith("_test.rego")


def check_wiring(info: BundleInfo, data: dict[str, Any]) -> None:
    """Refuse a bundle holding a control that no stage or scope would ever evaluate."""
    raw = data.get("govern")
    govern: dict[str, Any] = raw if isinstance(raw, dict) else {}
    packs = govern.get("packs") or {}
    wired = {GATE_PACKAGE.format(stage=s) for s in STAGES}
    if isinstance(packs, dict):
        for key, pack in packs.items():
            if not isinstance(pack, dict) or "package" not in pack:
                continue
            wired.add(pack["package"])
            if "scopes" not in pack or pack["scopes"] is None:
                where = info.locations.get((pack["package"], "deny")) or info.locations.get(
                    (pack["package"], "warn")
                )
                msg = PACK_NO_SCOPES.format(pack=key, package=pack["package"])
                raise PolicyLoadError(msg, path=where[0] if where else None)
    for package in sorted(info.rules):
        kinds = [k for k in RULES if k in info.rules[package]]
        if not kinds or package in wired:
            continue
        path, line = info.locations[(package, kinds[0])]
        if _is_test(path):
            continue
        msg = UNWIRED_PACKAGE.format(
            package=package, rules=" and ".join(kinds), pack=package.rsplit(".", 1)[-1]
        )
        raise PolicyLoadError(msg, path=path, line=line)
    stages = govern.get("control_stages")
    listed = stages if isinstance(stages, dict) else {}
    for guard in info.guards:
        if guard.control not in listed and not _is_test(guard.path):
            msg = UNWIRED_CONTROL.format(control=guard.control, package=guard.package)
            raise PolicyLoadError(msg, path=guard.path, line=guard.line)


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
