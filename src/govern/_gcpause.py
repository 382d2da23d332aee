"""Pause Python's cyclic garbage collector for the length of a bulk run.

`check --all` allocates a few hundred thousand short-lived, acyclic containers (input
documents, answers, rows) that reference counting frees on its own; the cyclic collector
still runs every 700 allocations and, in its oldest generation, walks every live object
of the process (the bundle's syntax tree included). Measured on 1,000 models that was a
sixth of the parent's CPU (benchmarks/README.md). Nothing of a run is lost while it is
paused: cycles made meanwhile are collected once it is enabled again.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Disable the cyclic collector inside the block; restore its previous state after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
