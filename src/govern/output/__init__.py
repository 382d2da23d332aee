"""Reporters for `govern check`: one protocol, one module per format, one registry.

`get_reporter(name)` imports only the module of the requested format, so the CLI stays
light; an unknown name is rejected with the list of valid ones (never a silent fallback).
"""

from govern.output._emit import Target, check_targets, write_reports
from govern.output._registry import FORMATS, UNKNOWN_FORMAT, Reporter, get_reporter
from govern.output._report import (
    ERROR_SUMMARY,
    FAIL_MODES,
    SUMMARY,
    CheckedModel,
    ControlInfo,
    Location,
    ModelFailure,
    Report,
    RunError,
)

__all__ = [
    "ERROR_SUMMARY",
    "FAIL_MODES",
    "FORMATS",
    "SUMMARY",
    "UNKNOWN_FORMAT",
    "CheckedModel",
    "ControlInfo",
    "Location",
    "ModelFailure",
    "Report",
    "Reporter",
    "RunError",
    "Target",
    "check_targets",
    "get_reporter",
    "write_reports",
]
