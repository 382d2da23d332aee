"""Real OPA: the `opa` binary when it is on PATH, else OPA compiled in-process.

Used only when asked for (`--engine opa`). Without a binary, the Go OPA library shipped by
the package `opa-golib-python-bindings` evaluates in the sandbox child (`_sandbox.py`,
`_worker.py`), under the same time limit and memory cap as regorus; `in_process_engine()`
builds that engine. With the binary, each query runs
`opa eval --format json --strict-builtin-errors --timeout <limit> -d <each .rego> -d
<merged data.json> --stdin-input <query>`: the data overlays are merged by govern first, so
both engines see the same `data`; built-in errors are fatal, as in regorus. Which packages
and rules exist (and whether refused builtins are called) is read once with regorus in the
sandbox, so both engines are checked by the same capability rules.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import mmap
import re
import shutil
import subprocess
import tempfile
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govern.errors import PolicyEvalError, PolicyLimitError, PolicyLoadError
from govern.policy._regorus import first_value

if TYPE_CHECKING:
    from govern.policy._sandbox import Limits, SandboxEngine

ENGINE_NAME = "opa"
BINDINGS = "opa_bindings"  # import name of the PyPI package opa-golib-python-bindings
NOT_FOUND = (
    "engine opa: no `opa` binary on PATH and the in-process OPA is not installed; "
    "install OPA, or `pip install --ignore-requires-python opa-golib-python-bindings==0.4.4`, "
    "or use --engine regorus"
)
# `file.rego:12: rego_unsafe_var_error: var c is unsafe` (one per line after a header)
_OPA_LOCATION = re.compile(
    r"(?P<path>[^\s:][^:\n]*\.rego):(?P<line>\d+): (?P<code>[a-z_]+): (?P<msg>[^\n]*)"
)
_UNSAFE = re.compile(
    r"var (?P<name>[\w.]+) is unsafe|unused (?:argument|assignment|import) "
    r"(?P<unused>[\w.]+)"
)


def find_opa() -> str | None:
    """Path of the `opa` binary, or None."""
    return shutil.which("opa")


def bindings_available() -> bool:
    """Whether the in-process OPA (opa-golib-python-bindings) is importable."""
    return importlib.util.find_spec(BINDINGS) is not None


@functools.cache
def bindings_version() -> str:
    """OPA version compiled into the bindings' shared library (its Go build info)."""
    spec = importlib.util.find_spec(BINDINGS)
    origin = spec.origin if spec else None
    if origin is None:
        return "unknown"
    lib = Path(origin).parent / "libopabridge.so"
    try:
        with open(lib, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            found = re.search(rb"dep\tgithub\.com/open-policy-agent/opa\t(v[0-9][^\t\n]*)", mm)
            version = bytes(found.group(1)).decode() if found else "unknown"
    except (OSError, ValueError):
        return "unknown"
    return version.lstrip("v")


def column_of(source: str, line: int, message: str) -> int:
    """Best column for an OPA error, which names only file:line.

    The column of the variable the message names, else the line's first non-blank character.
    """
    lines = source.splitlines()
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    named = _UNSAFE.search(message)
    name = (named["name"] or named["unused"]) if named else None
    if name:
        at = re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", text)
        if at:
            return at.start() + 1
    return len(text) - len(text.lstrip()) + 1 if text.strip() else 1


def opa_located(
    text: str,
    cls: type[PolicyLoadError] | type[PolicyEvalError],
    context: str,
    sources: dict[str, str] | None = None,
) -> PolicyLoadError | PolicyEvalError:
    """An error located at the first `file:line` of OPA's message (column from `sources`)."""
    m = _OPA_LOCATION.search(text)
    if not m:
        return cls(f"{context}: {text.removeprefix('opa: ').strip()}")
    line = int(m["line"])
    column = column_of((sources or {}).get(m["path"], ""), line, m["msg"])
    msg = f"{context}: {m['code']}: {m['msg']}"
    return cls(msg, path=m["path"], line=line, column=column)


def in_process_engine(
    modules: tuple[tuple[str, str], ...], data: dict[str, Any], *, limits: Limits
) -> SandboxEngine:
    """Real OPA from the bindings, in a sandbox child; NOT_FOUND if they are missing."""
    if not bindings_available():
        raise PolicyLoadError(NOT_FOUND)
    from govern.policy._sandbox import SandboxEngine

    return SandboxEngine(modules, data, limits=limits, engine=ENGINE_NAME)


def _error_from(doc: dict[str, Any], query: str) -> PolicyEvalError:
    errors = doc.get("errors") or [{}]
    first = errors[0] if isinstance(errors, list) else {}
    msg = f"evaluate {query}: {first.get('code', 'opa_error')}: {first.get('message', doc)}"
    loc = first.get("location") or {}
    if loc.get("file"):
        return PolicyEvalError(msg, path=loc["file"], line=loc.get("row"), column=loc.get("col"))
    return PolicyEvalError(msg)


class OpaEngine:
    """Evaluate with `opa eval`; same surface as RegorusEngine."""

    name = ENGINE_NAME

    def __init__(
        self,
        modules: tuple[tuple[str, str], ...],
        data: dict[str, Any],
        *,
        limits: Limits | None = None,
        binary: str | None = None,
    ) -> None:
        from govern.policy._sandbox import Limits, SandboxEngine

        found = binary or find_opa()
        if found is None:
            raise PolicyLoadError(NOT_FOUND)
        self.binary = found
        self.limits = limits or Limits()
        probe = SandboxEngine(modules, data, limits=self.limits)
        probe.close()
        self.packages, self.info = probe.packages, probe.info
        self._dir = tempfile.mkdtemp(prefix="govern-opa-")
        self._finalizer = weakref.finalize(self, shutil.rmtree, self._dir, True)
        data_file = Path(self._dir) / "data.json"
        data_file.write_text(json.dumps(data), encoding="utf-8")
        self._loads: list[str] = []
        for path, _ in modules:
            self._loads += ["-d", path]
        self._loads += ["-d", str(data_file)]
        self._version: str | None = None

    @property
    def version(self) -> str:
        """`opa version` first line, e.g. `Version: 1.4.2` -> `1.4.2`."""
        if self._version is None:
            out = subprocess.run(
                [self.binary, "version"], capture_output=True, text=True, timeout=30
            ).stdout
            first = out.splitlines()[0] if out else "unknown"
            self._version = first.split(":", 1)[-1].strip()
        return self._version

    def evaluate_json(self, input_json: str, query: str) -> Any:
        """Value of `query`; an error, timeout or undefined result raises."""
        timeout = self.limits.timeout_s
        args = [
            self.binary,
            "eval",
            "--format",
            "json",
            "--strict-builtin-errors",
            "--timeout",
            f"{timeout:g}s",
            *self._loads,
            "--stdin-input",
            query,
        ]
        try:
            done = subprocess.run(
                args, input=input_json, capture_output=True, text=True, timeout=timeout + 5
            )
        except subprocess.TimeoutExpired:
            raise PolicyLimitError(
                f"evaluate {query}: opa stopped after {timeout:g} s (time limit)",
                reason="timeout",
            ) from None
        try:
            doc = json.loads(done.stdout) if done.stdout.strip() else {}
        except ValueError:
            doc = {}
        if doc.get("errors") or done.returncode != 0:
            if not doc.get("errors"):
                raise PolicyEvalError(
                    f"evaluate {query}: opa exited {done.returncode}: {done.stderr.strip()}"
                )
            raise _error_from(doc, query)
        return first_value(json.dumps(doc), query)

    def evaluate(self, input_doc: dict[str, Any], query: str) -> Any:
        """Value of `query` for `input_doc` (NaN/inf refused)."""
        try:
            text = json.dumps(input_doc, allow_nan=False)
        except ValueError as exc:
            raise PolicyEvalError(f"policy input is not valid JSON: {exc}") from exc
        return self.evaluate_json(text, query)

    def coverage_json(self) -> str:
        """Coverage is reported by regorus only."""
        raise PolicyEvalError("coverage: only the regorus engine reports coverage")

    def close(self) -> None:
        """Remove the merged data file."""
        self._finalizer()
