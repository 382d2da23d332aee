"""Rule indexing by lifecycle stage: evaluate only the rules that can apply at a stage.

Every control rule of the library starts with `lib.applies("ID")`, which holds exactly
when `input.stage` is listed for ID in `data.govern.control_stages`. The data is fixed
once the bundle is loaded, so for a decision at stage S the rules guarded by a control
not listed for S cannot contribute anything; evaluating them still costs the engine a
function call each. The index keeps, per stage, a copy of the modules without those rules
(their bytes cut out by the spans of regorus' syntax tree) and without test files, and
the engines evaluate a decision at S on that copy. OPA does the same for rules whose
conditions compare `input` to constants ("Optimizing OPA: Rule Indexing",
https://openpolicyagent.org/blog/optimizing-opa-rule-indexing-59f03f17caf3); regorus has
no rule index, so govern applies it to the one guard the library relies on.

Two more rewrites of the copies, by the same spans, make the kept rules cheaper:
- the guard `lib.applies("ID")` of a kept rule holds by construction at S, so it becomes
  `true` (regorus memoises no function call: each guard cost ~12 us per evaluation);
- an import alias at the root of a reference becomes the imported path (`lib.m` ->
  `data.govern.lib.m`, `model.x` -> `input.model.x` for `import input.model`): regorus
  resolves a reference through an alias by evaluating the whole imported document (every
  rule of `data.govern.lib`, ~350 us per evaluation), the full path only the rule
  named. OPA resolves imports to full paths at compile time, so the copies evaluate what
  OPA evaluates. A module is left as it is whenever policy/_ast.py cannot prove the
  replacement exact (the alias used as a variable, a rule or package named like it, a
  call through it that is not a user function, a `with` modifier). One difference from
  regorus on the full bundle remains, in OPA's favour: there, a rule of `govern.lib` that
  nothing asked for but that raises an error fails the decision; the copies never
  evaluate it (the library's helpers are written not to raise on any input).

It is only used when it is exact:
- `data.govern.lib.applies` must be the library's definition (`input.stage in
  data.govern.control_stages[id]`, compared as text without spaces); any other definition
  turns the index off, so a bundle that redefines it is evaluated in full;
- a decision uses the copy for S only when `input.stage` is S (the runner's inputs are);
- `tests/policy/test_index.py` decides every stage of generated inputs with and without
  the index and requires identical violations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govern.policy._ast import AliasUse, BundleInfo, Guard

LIB_PACKAGE = "govern.lib"
# `applies` as the library defines it, without whitespace
KNOWN_APPLIES = frozenset({"applies(id)ifinput.stageindata.govern.control_stages[id]"})
_DEFINITION = re.compile(r"^applies\s*\(", re.MULTILINE)


@dataclass(frozen=True)
class StageIndex:
    """Per stage: the modules to compile, and the (package, rule) pairs left undefined."""

    modules: dict[str, tuple[tuple[str, str], ...]]
    emptied: dict[str, frozenset[tuple[str, str]]]

    def variant_for(self, stage: str, input_stage: Any) -> str | None:
        """The variant to evaluate a decision at `stage` on, or None for the full bundle."""
        return stage if stage == input_stage and stage in self.modules else None


def _applies_definitions(modules: tuple[tuple[str, str], ...], info: BundleInfo) -> list[str]:
    """Text of every `applies` rule of package govern.lib (whitespace removed)."""
    lib_files = {p for (pkg, _), (p, _) in info.locations.items() if pkg == LIB_PACKAGE}
    found = []
    for path, source in modules:
        if path not in lib_files:
            continue
        for m in _DEFINITION.finditer(source):
            line = source[m.start() :].split("\n", 1)[0]
            found.append("".join(line.split()))
    return found


def _is_test(path: str) -> bool:
    return Path(path).name.endswith("_test.rego")


def _test_modules(modules: tuple[tuple[str, str], ...]) -> set[str]:
    """Test files whose package no other module mentions (safe to leave out of a decision)."""
    others = "\n".join(src for p, src in modules if not _is_test(p))
    out = set()
    for path, source in modules:
        if not _is_test(path):
            continue
        m = re.search(r"^package\s+([\w.]+)", source, re.MULTILINE)
        if m and m.group(1).rsplit(".", 1)[-1] not in others:
            out.add(path)
    return out


def _stage_lists(data: dict[str, Any]) -> dict[str, list[str]] | None:
    govern = data.get("govern")
    stages = govern.get("control_stages") if isinstance(govern, dict) else None
    if not isinstance(stages, dict):
        return None
    out: dict[str, list[str]] = {}
    for cid, listed in stages.items():
        if not isinstance(listed, list) or not all(isinstance(s, str) for s in listed):
            return None  # the guard's `in` would not be a plain membership test
        out[str(cid)] = listed
    return out


def build_index(
    modules: tuple[tuple[str, str], ...],
    data: dict[str, Any],
    info: BundleInfo,
    stages: tuple[str, ...],
) -> StageIndex | None:
    """The per-stage copies of `modules`, or None when indexing would not be exact."""
    definitions = _applies_definitions(modules, info)
    if not info.guards or not definitions or not set(definitions) <= KNOWN_APPLIES:
        return None
    listed = _stage_lists(data)
    if listed is None:
        return None
    skip_tests = _test_modules(modules)
    by_path: dict[str, list[Guard]] = {}
    for g in info.guards:
        by_path.setdefault(g.path, []).append(g)
    out: dict[str, tuple[tuple[str, str], ...]] = {}
    emptied: dict[str, frozenset[tuple[str, str]]] = {}
    for stage in stages:
        dropped = [g for g in info.guards if stage not in listed.get(g.control, [])]
        gone: dict[tuple[str, str], int] = {}
        for g in dropped:
            gone[(g.package, g.rule)] = gone.get((g.package, g.rule), 0) + 1
        emptied[stage] = frozenset(k for k, n in gone.items() if n == info.counts.get(k, 0))
        kept = []
        for path, source in modules:
            if path in skip_tests:
                continue
            edits = _edits(by_path.get(path, []), info.alias_uses.get(path), stage, listed)
            kept.append((path, _edit(source, edits) if edits else source))
        out[stage] = tuple(kept)
    return StageIndex(out, emptied)


def _edits(
    guards: list[Guard],
    uses: tuple[AliasUse, ...] | None,
    stage: str,
    listed: dict[str, list[str]],
) -> list[tuple[int, int, bytes | None]]:
    """The byte ranges to change in one module's copy for `stage`, in order.

    (start, end, None) cuts a rule guarded by a control not listed at the stage; (start,
    end, b"true") replaces the guard call of a rule that is kept (it holds by
    construction); (start, end, b"data.x.y") replaces an import alias by its path. Alias
    uses inside a cut rule or a replaced guard are dropped with it.
    """
    spans: list[tuple[int, int, bytes | None]] = []
    for g in guards:
        if stage not in listed.get(g.control, []):
            spans.append((g.start, g.end, None))
        elif g.call_end > g.call_start:
            spans.append((g.call_start, g.call_end, TRUE))
    spans.sort()
    out: list[tuple[int, int, bytes | None]] = list(spans)
    covered = iter(spans)
    current = next(covered, None)
    for use in sorted(uses or (), key=lambda u: u.start):
        while current is not None and current[1] <= use.start:
            current = next(covered, None)
        if current is not None and current[0] <= use.start < current[1]:
            continue
        out.append((use.start, use.end, use.path.encode()))
    out.sort(key=lambda e: e[0])
    return out


TRUE = b"true"


def _edit(source: str, edits: list[tuple[int, int, bytes | None]]) -> str:
    """`source` with each byte range of `edits` cut (None) or replaced, in order.

    A cut leaves as many newlines as it held and a replacement keeps the newlines of what
    it replaces, so every remaining rule stays on its original line: an error a copy
    reports names the same file:line as the full bundle would (columns may differ).
    """
    raw = source.encode()
    parts = []
    pos = 0
    for start, end, new in edits:
        parts.append(raw[pos:start])
        if new is not None:
            parts.append(new)
        parts.append(b"\n" * raw.count(b"\n", start, end))
        pos = end
    parts.append(raw[pos:])
    return b"".join(parts).decode()


def _cut(source: str, cuts: list[tuple[int, int]]) -> str:
    """`source` without the byte ranges `cuts` (see _edit)."""
    return _edit(source, [(s, e, None) for s, e in cuts])


__all__ = ["StageIndex", "build_index"]
