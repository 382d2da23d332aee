"""In-process adapter for regorus (Microsoft's Rust Rego interpreter, PyPI gordon-to-regorus).

Errors come back as RuntimeError text with a `--> file:line:col` header; they are turned
into PolicyLoadError / PolicyEvalError with that location and the engine's message, and
never into an empty (allowing) result. In-process evaluation has no time or memory limit:
regorus offers no cancellation, so limits need the sandbox (`_sandbox.py`).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from importlib import metadata
from typing import Any

from govern.errors import PolicyEvalError, PolicyLoadError
from govern.policy import _worker
from govern.policy._ast import BundleInfo, analyse

ENGINE_NAME = "regorus"
_LOCATION = re.compile(r"-->\s*(?P<path>.+?):(?P<line>\d+):(?P<col>\d+)")


@functools.cache
def engine_version() -> str:
    """Version of the installed regorus build."""
    return metadata.version("gordon-to-regorus")


def clean_message(message: str) -> str:
    """The engine's `error:` line, without source excerpts or backtraces."""
    lines = [ln for ln in message.strip().splitlines() if ln.strip()]
    keep = []
    for ln in lines:
        if ln.startswith("Stack backtrace"):
            break
        keep.append(ln)
    errors = [ln.strip() for ln in keep if ln.strip().startswith("error:")]
    if errors:
        return errors[0].removeprefix("error:").strip()
    return " ".join(keep) or "unknown engine error"


def located(
    text: str, cls: type[PolicyLoadError] | type[PolicyEvalError], context: str
) -> PolicyLoadError | PolicyEvalError:
    """An error carrying the first `file:line:col` of the engine's message."""
    m = _LOCATION.search(text)
    msg = f"{context}: {clean_message(text)}"
    if m:
        return cls(msg, path=m["path"], line=int(m["line"]), column=int(m["col"]))
    return cls(msg)


def first_value(raw: str, query: str) -> Any:
    """Value of the first expression of a query result; undefined is an error."""
    try:
        doc = json.loads(raw)
    except (RecursionError, ValueError) as exc:
        raise PolicyEvalError(f"evaluate {query}: unreadable engine output") from exc
    return first_value_of(doc, query)


def first_value_of(doc: Any, query: str) -> Any:
    """first_value() of an engine result already parsed from JSON."""
    result = doc.get("result", []) if isinstance(doc, dict) else None
    if not result or not result[0].get("expressions"):
        raise PolicyEvalError(f"evaluate {query}: result is undefined")
    return result[0]["expressions"][0]["value"]


class RegorusEngine:
    """A compiled bundle held by one regorus Engine in this process: add once, query many."""

    name = ENGINE_NAME

    def __init__(
        self,
        modules: tuple[tuple[str, str], ...],
        data: dict[str, Any],
        *,
        coverage: bool = False,
        deny: Sequence[tuple[str, int, str]] = (),
    ) -> None:
        data_json = json.dumps(data)
        try:
            self._engine, packages, ast = _worker.compile_bundle(
                modules, data_json, coverage=coverage, deny=deny
            )
        except _worker.CompileFailed as exc:
            raise located(str(exc), PolicyLoadError, "compile policy") from exc
        self._engines = _worker.Engines(self._engine, data_json, coverage=coverage)
        self.packages = set(packages)
        self.info: BundleInfo = analyse(ast)
        self.deferred_error: PolicyLoadError | None = None
        opa_error = _worker.opa_compile_error(modules, data_json)
        if opa_error:
            from govern.policy._opa import opa_located

            err = opa_located(opa_error, PolicyLoadError, "compile policy", dict(modules))
            assert isinstance(err, PolicyLoadError)
            self.deferred_error = err

    @property
    def version(self) -> str:
        """Engine version string."""
        return engine_version()

    def set_variants(self, variants: dict[str, tuple[tuple[str, str], ...]]) -> None:
        """Per-stage copies of the bundle (policy/_index.py), compiled when first used."""
        self._engines.set_variants(variants)

    def evaluate_json(self, input_json: str, query: str, variant: str | None = None) -> Any:
        """Value of `query` for an input given as JSON text; raises if undefined or on error."""
        try:
            raw = self._engines.evaluate(variant, input_json, query)
        except _worker.CompileFailed as exc:
            raise located(str(exc), PolicyLoadError, "compile policy") from exc
        except (RuntimeError, ValueError) as exc:
            raise located(str(exc), PolicyEvalError, f"evaluate {query}") from exc
        return first_value(raw, query)

    def evaluate(self, input_doc: dict[str, Any], query: str) -> Any:
        """Value of `query` for `input_doc` (NaN/inf refused)."""
        try:
            text = json.dumps(input_doc, allow_nan=False)
        except ValueError as exc:
            raise PolicyEvalError(f"policy input is not valid JSON: {exc}") from exc
        return self.evaluate_json(text, query)

    def coverage_json(self) -> str:
        """Regorus' coverage report (JSON text) over every evaluation so far."""
        return str(self._engine.get_coverage_report_as_json())

    def close(self) -> None:
        """Nothing to release in-process."""
