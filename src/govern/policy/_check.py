"""`govern policy check`: what `opa check --strict` would say about a policy directory, and more.

Four passes, each reported as `file:line:col: message`:

1. parse + compile: regorus compiles the bundle and, when the in-process OPA is installed,
   OPA compiles every rule too (an unsafe variable in a rule no gate reaches is an error);
2. capabilities: builtins refused by govern (`http.send`, `time.now_ns`, ...);
3. strict mode, the checks OPA enables with `--strict` that apply to Rego v1: duplicate and
   unused imports, deprecated builtins, `input`/`data` used as rule or variable names;
4. catalogue: every `# METADATA` block is YAML, every control id is unique and carries the
   title, source, article and severity that `govern policy list` shows.

Only the first error of the compile pass is reported (the engines stop there); the other
passes report everything they find.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from govern.errors import PolicyError, PolicyLoadError
from govern.policy._bundle import Bundle, read_bundle
from govern.policy._capabilities import check_calls
from govern.policy._catalogue import controls_in
from govern.policy._sandbox import Limits, SandboxEngine

# OPA's strict mode: "Use of deprecated built-ins" (docs: Compiler Strict Mode)
DEPRECATED = ("any", "all", "re_match", "net.cidr_overlap", "set_diff", "cast_array", "cast_set",
              "cast_string", "cast_boolean", "cast_null", "cast_object")  # fmt: skip
CONTROL_FIELDS = ("title", "source", "article", "severity")
_IMPORT = re.compile(r"^import\s+(?P<ref>[\w.\[\]\"]+)(?:\s+as\s+(?P<alias>\w+))?\s*$", re.M)
_RESERVED = re.compile(r"^(?P<name>input|data)\s*(?::=|=|contains\b|if\b|\[)", re.M)
_LOCAL_RESERVED = re.compile(r"\b(?P<name>input|data)\s*:=")


@dataclass(frozen=True)
class Finding:
    """One problem, located."""

    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


def _from_error(exc: PolicyError) -> Finding:
    message = str(exc.args[0]).splitlines()[0] if exc.args else type(exc).__name__
    return Finding(str(exc.path or "?"), exc.line or 1, exc.column or 1, message)


def _line_col(source: str, offset: int) -> tuple[int, int]:
    line = source.count("\n", 0, offset) + 1
    return line, offset - (source.rfind("\n", 0, offset) + 1) + 1


def strict_findings(path: str, source: str) -> list[Finding]:
    """Imports and reserved names, read from the text of one module."""
    out: list[Finding] = []
    seen: dict[str, int] = {}
    for m in _IMPORT.finditer(source):
        ref = m["ref"]
        if ref.startswith("rego.") or ref.startswith("future."):
            continue
        name = m["alias"] or ref.split(".")[-1]
        line, col = _line_col(source, m.start())
        if name in seen:
            out.append(Finding(path, line, col, f"import {ref}: duplicate import of {name}"))
            continue
        seen[name] = line
        rest = source[: m.start()] + source[m.end() :]
        if not re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", rest):
            out.append(Finding(path, line, col, f"import {ref}: unused import"))
    for pattern in (_RESERVED, _LOCAL_RESERVED):
        for m in pattern.finditer(source):
            line, col = _line_col(source, m.start())
            out.append(
                Finding(path, line, col, f"{m['name']} is a reserved word and cannot be assigned")
            )
    return out


def catalogue_findings(bundle: Bundle) -> list[Finding]:
    """METADATA blocks that do not parse, duplicate control ids, controls missing fields."""
    out: list[Finding] = []
    first: dict[str, str] = {}
    for path, source in bundle.modules:
        if Path(path).name.endswith("_test.rego"):
            continue
        try:
            controls = controls_in(path, source)
        except PolicyLoadError as exc:
            out.append(_from_error(exc))
            continue
        for c in controls:
            if c.scope != "rule" or c.id == c.package:
                continue
            where = f"{c.path}:{c.line}"
            if c.id in first:
                msg = f"control {c.id}: defined twice (first at {first[c.id]})"
                out.append(Finding(c.path, c.line, 1, msg))
            first.setdefault(c.id, where)
            missing = [f for f in CONTROL_FIELDS if not getattr(c, f)]
            if missing:
                msg = f"control {c.id}: METADATA without {', '.join(missing)}"
                out.append(Finding(c.path, c.line, 1, msg))
    return out


def check_policies(
    policies: str | Path | Sequence[str | Path],
    *,
    data: tuple[str | Path, ...] = (),
    limits: Limits | None = None,
    allow_builtins: tuple[str, ...] = (),
) -> list[Finding]:
    """Every finding for the policy directory (empty: the bundle is clean)."""
    bundle = read_bundle(policies, data)
    out: list[Finding] = []
    try:
        engine = SandboxEngine(bundle.modules, bundle.data, limits=limits)
    except PolicyError as exc:
        return [_from_error(exc)]  # nothing else can be analysed without an AST
    try:
        if engine.deferred_error is not None:
            out.append(_from_error(engine.deferred_error))
        calls = engine.info.calls
    finally:
        engine.close()
    for call in sorted(calls, key=lambda c: (c.path, c.line, c.column)):
        try:
            check_calls([call], allow_builtins)
        except PolicyLoadError as exc:
            out.append(_from_error(exc))
        if call.name in DEPRECATED:
            msg = f"deprecated built-in function {call.name}"
            out.append(Finding(call.path, call.line, call.column, msg))
    for path, source in bundle.modules:
        out.extend(strict_findings(path, source))
    out.extend(catalogue_findings(bundle))
    return out
