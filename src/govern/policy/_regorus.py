"""In-process adapter for regorus (Microsoft's Rust Rego interpreter, PyPI gordon-to-regorus).

The only module that imports `regorus`. Errors come back as RuntimeError text with a
`--> file:line:col` header; they are turned into PolicyLoadError / PolicyEvalError with that
location and the engine's message, and never into an empty (allowing) result.
"""

from __future__ import annotations

import json
import os
import re
from importlib import metadata
from typing import Any

from govern.errors import PolicyEvalError, PolicyLoadError

# regorus appends a Rust backtrace to error texts unless told not to.
os.environ.setdefault("RUST_BACKTRACE", "0")
os.environ.setdefault("RUST_LIB_BACKTRACE", "0")

import regorus  # noqa: E402

ENGINE_NAME = "regorus"
_LOCATION = re.compile(r"-->\s*(?P<path>.+?):(?P<line>\d+):(?P<col>\d+)")


def engine_version() -> str:
    """Version of the installed regorus build."""
    return metadata.version("gordon-to-regorus")


def _clean(message: str) -> str:
    lines = [ln for ln in message.strip().splitlines() if ln.strip()]
    keep = []
    for ln in lines:
        if ln.startswith("Stack backtrace"):
            break
        keep.append(ln)
    errors = [ln.strip() for ln in keep if ln.strip().startswith("error:")]
    return errors[-1].removeprefix("error:").strip() if errors else " ".join(keep)


def _located(
    exc: Exception, cls: type[PolicyLoadError] | type[PolicyEvalError], context: str
) -> Exception:
    text = str(exc)
    m = _LOCATION.search(text)
    msg = f"{context}: {_clean(text)}"
    if m:
        return cls(msg, path=m["path"], line=int(m["line"]), column=int(m["col"]))
    return cls(msg)


class RegorusEngine:
    """A compiled bundle held by one regorus Engine: add modules and data once, query many."""

    name = ENGINE_NAME

    def __init__(self, modules: tuple[tuple[str, str], ...], data: dict[str, Any]) -> None:
        self._engine = regorus.Engine()
        self._engine.set_gather_prints(True)  # print() output is kept, never written to stdout
        for path, source in modules:
            try:
                self._engine.add_policy(path, source)
            except RuntimeError as exc:
                raise _located(exc, PolicyLoadError, "compile policy") from exc
        try:
            self._engine.add_data_json(json.dumps(data))
        except RuntimeError as exc:
            raise PolicyLoadError(f"load policy data: {_clean(str(exc))}") from exc
        self.packages = {p.removeprefix("data.") for p in self._engine.get_packages()}

    @property
    def version(self) -> str:
        """Engine version string."""
        return engine_version()

    def evaluate(self, input_doc: dict[str, Any], query: str) -> Any:
        """Value of `query` for `input_doc`; raises if undefined or on any engine error."""
        try:
            self._engine.set_input_json(json.dumps(input_doc, allow_nan=False))
            raw = self._engine.eval_query_as_json(query)
        except ValueError as exc:
            raise PolicyEvalError(f"policy input is not valid JSON: {exc}") from exc
        except RuntimeError as exc:
            raise _located(exc, PolicyEvalError, f"evaluate {query}") from exc
        finally:
            self._engine.take_prints()
        result = json.loads(raw).get("result", [])
        if not result or not result[0].get("expressions"):
            raise PolicyEvalError(f"evaluate {query}: result is undefined")
        return result[0]["expressions"][0]["value"]
