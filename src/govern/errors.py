"""Every error govern raises on purpose, with a stable code and the exit code it maps to.

Subclasses are chosen by what the caller can do about them: fix an input file, fix a policy,
wait for a lock, or report a bug. The CLI boundary (`govern.cli`) is the only place where
these become exit codes.
"""

from __future__ import annotations

from pathlib import Path

EXIT_ALLOWED = 0
EXIT_DENIED = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


class GovernError(Exception):
    """Base class: a message in the form "context: cause", plus where it happened."""

    code = "govern_error"
    exit_code = EXIT_INTERNAL

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.column = column

    @property
    def location(self) -> str | None:
        """`file:line:col` (as much of it as is known), or None."""
        if self.path is None:
            return None
        parts = [self.path]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        loc = self.location
        if loc and loc not in self.message:
            return f"{loc}: {self.message}"
        return self.message


class UserInputError(GovernError):
    """Something the user supplied is wrong: a file, a flag, a reference. Exit 2."""

    code = "input_error"
    exit_code = EXIT_USAGE


class ModelCardError(UserInputError):
    """A model card YAML file is unreadable or does not follow the schema."""

    code = "model_card_error"


class ModelNotFoundError(UserInputError):
    """A `NAME@VERSION` reference names nothing in the registry."""

    code = "model_not_found"


class UnknownStageError(UserInputError):
    """A lifecycle stage name that is not one of the six stages."""

    code = "unknown_stage"


class MetricInputError(UserInputError):
    """Input data for a metric is unreadable or does not match the reference schema."""

    code = "metric_input_error"


class ScanPlanError(UserInputError):
    """A scan plan or a worker's state blob is malformed, incomplete or from another plan."""

    code = "scan_plan_error"


class PolicyError(UserInputError):
    """A policy bundle could not be loaded, compiled or evaluated. Never means 'allowed'."""

    code = "policy_error"


class PolicyLoadError(PolicyError):
    """A policy or data file failed to parse or compile."""

    code = "policy_load_error"


class PolicyEvalError(PolicyError):
    """Evaluation failed: runtime error, undefined decision, malformed violation, limits."""

    code = "policy_eval_error"


class PolicyLimitError(PolicyEvalError):
    """The sandboxed engine was stopped: `reason` is timeout, oom or crash."""

    code = "policy_limit"

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class StoreError(GovernError):
    """The DuckDB file could not be opened, migrated or written."""

    code = "store_error"
    exit_code = EXIT_USAGE


class StoreLockedError(StoreError):
    """Another process holds the database's write lock."""

    code = "store_locked"


class EngineError(GovernError):
    """A Dask or Spark run failed (a worker died, the cluster went away); nothing was stored.

    Exit 2: the user can act (restart the cluster, give workers more memory, run again).
    """

    code = "engine_error"
    exit_code = EXIT_USAGE


class NativeError(GovernError):
    """The C kernel returned an error code: a bug in govern, not in the user's input."""

    code = "native_error"
    exit_code = EXIT_INTERNAL
