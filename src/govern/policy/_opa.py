"""Adapter for the `opa` binary: one `opa eval` subprocess per query.

Used only when asked for (`--engine opa`). Each query runs
`opa eval --format json --strict-builtin-errors --timeout <limit> -d <each .rego> -d
<merged data.json> --stdin-input <query>`: the data overlays are merged by govern first, so
both engines see the same `data`; built-in errors are fatal, as in regorus. Which packages
and rules exist (and whether refused builtins are called) is read once with regorus in the
sandbox, so both engines are checked by the same capability rules.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import weakref
from pathlib import Path
from typing import Any

from govern.errors import PolicyEvalError, PolicyLimitError, PolicyLoadError
from govern.policy._regorus import first_value
from govern.policy._sandbox import Limits, SandboxEngine

ENGINE_NAME = "opa"
NOT_FOUND = "engine opa: no `opa` binary on PATH; install OPA or use --engine regorus"


def find_opa() -> str | None:
    """Path of the `opa` binary, or None."""
    return shutil.which("opa")


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
