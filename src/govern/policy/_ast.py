"""What a compiled bundle contains, read from regorus' AST: packages, rule names, calls.

The engine adapters need two facts the Rego text does not give cheaply: which rules each
package defines (so that one query can gather `deny` and `warn` of many packages without
an undefined package making the whole query undefined), and which functions are called
(so that side-effecting builtins are refused before anything is evaluated).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from govern.errors import PolicyLoadError


@dataclass(frozen=True)
class Call:
    """One function call site."""

    name: str
    path: str
    line: int
    column: int


@dataclass(frozen=True)
class Guard:
    """A rule whose body starts with `data.govern.lib.applies("ID")` (see policy/_index.py)."""

    package: str
    rule: str
    control: str
    path: str
    line: int
    start: int  # byte offsets of the whole rule in the module's source
    end: int


@dataclass
class BundleInfo:
    """Rule names per package and every call site of a compiled bundle."""

    rules: dict[str, set[str]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    # (package, rule) -> (file, line) of its first definition
    locations: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)
    # (package, rule) -> number of definitions; rules guarded by an applies() call
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    guards: list[Guard] = field(default_factory=list)


def _ref_name(node: Any) -> str | None:
    """Dotted name of a Var / RefDot chain (`http.send`), None for anything else."""
    parts: list[str] = []
    while isinstance(node, dict):
        if "Var" in node:
            parts.append(str(node["Var"]["value"]))
            return ".".join(reversed(parts))
        if "RefDot" in node:
            parts.append(str(node["RefDot"]["field"][1]))
            node = node["RefDot"]["refr"]
            continue
        if "RefBrack" in node:
            parts.clear()  # obj["k"] heads: only the leading variable names the rule
            node = node["RefBrack"]["refr"]
            continue
        return None
    return None


def _head_name(rule: dict[str, Any]) -> tuple[str, int] | None:
    """Leading name of a rule head and the line it is on."""
    if "Default" in rule:
        node = rule["Default"]
        name = _ref_name(node["refr"])
    elif "Spec" in rule:
        node = rule["Spec"]
        head = node["head"]
        name = _ref_name(head[next(iter(head))]["refr"])
    else:
        return None
    if not name:
        return None
    return name.split(".")[0], int(node.get("span", {}).get("line", 0))


GUARD_FUNCTION = "data.govern.lib.applies"


def _import_map(imports: list[dict[str, Any]], source: bytes) -> dict[str, str]:
    """Local name -> full path of each `import data.x[.y] [as z]`."""
    out = {}
    for imp in imports:
        full = _ref_name(imp.get("refr"))
        if not full or not full.startswith("data."):
            continue
        alias = imp.get("as")
        if isinstance(alias, dict) and "start" in alias:
            local = source[alias["start"] : alias["end"]].decode(errors="replace")
        else:
            local = full.split(".")[-1]
        out[local] = full
    return out


def _guard_of(spec: dict[str, Any], imports: dict[str, str]) -> str | None:
    """The control id when the rule's only body starts with `applies("ID")`, else None."""
    bodies = spec.get("bodies") or []
    if len(bodies) != 1 or bodies[0].get("is_else") or bodies[0].get("assign"):
        return None
    stmts = (bodies[0].get("query") or {}).get("stmts") or []
    if not stmts or stmts[0].get("with_mods"):
        return None
    expr = (stmts[0].get("literal") or {}).get("Expr", {}).get("expr", {})
    call = expr.get("Call") if isinstance(expr, dict) else None
    if not isinstance(call, dict):
        return None
    name = _ref_name(call.get("fcn")) or ""
    head, _, rest = name.partition(".")
    full = f"{imports[head]}.{rest}" if head in imports and rest else name
    params = call.get("params") or []
    if full != GUARD_FUNCTION or len(params) != 1 or "String" not in params[0]:
        return None
    return str(params[0]["String"]["value"])


def _import_names(imports: list[dict[str, Any]], source: bytes) -> set[str]:
    """Local names bound by `import data.x` / `import data.x as y` (they shadow builtins)."""
    names = set()
    for imp in imports:
        alias = imp.get("as")
        if isinstance(alias, dict) and "start" in alias:  # a span into the source
            names.add(source[alias["start"] : alias["end"]].decode(errors="replace"))
        else:
            full = _ref_name(imp.get("refr"))
            if full and full.startswith("data."):
                names.add(full.split(".")[-1])
    return names


def _calls(node: Any, path: str, local: set[str]) -> list[Call]:
    found: list[Call] = []
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            call = cur.get("Call")
            if isinstance(call, dict) and "fcn" in call:
                name = _ref_name(call["fcn"])
                if name and name.split(".")[0] not in local:
                    span = call.get("span", {})
                    found.append(Call(name, path, int(span.get("line", 0)), span.get("col", 0)))
            stack.extend(cur.values())
        elif isinstance(cur, list):
            stack.extend(cur)
    return found


def analyse(ast_json: str) -> BundleInfo:
    """Rules per package and call sites, from `Engine.get_ast_as_json()`."""
    try:
        modules = json.loads(ast_json)
    except (RecursionError, ValueError) as exc:
        raise PolicyLoadError(f"read policy syntax tree: {type(exc).__name__}") from exc
    info = BundleInfo()
    for module in modules:
        path = str(module["source"]["file"])
        ast = module["ast"]
        package = _ref_name(ast["package"]["refr"]) or ""
        rules = info.rules.setdefault(package, set())
        source = str(module["source"].get("contents", "")).encode()
        imports = _import_map(ast.get("imports", []), source)
        for rule in ast.get("rules", []):
            head = _head_name(rule)
            if head:
                rules.add(head[0])
                info.locations.setdefault((package, head[0]), (path, head[1]))
                key = (package, head[0])
                info.counts[key] = info.counts.get(key, 0) + 1
                control = _guard_of(rule["Spec"], imports) if "Spec" in rule else None
                if control is not None:
                    span = rule["Spec"]["span"]
                    info.guards.append(
                        Guard(package, head[0], control, path, head[1], span["start"], span["end"])
                    )
        local = _import_names(ast.get("imports", []), source)
        info.calls.extend(_calls(ast.get("rules", []), path, local))
    return info
