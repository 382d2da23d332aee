"""What a compiled bundle contains, read from regorus' AST: packages, rule names, calls.

The engine adapters need two facts the Rego text does not give cheaply: which rules each
package defines (so that one query can gather `deny` and `warn` of many packages without
an undefined package making the whole query undefined), and which functions are called
(so that side-effecting builtins are refused before anything is evaluated).

Calls are resolved as regorus resolves them (checked in tests/policy/test_capabilities.py):
a call `a.b(...)` runs a user function when one is defined at `data.<package>.a.b` or, if
`a` is an import (`import data.x` / `import data.x as a`), at `data.x.b`; otherwise the
builtin named by the call as written runs, imports notwithstanding. So `import data.time`
does not shadow `time.now_ns()` unless `data.time.now_ns` is a function (a rule `now_ns :=
1` does not count), and `time["now_ns"]()` is the builtin `time.now_ns`. OPA resolves
imports first (compile.go `resolveRefsInExpr`), which only ever yields user functions or
a compile error, so the regorus rule is the stricter of the two.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from govern.errors import PolicyLoadError


@dataclass(frozen=True)
class Call:
    """One function call site."""

    name: str  # as written, string brackets as dots: time["now_ns"] -> time.now_ns
    path: str
    line: int
    column: int
    function: str | None = None  # the user function it resolves to, None for a builtin


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
    call_start: int = 0  # byte offsets of the `applies("ID")` call itself
    call_end: int = 0


@dataclass(frozen=True)
class AliasUse:
    """An import alias at the root of a reference: `lib` in `lib.m`, `lib[k]`, `lib.f(x)`."""

    start: int  # byte offsets of the alias name in the module's source
    end: int
    path: str  # what it stands for: `data.govern.lib`, `input.model`


@dataclass
class BundleInfo:
    """Rule names per package and every call site of a compiled bundle."""

    rules: dict[str, set[str]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    # (package, rule) -> (file, line) of its first definition
    locations: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)
    # full paths (`data.pkg.f`) of every user-defined function
    functions: set[str] = field(default_factory=set)
    # (package, rule) -> number of definitions; rules guarded by an applies() call
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    guards: list[Guard] = field(default_factory=list)
    # module path -> every use of an import alias, or None when replacing them by the
    # imported path is not proven exact (see _alias_uses); modules without imports: absent
    alias_uses: dict[str, tuple[AliasUse, ...] | None] = field(default_factory=dict)


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


def _guard_of(spec: dict[str, Any], imports: dict[str, str]) -> tuple[str, int, int] | None:
    """(control id, call span) when the rule's only body starts with `applies("ID")`."""
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
    span = call.get("span") or {}
    return str(params[0]["String"]["value"]), int(span.get("start", 0)), int(span.get("end", 0))


def _call_name(node: Any) -> str | None:
    """Dotted name a call is made by: Var / RefDot / RefBrack with a string index."""
    parts: list[str] = []
    while isinstance(node, dict):
        if "Var" in node:
            parts.append(str(node["Var"]["value"]))
            return ".".join(reversed(parts))
        if "RefDot" in node:
            parts.append(str(node["RefDot"]["field"][1]))
            node = node["RefDot"]["refr"]
        elif "RefBrack" in node and "String" in node["RefBrack"].get("index", {}):
            parts.append(str(node["RefBrack"]["index"]["String"]["value"]))
            node = node["RefBrack"]["refr"]
        else:
            return None
    return None


def _function_path(rule: dict[str, Any], package: str) -> str | None:
    """`data.<package>.<head>` of a function definition, None for other rules."""
    head = rule.get("Spec", {}).get("head", {})
    if "Func" not in head:
        return None
    name = _call_name(head["Func"]["refr"])
    return f"data.{package}.{name}" if name else None


def _imports(imports: list[dict[str, Any]], source: bytes) -> dict[str, str]:
    """Local name -> imported `data.` path (`import data.x.y` binds y, `as z` binds z)."""
    names: dict[str, str] = {}
    for imp in imports:
        full = _call_name(imp.get("refr"))
        if not full or not full.startswith("data."):
            continue  # input.*, rego.v1, future.keywords: never user functions
        alias = imp.get("as")
        if isinstance(alias, dict) and "start" in alias:  # a span into the source
            local = source[alias["start"] : alias["end"]].decode(errors="replace")
        else:
            local = full.split(".")[-1]
        names[local] = full
    return names


