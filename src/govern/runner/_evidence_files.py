"""Evidence from JSON files, for `govern check` without a database.

A file holds the same object policies read as `input.evidence`: one key per evidence
family, e.g. `{"drift": {"max_psi": 0.04, "features": [...]}}` (the shape is documented
in docs/ci.md and runner/evidence_doc.py). `--evidence FILE` applies to every model
checked; `--evidence NAME=FILE` or `--evidence NAME@VERSION=FILE` to one model only.
Two files that give the same family to the same model are an error, not a silent merge.
The fields policies gate on are type- and range-checked when the file is read
(runner/_evidence_schema.py): a wrong value is refused with the file named, never skipped.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govern.errors import UserInputError
from govern.lifecycle import ModelRef
from govern.runner._evidence_schema import EvidenceProblem, validate

# The evidence shape nests about six levels (fairness.attributes[].groups[].n); anything far
# deeper is not evidence, and would exhaust the recursion of the JSON parser or of the
# canonical encoding that digests the policy input.
MAX_DEPTH = 64
MAX_BYTES = 64 * 1024 * 1024
TOO_DEEP = f"invalid evidence: JSON nested deeper than {MAX_DEPTH} levels"

_TARGETED = re.compile(r"^(?P<ref>[A-Za-z0-9_.-]+(?:@[A-Za-z0-9_.+-]+)?)=(?P<path>.+)$")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed; write null for a metric that was not measured")


def read_evidence(path: Path) -> dict[str, Any]:
    """Parse and range-check one evidence file; errors name the file (and line)."""
    try:
        st = os.stat(path)
    except FileNotFoundError as exc:
        raise UserInputError("evidence file not found", path=path) from exc
    except OSError as exc:
        raise UserInputError(f"cannot read evidence file: {exc.strerror}", path=path) from exc
    if not stat.S_ISREG(st.st_mode):  # a FIFO would block the read forever
        raise UserInputError("evidence file is not a regular file", path=path)
    if st.st_size > MAX_BYTES:
        raise UserInputError(
            f"evidence file is {st.st_size} bytes; at most {MAX_BYTES} are read", path=path
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserInputError(f"cannot read evidence file: {exc}", path=path) from exc
    try:
        doc = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise UserInputError(
            f"invalid JSON: {exc.msg}", path=path, line=exc.lineno, column=exc.colno
        ) from exc
    except RecursionError as exc:
        raise UserInputError(TOO_DEEP, path=path) from exc
    except ValueError as exc:
        raise UserInputError(f"invalid evidence: {exc}", path=path) from exc
    if _depth(doc) > MAX_DEPTH:
        raise UserInputError(TOO_DEEP, path=path)
    if not isinstance(doc, dict):
        raise UserInputError(
            'evidence must be a JSON object of families, e.g. {"drift": {...}}', path=path, line=1
        )
    for family, value in doc.items():
        if not isinstance(value, dict):
            raise UserInputError(
                f"evidence family {family!r} must be an object, got {type(value).__name__}",
                path=path,
            )
    try:
        validate(doc)
    except EvidenceProblem as exc:
        raise UserInputError(f"invalid evidence: {exc}", path=path) from exc
    return doc


def _depth(doc: Any) -> int:
    """Nesting depth of a parsed JSON value, without recursion."""
    deepest, stack = 0, [(doc, 1)]
    while stack:
        value, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            break
        if isinstance(value, dict):
            stack.extend((v, level + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, level + 1) for v in value)
    return deepest


@dataclass(frozen=True)
class EvidenceFile:
    """One parsed `--evidence` argument: the model it targets (None: all) and its document."""

    path: Path
    target: ModelRef | None
    doc: dict[str, Any]

    def applies_to(self, name: str, version: str) -> bool:
        """True when this file's evidence belongs to the model version."""
        t = self.target
        return t is None or (t.name == name and t.version in (None, version))


def parse_evidence_args(specs: Sequence[str]) -> list[EvidenceFile]:
    """`FILE`, `NAME=FILE` or `NAME@VERSION=FILE`, each read and validated."""
    out = []
    for spec in specs:
        m = _TARGETED.match(spec)
        if m and not Path(spec).exists():
            out.append(
                EvidenceFile(
                    Path(m["path"]), ModelRef.parse(m["ref"]), read_evidence(Path(m["path"]))
                )
            )
        else:
            out.append(EvidenceFile(Path(spec), None, read_evidence(Path(spec))))
    return out


def evidence_for(files: Sequence[EvidenceFile], name: str, version: str) -> dict[str, Any]:
    """The merged evidence document of one model version."""
    doc: dict[str, Any] = {}
    source: dict[str, Path] = {}
    for f in files:
        if not f.applies_to(name, version):
            continue
        for family, value in f.doc.items():
            if family in source:
                raise UserInputError(
                    f"evidence family {family!r} for {name}@{version} is given twice "
                    f"({source[family]} and {f.path}); pass one file per family",
                )
            source[family] = f.path
            doc[family] = value
    return doc


def check_targets(files: Sequence[EvidenceFile], checked: Sequence[tuple[str, str]]) -> None:
    """Every targeted evidence file names a model that is being checked."""
    for f in files:
        if f.target is None:
            continue
        if not any(f.applies_to(n, v) for n, v in checked):
            names = ", ".join(f"{n}@{v}" for n, v in checked) or "none"
            raise UserInputError(
                f"--evidence {f.target}={f.path}: no such model is checked; checked: {names}"
            )
