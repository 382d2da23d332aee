"""Reading policy directories: Rego modules, data documents, and the bundle hash.

A bundle is read from one or more layers (directories) in order; `govern.policy._layers`
decides which layers a command uses (the shipped library, then the organisation's).
Within one layer a data key defined twice is an error; a later layer overrides an earlier
one key by key (deep merge, a list replaced whole), as data overlays do. A module whose
text is already loaded from an earlier layer is refused: that is a copy of the library
loaded beside the library, whose rules would conflict.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govern import _yaml
from govern.errors import PolicyLoadError

DATA_SUFFIXES = (".json", ".yaml", ".yml")
OUTSIDE = (
    "a symlink leading outside the policy directory (to {target}); policies and their data "
    "must live inside it, so that the bundle hash covers what is evaluated: copy the file in"
)
NOT_UTF8 = "not UTF-8 text (byte 0x{byte:02x}: {reason}); save the file as UTF-8"


DUPLICATE_MODULE = (
    "the same module is already loaded from {first}: a copy of a policy layer cannot be "
    "loaded beside it; make the copy replace the shipped library (a .manifest with "
    '{{"roots": ["govern"]}}, as `govern policy init` writes) or pass --no-default-library'
)


@dataclass(frozen=True)
class Bundle:
    """The files of one or more policy layers, read once."""

    root: Path  # the first layer
    modules: tuple[tuple[str, str], ...]  # (path as shown to the user, source)
    data: dict[str, Any]
    sha256: str
    overlays: tuple[tuple[str, str], ...] = ()  # (path, UTF-8 text) of each data overlay
    layers: tuple[Path, ...] = ()

    @property
    def paths(self) -> list[str]:
        """Relative paths of the Rego modules."""
        return [p for p, _ in self.modules]


def _merge(into: dict[str, Any], doc: dict[str, Any], path: str, prefix: str = "") -> None:
    for key, value in doc.items():
        where = f"{prefix}.{key}" if prefix else key
        if key in into:
            if isinstance(into[key], dict) and isinstance(value, dict):
                _merge(into[key], value, path, where)
                continue
            raise PolicyLoadError(f"data key {where!r} is defined twice", path=path)
        into[key] = value


def _at_directory(rel: str, doc: dict[str, Any]) -> dict[str, Any]:
    """`doc` placed under the path of its directory, as OPA's loader does.

    `policies/data.yaml` is `data`, `policies/org/limits.yaml` is `data.org`: the same
    layout therefore loads identically in govern and in stock `opa test` / `opa eval -d`.
    """
    for part in reversed(Path(rel).parent.parts):
        doc = {part: doc}
    return doc


def read_text(path: Path, shown: str) -> str:
    """A policy or data file as text; bytes that are not UTF-8 are a located load error.

    Without this a stray 0xFF byte would surface as a UnicodeDecodeError, an internal
    error (exit 3) with no file name, instead of a policy error the author can fix.
    """
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        msg = NOT_UTF8.format(byte=raw[exc.start], reason=exc.reason)
        raise PolicyLoadError(msg, path=shown, line=line, column=column) from None


def _read_data(path: Path, rel: str) -> dict[str, Any]:
    text = read_text(path, rel)
    if path.suffix != ".json":  # the card loader's YAML 1.2 rules and bounds (_yaml.py)
        try:
            doc = _yaml.parse(text)[0]
        except _yaml.YamlError as exc:
            msg = f"invalid data file: {exc.message}"
            raise PolicyLoadError(msg, path=rel, line=exc.line) from None
        return _mapping(doc, rel)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        line = getattr(exc, "lineno", None)
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            line = mark.line + 1
        raise PolicyLoadError(f"invalid data file: {exc}", path=rel, line=line) from exc
    return _mapping(doc, rel)


def _mapping(doc: Any, rel: str) -> dict[str, Any]:
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise PolicyLoadError("a data file must hold a mapping at its top level", path=rel)
    return doc


def _read_layer(
    base: Path, modules: list[tuple[str, str]], digest: Any, prefix: bytes
) -> dict[str, Any]:
    """Modules of one layer (appended to `modules`) and its data."""
    if not base.is_dir():
        raise PolicyLoadError("policy directory not found", path=base)
    data: dict[str, Any] = {}
    files = sorted(p for p in base.rglob("*") if p.is_file())
    inside = base.resolve()
    for p in files:
        rel = p.relative_to(base).as_posix()
        if p.suffix in (".rego", *DATA_SUFFIXES) and not p.resolve().is_relative_to(inside):
            raise PolicyLoadError(OUTSIDE.format(target=p.resolve()), path=p)
        if p.suffix == ".rego":
            source = read_text(p, str(p))
            modules.append((str(base / rel), source))
        elif p.suffix in DATA_SUFFIXES:
            _merge(data, _at_directory(rel, _read_data(p, str(p))), str(p))
        else:
            continue
        digest.update(prefix + rel.encode() + b"\0" + p.read_bytes() + b"\0")
    return data


def read_bundle(
    root: str | Path | Sequence[str | Path], overlays: tuple[str | Path, ...] = ()
) -> Bundle:
    """Read `*.rego` and data files under each layer recursively; overlays override data keys.

    `root` is one directory or a sequence of layers, read in order. The bundle hash is
    sha256 over the sorted relative paths and contents of every file read (a layer after
    the first is marked by its position; overlays included), so the same policies always
    give the same hash, and a single directory hashes as it always did.
    """
    layers = [Path(root)] if isinstance(root, str | Path) else [Path(r) for r in root]
    if not layers:
        raise PolicyLoadError("no policy directory given")
    modules: list[tuple[str, str]] = []
    data: dict[str, Any] = {}
    digest = hashlib.sha256()
    seen: dict[str, str] = {}
    for i, base in enumerate(layers):
        prefix = b"" if i == 0 else f"layer {i}\0".encode()
        first = len(modules)
        layer_data = _read_layer(base, modules, digest, prefix)
        for path, source in modules[first:]:
            if source in seen and seen[source] != path:
                msg = DUPLICATE_MODULE.format(first=seen[source])
                raise PolicyLoadError(msg, path=path)
        seen.update((source, path) for path, source in modules[first:])
        _deep_override(data, layer_data)
    if not modules:
        raise PolicyLoadError("no .rego files found", path=layers[-1])
    kept: list[tuple[str, str]] = []
    for overlay in overlays:
        op = Path(overlay)
        if not op.is_file():
            raise PolicyLoadError("data overlay not found", path=op)
        _deep_override(data, _read_data(op, str(op)))
        digest.update(b"overlay\0" + op.read_bytes() + b"\0")
        kept.append((str(op), read_text(op, str(op))))  # stored with decisions, for replay
    return Bundle(
        layers[0],
        tuple(modules),
        data,
        digest.hexdigest(),
        overlays=tuple(kept),
        layers=tuple(layers),
    )


def _deep_override(into: dict[str, Any], doc: dict[str, Any]) -> None:
    for key, value in doc.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _deep_override(into[key], value)
        else:
            into[key] = value
