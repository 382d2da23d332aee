"""Model cards: the YAML files that declare a model version and its governance facts.

The required fields are few on purpose; every other field is carried into the policy input
as `input.model.<field>` so that policies, not code, decide what must be present.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from govern.errors import ModelCardError
from govern.lifecycle import STAGES

REQUIRED: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "version": (str, int),
    "owner": str,
    "risk_tier": (str, int),
    "use_case": str,
}
OPTIONAL: dict[str, type | tuple[type, ...]] = {
    "description": str,
    "regulatory_scope": list,
    "stage": str,
    "monitoring": dict,
}


@dataclass(frozen=True)
class ModelCard:
    """A validated model card and where it came from."""

    data: dict[str, Any]
    path: str | None
    sha256: str

    @property
    def name(self) -> str:
        """Model name (stable across versions)."""
        return str(self.data["name"])

    @property
    def version(self) -> str:
        """Version label, always a string."""
        return str(self.data["version"])

    @property
    def stage(self) -> str:
        """Declared initial stage (only used when the version is first registered)."""
        return str(self.data.get("stage", "proposed"))


def _line_of(node: yaml.Node | None, key: str) -> int | None:
    if isinstance(node, yaml.MappingNode):
        for k, _ in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return int(k.start_mark.line) + 1
    return None


def _type_name(t: type | tuple[type, ...]) -> str:
    types = t if isinstance(t, tuple) else (t,)
    names = {str: "string", int: "integer", list: "list", dict: "mapping"}
    return " or ".join(names.get(x, x.__name__) for x in types)


def parse_card(text: str, path: str | None = None) -> ModelCard:
    """Parse and validate one model card; errors name the file, line and field."""
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ModelCardError(f"invalid YAML: {problem}", path=path, line=line) from exc
    if not isinstance(data, dict):
        raise ModelCardError("a model card must be a YAML mapping of fields", path=path, line=1)
    for field in REQUIRED:
        if field not in data or data[field] in (None, ""):
            raise ModelCardError(f"missing required field {field!r}", path=path)
    for field, expected in {**REQUIRED, **OPTIONAL}.items():
        if field in data and not isinstance(data[field], expected):
            raise ModelCardError(
                f"field {field!r} must be a {_type_name(expected)}, "
                f"got {type(data[field]).__name__}",
                path=path,
                line=_line_of(node, field),
            )
    stage = data.get("stage", "proposed")
    if stage not in STAGES:
        raise ModelCardError(
            f"field 'stage': unknown stage {stage!r}; valid stages are: {', '.join(STAGES)}",
            path=path,
            line=_line_of(node, "stage"),
        )
    digest = hashlib.sha256(text.encode()).hexdigest()
    return ModelCard(data=data, path=path, sha256=digest)


def load_card(path: str | Path) -> ModelCard:
    """Read and validate a model card file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ModelCardError("file not found", path=p) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelCardError(f"cannot read model card: {exc}", path=p) from exc
    return parse_card(text, str(p))
