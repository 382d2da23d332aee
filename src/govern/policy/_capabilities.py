"""Builtins a policy may not call unless allow-listed, checked before any evaluation.

A gate decision must depend only on the policy bundle and the input document, so that a
stored decision can be replayed: builtins that reach the network, read the process
environment or return a different value on each call are refused. `input.now` is the
clock; `print` is allowed because its output is gathered by the engine and dropped.

Two guards, so that neither alone has to be perfect: `check_calls` refuses, at load time and
with a location, every call that resolves to a refused builtin (resolution as in `_ast.py`);
and `engine_denials` lists the refused builtins that the regorus engine is given as
extensions raising an error (regorus consults extensions before its builtins, and user
functions before both), so a call the static check missed still cannot run the builtin.
"""

from __future__ import annotations

from collections.abc import Iterable

from govern.errors import PolicyLoadError
from govern.policy._ast import Call

# name or "prefix.*" -> why it is refused
REFUSED: dict[str, str] = {
    "http.send": "sends network requests",
    "net.*": "reaches the network",
    "opa.runtime": "exposes the runtime environment",
    "time.now_ns": "is non-deterministic; use input.now",
    "rand.intn": "is non-deterministic",
    "uuid.rfc4122": "is non-deterministic",
}

# Every builtin REFUSED names, with its arity (OPA's builtin signatures); a regorus extension
# must be registered with the arity the policy calls it with.
ARITY: dict[str, int] = {
    "http.send": 1,
    "net.cidr_contains": 2,
    "net.cidr_contains_matches": 2,
    "net.cidr_expand": 1,
    "net.cidr_intersects": 2,
    "net.cidr_is_valid": 1,
    "net.cidr_merge": 1,
    "net.cidr_overlap": 2,
    "net.lookup_ip_addr": 1,
    "opa.runtime": 0,
    "time.now_ns": 0,
    "rand.intn": 2,
    "uuid.rfc4122": 1,
}

REFUSED_MSG = (
    "builtin {name} is refused: it {why}; allow it with --allow-builtin {name} "
    "if the policy really needs it"
)


def _rule_for(name: str) -> str | None:
    if name in REFUSED:
        return name
    for pattern in REFUSED:
        if pattern.endswith(".*") and name.startswith(pattern[:-1]):
            return pattern
    return None


def _allowed(name: str, allow: Iterable[str]) -> bool:
    for entry in allow:
        if entry == name or (entry.endswith(".*") and name.startswith(entry[:-1])):
            return True
    return False


def engine_denials(allow: Iterable[str] = ()) -> list[tuple[str, int, str]]:
    """(name, arity, message) of each refused builtin the engine must be denied."""
    allow = tuple(allow)
    out = []
    for name, arity in sorted(ARITY.items()):
        pattern = _rule_for(name)
        if pattern is not None and not _allowed(name, allow):
            out.append((name, arity, REFUSED_MSG.format(name=name, why=REFUSED[pattern])))
    return out


def check_calls(calls: Iterable[Call], allow: Iterable[str] = ()) -> None:
    """Raise PolicyLoadError at the first refused, non-allow-listed call (file:line:col)."""
    allow = tuple(allow)
    for call in sorted(calls, key=lambda c: (c.path, c.line, c.column)):
        if call.function is not None:  # a user function, not the builtin
            continue
        pattern = _rule_for(call.name)
        if pattern is None or _allowed(call.name, allow):
            continue
        raise PolicyLoadError(
            REFUSED_MSG.format(name=call.name, why=REFUSED[pattern]),
            path=call.path,
            line=call.line,
            column=call.column,
        )
