"""Optional integrations (Dask, Spark, Delta Lake, Iceberg), imported only when asked for.

The core never imports them; a missing one is a usage error naming the extra that brings it
(the pattern of pandas' `import_optional_dependency`).
"""

from __future__ import annotations

import importlib
from types import ModuleType

from govern.errors import UserInputError

MISSING = (
    "{what} needs the Python package {module!r} ({reason}); install it with "
    "pip install 'govern-mrm[{extra}]'"
)


def require(module: str, *, extra: str, what: str) -> ModuleType:
    """Import `module`, or raise a UserInputError (exit 2) naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        reason = f"cannot import it: {exc}"
        top = module.split(".")[0]
        raise UserInputError(
            MISSING.format(what=what, module=top, reason=reason, extra=extra)
        ) from exc
