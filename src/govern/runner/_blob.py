"""The bytes a worker returns: its units' states and their fold, in a versioned envelope.

Layout: the magic `GVS`, one format byte, the CRC-32 of the rest (4 bytes, little endian),
then the header's length (4 bytes, little endian), the header (JSON: plan id, config hash,
the task's total and, per unit, its work unit, rows and the length of its state text), then
the units' state texts one after the other. Nothing is compressed again: the counts inside
are already (format 2 zlib'd the whole body, which the driver then inflated: ~1 ms a file,
a tenth of the 10,000-file merge, to save ~25%). Each unit's state text is
`{"states": [...]}` with one exact state per accumulator (each accumulator's `to_state`),
exactly the document the driver stores as the file's partial: the driver stores it as it
came, without parsing the counts. The total is the task's units folded into one state per
accumulator, so the driver merges one state per task, not one per file. The plan id binds
a blob to its plan; the CRC-32 catches a damaged blob.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from typing import Any

from govern.errors import ScanPlanError
from govern.runner._plan import ScanPlan, WorkUnit

MAGIC = b"GVS"
BLOB_FORMAT = 3


@dataclass(frozen=True)
class UnitState:
    """One unit's counts as a worker returned them: rows and the stored-form state text."""

    unit: WorkUnit
    rows: int
    # {"states": [one document per accumulator]}: a str where a worker encodes it, its UTF-8
    # bytes inside the blob where the driver decodes it (not copied: the driver stores them).
    text: str | memoryview


@dataclass(frozen=True)
class Blob:
    """A decoded blob: the task's total (state documents) and its units."""

    rows: int
    total: list[dict[str, Any]]
    units: list[UnitState]


def encode(
    plan: ScanPlan, units: list[UnitState], total_rows: int, total: list[dict[str, Any]]
) -> bytes:
    """The blob of `units` (counted under `plan`) and of their fold `total`."""
    texts = [u.text.encode() if isinstance(u.text, str) else bytes(u.text) for u in units]
    header = {
        "plan_id": plan.plan_id,
        "config": plan.config,
        "total": {"rows": total_rows, "states": total},
        "units": [
            {"unit": u.unit.to_dict(), "rows": u.rows, "length": len(t)}
            for u, t in zip(units, texts, strict=True)
        ],
    }
    head = json.dumps(header, separators=(",", ":")).encode()
    body = len(head).to_bytes(4, "little") + head + b"".join(texts)
    return MAGIC + bytes([BLOB_FORMAT]) + zlib.crc32(body).to_bytes(4, "little") + body


def decode(plan: ScanPlan, blob: bytes, index: int) -> Blob:
    """Blob number `index`, refusing a damaged blob or another plan's."""
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
        body = memoryview(raw)[8:]
        if len(raw) < 8 or zlib.crc32(body) != int.from_bytes(raw[4:8], "little"):
            raise ValueError("checksum mismatch")
        size = int.from_bytes(body[:4], "little")
        header = json.loads(bytes(body[4 : 4 + size]))
        if header["plan_id"] != plan.plan_id or header["config"] != plan.config:
            raise ScanPlanError(
                f"{where}: counted for another scan plan ({header['plan_id']}), not {plan.plan_id}"
            )
        units = []
        at = 4 + size
        for u in header["units"]:
            n = int(u["length"])
            units.append(
                UnitState(WorkUnit.from_dict(u["unit"]), int(u["rows"]), body[at : at + n])
            )
            at += n
        if at != len(body):
            raise ValueError(f"{len(body) - at} bytes after the last unit")
        total = header["total"]
        return Blob(int(total["rows"]), list(total["states"]), units)
    except ScanPlanError:
        raise
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise ScanPlanError(f"{where}: damaged ({type(exc).__name__}: {exc})") from exc
