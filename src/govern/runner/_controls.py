"""What reports need from the bundle besides decisions: controls evaluated, and their metadata.

A CI test tab shows a control as fixed only if the control appears as a passing test case
in the next run, so each decision lists every control its gate evaluated, not just those
that fired. A control counts as evaluated for a decision when its id is written in one of
the decision's packages, or in a package they import (the gates' shared baseline lives in
`govern.lib`), and, where `data.govern.control_stages` lists stages for it, the decision's
stage is one of them (the library's `lib.applies(id)`). Ids are read from the source text
(`"control": "ID"` and `# METADATA` `custom.id`): no engine is involved. A METADATA block
that is not valid YAML costs only its metadata here (`govern policy list` reports it); it
does not stop the gate, which never read METADATA before.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from govern.errors import PolicyLoadError
from govern.output import ControlInfo
from govern.policy import Bundle
from govern.policy._catalogue import controls_in

_PACKAGE = re.compile(r"^package\s+([\w.]+)", re.MULTILINE)
_IMPORT = re.compile(r"^import\s+data\.([\w.]+)", re.MULTILINE)
_CONTROL = re.compile(r'"control"\s*:\s*"([^"]+)"')
_META_ID = re.compile(r"^#\s+id:\s*([\w.-]+)\s*$", re.MULTILINE)


class BundleControls:
    """Control ids per package of one bundle (read once per run), metadata on demand.

    Ids come from regular expressions over the text; the METADATA YAML is parsed only for
    the modules holding a control that a report needs to describe (parsing all of the
    shipped library's blocks would cost a gate ~0.1 s on every run).
    """

    def __init__(self, bundle: Bundle) -> None:
        self._ids: dict[str, list[str]] = {}
        self._imports: dict[str, list[str]] = {}
        self._modules: list[tuple[str, str, set[str]]] = []
        for path, source in bundle.modules:
            if Path(path).name.endswith("_test.rego"):
                continue
            m = _PACKAGE.search(source)
            if m is None:
                continue
            package = m.group(1)
            ids = self._ids.setdefault(package, [])
            self._imports.setdefault(package, []).extend(_IMPORT.findall(source))
            found = _META_ID.findall(source) + _CONTROL.findall(source)
            for cid in found:
                if cid not in ids:
                    ids.append(cid)
            self._modules.append((path, source, set(found)))
        stages = bundle.data.get("govern", {}).get("control_stages")
        self._stages: dict[str, object] = stages if isinstance(stages, dict) else {}

    def evaluated(self, packages: Sequence[str], stage: str) -> tuple[str, ...]:
        """The control ids a decision over `packages` at `stage` evaluated, in source order."""
        seen: list[str] = []
        todo = list(packages)
        visited: set[str] = set()
        while todo:
            package = todo.pop(0)
            if package in visited:
                continue
            visited.add(package)
            todo.extend(self._imports.get(package, []))
            for cid in self._ids.get(package, []):
                applies = self._stages.get(cid)
                if isinstance(applies, list) and stage not in applies:
                    continue
                if cid not in seen:
                    seen.append(cid)
        return tuple(seen)

    def infos(self, wanted: Iterable[str]) -> tuple[ControlInfo, ...]:
        """Catalogue metadata of the `wanted` control ids that have a METADATA block, by id."""
        want = set(wanted)
        found: dict[str, ControlInfo] = {}
        for path, source, ids in self._modules:
            if not want & ids:
                continue
            try:
                controls = [c for c in controls_in(path, source) if c.scope == "rule"]
            except PolicyLoadError:  # `govern policy list` reports it; a gate runs without
                continue
            for c in controls:
                if c.id in want and c.id not in found:
                    found[c.id] = ControlInfo(
                        c.id, c.title, c.description, c.source, c.article, c.severity
                    )
        return tuple(found[k] for k in sorted(found))