def _resolve(name: str, package: str, imports: dict[str, str], functions: set[str]) -> str | None:
    """The user function a call named `name` runs, or None when it runs a builtin."""
    if name.startswith("data."):
        return name
    candidates = [f"data.{package}.{name}"]
    head, _, rest = name.partition(".")
    if head in imports:
        candidates.append(imports[head] + (f".{rest}" if rest else ""))
    return next((c for c in candidates if c in functions), None)


def _calls(node: Any) -> list[tuple[str, int, int]]:
    """(name, line, column) of every call under `node`."""
    found: list[tuple[str, int, int]] = []
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            call = cur.get("Call")
            if isinstance(call, dict) and "fcn" in call:
                name = _call_name(call["fcn"])
                if name:
                    span = call.get("span", {})
                    found.append((name, int(span.get("line", 0)), int(span.get("col", 0))))
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
    pending = []
    for module in modules:
        path = str(module["source"]["file"])
        ast = module["ast"]
        package = _ref_name(ast["package"]["refr"]) or ""
        rules = info.rules.setdefault(package, set())
        source = str(module["source"].get("contents", "")).encode()
        imports = _imports(ast.get("imports", []), source)
        for rule in ast.get("rules", []):
            head = _head_name(rule)
            if head:
                rules.add(head[0])
                info.locations.setdefault((package, head[0]), (path, head[1]))
                key = (package, head[0])
                info.counts[key] = info.counts.get(key, 0) + 1
                guard = _guard_of(rule["Spec"], imports) if "Spec" in rule else None
                if guard is not None:
                    control, c_start, c_end = guard
                    span = rule["Spec"]["span"]
                    info.guards.append(
                        Guard(
                            package,
                            head[0],
                            control,
                            path,
                            head[1],
                            span["start"],
                            span["end"],
                            c_start,
                            c_end,
                        )
                    )
            function = _function_path(rule, package)
            if function:
                info.functions.add(function)
        aliases = _aliases(ast.get("imports", []), source)
        uses = _alias_uses(ast.get("rules", []), aliases) if aliases else None
        pending.append((path, package, imports, _calls(ast.get("rules", [])), aliases, uses))
    packages = set(info.rules)
    for path, package, imports, calls, aliases, uses in pending:  # all functions known now
        for name, line, col in calls:
            function = _resolve(name, package, imports, info.functions)
            info.calls.append(Call(name, path, line, col, function))
        if aliases:
            info.alias_uses[path] = _proven(uses, package, aliases, info, packages)
    return info


def _aliases(imports: list[dict[str, Any]], source: bytes) -> dict[str, str]:
    """Local name -> imported path, for `import data.x.y [as z]` and `import input.x [as z]`.

    Anything else (`rego.v1`, `future.keywords`, a bare `import data`) is left out.
    """
    names: dict[str, str] = {}
    for imp in imports:
        full = _dotted(imp.get("refr"))  # dots only: `import data.x["y"]` is not kept
        if not full or full.split(".")[0] not in ("data", "input") or "." not in full:
            continue
        alias = imp.get("as")
        if isinstance(alias, dict) and "start" in alias:
            local = source[alias["start"] : alias["end"]].decode(errors="replace")
        else:
            local = full.split(".")[-1]
        names[local] = full
    return names


def _dotted(node: Any) -> str | None:
    """`a.b.c` of a Var / RefDot chain; None when any part is a bracket."""
    parts: list[str] = []
    while isinstance(node, dict) and "RefDot" in node:
        parts.append(str(node["RefDot"]["field"][1]))
        node = node["RefDot"]["refr"]
    if not isinstance(node, dict) or "Var" not in node:
        return None
    parts.append(str(node["Var"]["value"]))
    return ".".join(reversed(parts))


class _Unproven(Exception):
    """An alias occurs where replacing it by its path might change the meaning."""


