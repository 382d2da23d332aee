"""Which policy directories a command loads, in which order: the library, then yours.

The bundle a command evaluates is built in layers, in this order:

1. the library shipped with govern (`govern._bundled.POLICIES`);
2. the organisation's policy directories: every `--policies DIR` in the order given, or
   `./policies` when none is given and it exists;
3. data overlays (`--data FILE`), applied by `read_bundle` after every directory.

A directory adds to the library; it does not replace it. To replace the library, either
pass `--no-default-library`, or give the directory an OPA bundle manifest (`.manifest`,
JSON) whose `roots` claim the library's namespace (`"govern"`, or `""` for everything):
in OPA a bundle owns the data and packages under its roots, so two bundles cannot both
provide `data.govern` (https://www.openpolicyagent.org/docs/management-bundles, "Bundle
File Format", `.manifest` roots). `govern policy init DIR` writes such a manifest.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from govern.errors import PolicyLoadError

MANIFEST = ".manifest"
LIBRARY_ROOT = "govern"
LOCAL_POLICIES = Path("policies")
NO_LAYERS = (
    "no policy directory: --no-default-library needs at least one --policies DIR "
    "(or a ./policies directory)"
)
BAD_MANIFEST = "invalid bundle manifest: {problem} (expected JSON such as {example})"
MANIFEST_EXAMPLE = '{"roots": ["govern"]}'


def library_dir() -> Path:
    """The policy library shipped inside the package."""
    from govern._bundled import POLICIES

    return POLICIES


def manifest_roots(directory: Path) -> list[str] | None:
    """The `roots` of `directory/.manifest`, or None when it has no manifest or no roots."""
    path = directory / MANIFEST
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        problem = f"not JSON ({exc.msg})"
        raise PolicyLoadError(
            BAD_MANIFEST.format(problem=problem, example=MANIFEST_EXAMPLE),
            path=path,
            line=exc.lineno,
            column=exc.colno,
        ) from None
    except UnicodeDecodeError:
        problem = "not UTF-8 text"
        raise PolicyLoadError(
            BAD_MANIFEST.format(problem=problem, example=MANIFEST_EXAMPLE), path=path
        ) from None
    if not isinstance(doc, dict):
        problem = "the top level must be an object"
        raise PolicyLoadError(
            BAD_MANIFEST.format(problem=problem, example=MANIFEST_EXAMPLE), path=path
        )
    roots = doc.get("roots")
    if roots is None:
        return None
    if not isinstance(roots, list) or not all(isinstance(r, str) for r in roots):
        problem = "`roots` must be a list of strings"
        raise PolicyLoadError(
            BAD_MANIFEST.format(problem=problem, example=MANIFEST_EXAMPLE), path=path
        )
    return list(roots)


def replaces_library(directory: Path) -> bool:
    """True when the directory's manifest claims `data.govern` (or the whole data tree)."""
    roots = manifest_roots(directory) or []
    return any(r.strip("/") in ("", LIBRARY_ROOT) for r in roots)


def policy_layers(
    dirs: Sequence[str | Path] = (),
    *,
    default_library: bool = True,
    cwd: Path | None = None,
) -> tuple[Path, ...]:
    """The directories to load, in order: the library (unless replaced), then `dirs`.

    Without `dirs`, `./policies` (relative to `cwd`) is used when it exists. A directory
    that is the library itself (as `./policies` is in a govern checkout) is loaded once.
    """
    chosen = [Path(d) for d in dirs]
    if not chosen:
        local = cwd / LOCAL_POLICIES if cwd is not None else LOCAL_POLICIES
        if local.is_dir():
            chosen = [local]
    library = library_dir()
    use_library = default_library and not any(replaces_library(d) for d in chosen)
    layers: list[Path] = [library] if use_library else []
    seen = {_identity(p) for p in layers}
    for d in chosen:
        key = _identity(d)
        if key not in seen:
            layers.append(d)
            seen.add(key)
    if not layers:
        raise PolicyLoadError(NO_LAYERS)
    return tuple(layers)


INIT_NOT_EMPTY = "{dest} already exists and is not empty; choose a new directory"
INIT_FILES = (".rego", ".yaml", ".yml", ".json")


def init_library(dest: Path) -> list[Path]:
    """Copy the shipped library to `dest` for editing; returns the files written.

    The copy gets a manifest (roots ["govern"]) that makes it replace the library, so it
    is never loaded beside the original. `dest` must be new or empty.
    """
    import shutil

    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise PolicyLoadError(INIT_NOT_EMPTY.format(dest=dest), path=dest)
    source = library_dir()
    written = []
    for path in sorted(source.rglob("*")):
        if path.is_file() and path.suffix in INIT_FILES:
            target = dest / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            written.append(target)
    manifest = dest / MANIFEST
    manifest.write_text(json.dumps({"roots": [LIBRARY_ROOT]}) + "\n", encoding="utf-8")
    written.append(manifest)
    return written


def _identity(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()


__all__ = [
    "LIBRARY_ROOT",
    "MANIFEST",
    "init_library",
    "library_dir",
    "manifest_roots",
    "policy_layers",
    "replaces_library",
]
