"""The bytes a worker returns: the states of the units it counted, in a versioned envelope.

Layout: the magic `GVS` and one format byte, then zlib-compressed JSON
`{"plan_id", "config", "units": [{"unit": WorkUnit, "rows": int, "states": [...]}]}` with
one exact state per accumulator (each accumulator's `to_state`, as stored for incremental
re-scans). Each unit keeps its own state, so the driver can still store one partial per
file whatever the grouping of units into tasks; the plan id binds a blob to its plan.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from typing import Any

from govern.errors import ScanPlanError
from govern.runner._plan import ScanPlan, WorkUnit

MAGIC = b"GVS"
BLOB_FORMAT = 1


@dataclass(frozen=True)
class UnitState:
    """One unit's counts as a worker returned them (states still as JSON documents)."""

    unit: WorkUnit
    rows: int
    states: list[dict[str, Any]]


def encode(plan: ScanPlan, units: list[UnitState]) -> bytes:
    """The blob of `units` (counted under `plan`)."""
    doc = {
        "plan_id": plan.plan_id,
        "config": plan.config,
        "units": [{"unit": u.unit.to_dict(), "rows": u.rows, "states": u.states} for u in units],
    }
    text = json.dumps(doc, separators=(",", ":"))
    return MAGIC + bytes([BLOB_FORMAT]) + zlib.compress(text.encode(), 6)


def decode(plan: ScanPlan, blob: bytes, index: int) -> list[UnitState]:
    """The unit states of blob number `index`, refusing a damaged blob or another plan's."""
    where = f"state blob {index}"
    if not isinstance(blob, bytes | bytearray | memoryview):
        raise ScanPlanError(f"{where}: expected bytes, got {type(blob).__name__}")
    raw = bytes(blob)
    if raw[: len(MAGIC)] != MAGIC:
        raise ScanPlanError(f"{where}: not a govern state blob (no {MAGIC!r} header)")
    if len(raw) < 4 or raw[3] != BLOB_FORMAT:
        got = raw[3] if len(raw) > 3 else None
        raise ScanPlanError(
            f"{where}: blob format {got} is not {BLOB_FORMAT}; run the workers with the "
            "govern version that prepared the plan"
        )
    try:
        doc = json.loads(zlib.decompress(raw[4:]))
        if doc["plan_id"] != plan.plan_id or doc["config"] != plan.config:
            raise ScanPlanError(
                f"{where}: counted for another scan plan ({doc['plan_id']}), not {plan.plan_id}"
            )
        return [
            UnitState(WorkUnit.from_dict(u["unit"]), int(u["rows"]), list(u["states"]))
            for u in doc["units"]
        ]
    except ScanPlanError:
        raise
    except (zlib.error, ValueError, KeyError, TypeError, IndexError) as exc:
        raise ScanPlanError(f"{where}: damaged ({type(exc).__name__}: {exc})") from exc