def _root(node: Any) -> Any:
    """The node a reference chain starts from (`lib` of `lib.a[k].b`)."""
    while isinstance(node, dict) and ("RefDot" in node or "RefBrack" in node):
        node = node["RefDot"]["refr"] if "RefDot" in node else node["RefBrack"]["refr"]
    return node


def _alias_uses(
    rules: list[dict[str, Any]], aliases: dict[str, str]
) -> tuple[list[AliasUse], list[str]] | None:
    """Every alias at the root of a reference in `rules`, and the calls made through one.

    None when an alias name occurs anywhere else: as a variable (`some lib`, `lib := 1`, a
    function argument, a bare `lib`), in a rule head's name, as a called name (`lib(x)`,
    `lib[k](x)`), or when a `with` modifier is present: the name may then be a local
    variable or bind differently, and the module is left unchanged.
    """
    uses: list[AliasUse] = []
    called: list[str] = []
    stack: list[tuple[Any, bool]] = []
    for rule in rules:
        for kind in ("Spec", "Default"):
            if kind not in rule:
                continue
            node = rule[kind]
            head = node if kind == "Default" else next(iter(node["head"].values()))
            if _mentions(head.get("refr"), aliases):
                return None  # a rule named like an alias
            stack.extend((v, False) for k, v in head.items() if k != "refr")
            if kind == "Default":
                continue
            stack.extend((b, False) for b in node.get("bodies") or [])
    try:
        while stack:
            cur, is_root = stack.pop()
            if isinstance(cur, list):
                stack.extend((x, False) for x in cur)
                continue
            if not isinstance(cur, dict):
                continue
            if cur.get("with_mods"):
                raise _Unproven
            if "Var" in cur:
                name = str(cur["Var"]["value"])
                if name in aliases:
                    if not is_root:
                        raise _Unproven
                    span = cur["Var"]["span"]
                    uses.append(AliasUse(span["start"], span["end"], aliases[name]))
            elif "RefDot" in cur:
                stack.append((cur["RefDot"]["refr"], True))
            elif "RefBrack" in cur:
                stack.append((cur["RefBrack"]["refr"], True))
                stack.append((cur["RefBrack"]["index"], False))
            elif "Call" in cur and isinstance(cur["Call"], dict) and "fcn" in cur["Call"]:
                call = cur["Call"]
                root = _root(call["fcn"])
                if isinstance(root, dict) and str(root.get("Var", {}).get("value")) in aliases:
                    through = _call_name(call["fcn"]) or ""
                    head, _, rest = through.partition(".")
                    if not rest or call["fcn"] is root:
                        raise _Unproven  # `lib(x)`, `lib[k](x)`: not a plain function path
                    called.append(f"{aliases[head]}.{rest}")
                stack.append((call["fcn"], False))
                stack.append((call.get("params") or [], False))
            else:
                stack.extend((v, False) for v in cur.values())
    except _Unproven:
        return None
    return uses, called


def _mentions(node: Any, aliases: dict[str, str]) -> bool:
    """Any variable of `node` is named like an alias."""
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            if "Var" in cur and str(cur["Var"]["value"]) in aliases:
                return True
            stack.extend(cur.values())
        elif isinstance(cur, list):
            stack.extend(cur)
    return False


def _proven(
    found: tuple[list[AliasUse], list[str]] | None,
    package: str,
    aliases: dict[str, str],
    info: BundleInfo,
    packages: set[str],
) -> tuple[AliasUse, ...] | None:
    """The uses, when every one of them may be replaced by its path without a change.

    Beyond what _alias_uses checks: no rule of the package (in any module) and no package
    below it is named like an alias (regorus looks a call `a.f()` up at `data.<package>.a.f`
    before the import), and every call made through an alias runs a user function (a call
    that falls back to a builtin would stop doing so under its full path).
    """
    if found is None:
        return None
    uses, called = found
    names = info.rules.get(package, set())
    for alias in aliases:
        if alias in names or any(
            p == f"{package}.{alias}" or p.startswith(f"{package}.{alias}.") for p in packages
        ):
            return None
    if any(c not in info.functions for c in called):
        return None
    return tuple(uses)
