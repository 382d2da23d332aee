"""Builtins a policy may not call unless allow-listed, checked before any evaluation.

A gate decision must depend only on the policy bundle and the input document, so that a
stored decision can be replayed: builtins that reach the network, read the process
environment or return a different value on each call are refused. `input.now` is the
clock; `print` is allowed because its output is gathered by the engine and dropped.
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


def check_calls(calls: Iterable[Call], allow: Iterable[str] = ()) -> None:
    """Raise PolicyLoadError at the first refused, non-allow-listed call (file:line:col)."""
    allow = tuple(allow)
    for call in sorted(calls, key=lambda c: (c.path, c.line, c.column)):
        pattern = _rule_for(call.name)
        if pattern is None or _allowed(call.name, allow):
            continue
        raise PolicyLoadError(
            REFUSED_MSG.format(name=call.name, why=REFUSED[pattern]),
            path=call.path,
            line=call.line,
            column=call.column,
        )
