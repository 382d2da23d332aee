"""govern: policy-as-code compliance engine for the AI model lifecycle.

The library is usable without the CLI: every command is a function returning typed results.
Scans for clusters and notebooks (plan, work units, merge) are in `govern.scanplan`, imported
on its own so that `import govern` stays light.
"""

from govern.errors import (
    GovernError,
    MetricInputError,
    ModelCardError,
    ModelNotFoundError,
    NativeError,
    PolicyError,
    PolicyEvalError,
    PolicyLoadError,
    ScanPlanError,
    StoreError,
    UnknownStageError,
    UserInputError,
)
from govern.lifecycle import STAGES, ModelRef
from govern.results import Decision, MetricRow, ScanResult, SourceFile, Violation

# The single source of the version: pyproject.toml reads it from here at build time, so a
# command does not import importlib.metadata (~40 ms) to learn it.
__version__ = "0.1.0"

__all__ = [
    "__version__",
    # lifecycle
    "STAGES",
    "ModelRef",
    # results
    "Decision",
    "MetricRow",
    "ScanResult",
    "SourceFile",
    "Violation",
    # errors
    "GovernError",
    "MetricInputError",
    "ModelCardError",
    "ModelNotFoundError",
    "NativeError",
    "PolicyError",
    "PolicyEvalError",
    "PolicyLoadError",
    "ScanPlanError",
    "StoreError",
    "UnknownStageError",
    "UserInputError",
]
