"""Alert sinks for `govern monitor`: configuration, rendering and sending (stdlib only)."""

from govern.alerts._config import (
    SINKS_ENV,
    SINKS_FILE,
    STDOUT,
    TYPES,
    SinkConfig,
    default_sinks_path,
    load_sinks,
)
from govern.alerts._sinks import SIGNATURE_HEADER, SinkError, send, signature, summary, text

__all__ = [
    # configuration
    "SINKS_ENV",
    "SINKS_FILE",
    "STDOUT",
    "TYPES",
    "SinkConfig",
    "default_sinks_path",
    "load_sinks",
    # sending
    "SIGNATURE_HEADER",
    "SinkError",
    "send",
    "signature",
    "summary",
    "text",
]
