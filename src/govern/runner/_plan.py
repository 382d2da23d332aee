"""The scan plan: everything a worker needs to count its share, as plain JSON-safe data.

`prepare_scan` (runner/scan.py) builds a ScanPlan on the driver, the only process that
opens DuckDB; `scan_units` (runner/_units.py) runs anywhere the plan can be sent (a thread,
a Dask or Spark worker) and rebuilds the accumulators from it; `finish_scan` merges what the
workers return. The plan carries the card, the reference profile, the scan's one reference
time, the partial-state key (config hash), the schema contract, the window, every file in
scan order (with the stored-partials key of each, and whether its partials are reused) and
the work units: a file, or a range of its row groups, with the identity it must still have.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from govern.errors import ScanPlanError
from govern.metrics._accumulator import Accumulator

PLAN_FORMAT = 1


@dataclass(frozen=True)
class WorkUnit:
    """One file, or whole row groups `[first, stop)` of it, that one worker counts.

    `version` is the content identity the worker checks before and after reading: for a
    local file the footer fingerprint with size-independent stat fields (mtime, ctime,
    inode), for an object its ETag / version id (runner/_fs.py). `size` is the file's size
    in bytes; `nbytes` what this unit reads (the compressed size of its row groups).
    """

    uri: str
    size: int
    version: str
    row_groups: tuple[int, int] | None = None
    nbytes: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "uri": self.uri,
            "size": self.size,
            "version": self.version,
            "row_groups": list(self.row_groups) if self.row_groups is not None else None,
            "nbytes": self.nbytes,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> WorkUnit:
        """Inverse of to_dict."""
        rg = d.get("row_groups")
        return cls(
            uri=str(d["uri"]),
            size=int(d["size"]),
            version=str(d["version"]),
            row_groups=(int(rg[0]), int(rg[1])) if rg is not None else None,
            nbytes=int(d.get("nbytes", 0)),
        )

    @property
    def key(self) -> tuple[str, int, int]:
        """(uri, first row group, stop): unique within a plan; -1 for a whole file."""
        if self.row_groups is None:
            return self.uri, -1, -1
        return self.uri, self.row_groups[0], self.row_groups[1]


@dataclass(frozen=True)
class PlanFile:
    """A source file of the scan, in scan order: provenance and stored-partials key."""

    uri: str
    size: int
    mtime: float
    fingerprint: str  # local: sha256 of the footer; object: "etag:..." / "version:..."
    reused: bool  # its stored partial states are merged instead of reading it
    partition: str | None = None  # a table's partition values kept out of the file (encoded)

    @property
    def key(self) -> tuple[str, int, float, str]:
        """The key of the file's stored partial states (store/profiles.py)."""
        return self.uri, self.size, self.mtime, self.fingerprint

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (mtime as a repr float: exact round trip)."""
        out: dict[str, Any] = {
            "uri": self.uri,
            "size": self.size,
            "mtime": self.mtime,
            "fingerprint": self.fingerprint,
            "reused": self.reused,
        }
        if self.partition is not None:
            out["partition"] = self.partition
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PlanFile:
        """Inverse of to_dict."""
        return cls(
            str(d["uri"]),
            int(d["size"]),
            float(d["mtime"]),
            str(d["fingerprint"]),
            bool(d["reused"]),
            str(d["partition"]) if d.get("partition") is not None else None,
        )


@dataclass(frozen=True)
class LocalState:
    """What a plan holds only in the process that prepared it (never serialised).

    The stored partials already loaded for reuse, the identities taken while planning
    (checked again by the local engine), the profile object, and custom accumulators
    passed from Python (which cannot travel as JSON).
    """

    reusable: dict[tuple[str, int, float, str], dict[str, Any]]
    identities: dict[str, Any]
    profiles: Any
    extra: tuple[Accumulator, ...] | None


@dataclass(frozen=True)
class ScanPlan:
    """A prepared scan: JSON-serialisable, sent to workers, merged by `finish_scan`."""

    plan_id: str
    model: str
    version: str
    card: dict[str, Any]
    profile: dict[str, Any]  # ProfileSet.to_dict()
    profile_meta: dict[str, Any]  # profile_id / baseline path, profile_rows
    column_map: dict[str, str]
    scanned_at: str  # RFC 3339: the scan's one reference time (freshness is measured to it)
    config: str  # key of the stored partial states
    dictionary: tuple[str, ...]
    window: dict[str, Any] | None  # {"column", "since", "until"} (ISO text or None)
    expected: dict[str, str]  # column -> reference dtype: the schema contract
    incremental: bool
    files: tuple[PlanFile, ...]
    units: tuple[WorkUnit, ...]
    local: LocalState | None = field(default=None, compare=False, repr=False)

    @property
    def custom_accumulators(self) -> bool:
        """Whether the plan counts with accumulators passed from Python (not serialisable)."""
        return self.local is not None and self.local.extra is not None

    def to_json(self) -> str:
        """The plan as JSON text (what a driver sends to its workers)."""
        if self.custom_accumulators:
            raise ScanPlanError(
                "this plan counts with accumulators passed from Python (extra=...), which "
                "cannot be serialised; run it in this process, or prepare it without extra="
            )
        doc = {
            "format": PLAN_FORMAT,
            "plan_id": self.plan_id,
            "model": self.model,
            "version": self.version,
            "card": self.card,
            "profile": self.profile,
            "profile_meta": self.profile_meta,
            "column_map": self.column_map,
            "scanned_at": self.scanned_at,
            "config": self.config,
            "dictionary": list(self.dictionary),
            "window": self.window,
            "expected": self.expected,
            "incremental": self.incremental,
            "files": [f.to_dict() for f in self.files],
            "units": [u.to_dict() for u in self.units],
        }
        return json.dumps(doc, sort_keys=True, default=_json_default)

    @classmethod
    def from_json(cls, text: str | bytes) -> ScanPlan:
        """Inverse of to_json; refuses another format or a malformed document."""
        try:
            doc = json.loads(text)
            if doc.get("format") != PLAN_FORMAT:
                raise ScanPlanError(
                    f"scan plan format {doc.get('format')!r} is not {PLAN_FORMAT}; prepare the "
                    "plan with the same govern version as the workers"
                )
            return cls(
                plan_id=str(doc["plan_id"]),
                model=str(doc["model"]),
                version=str(doc["version"]),
                card=dict(doc["card"]),
                profile=dict(doc["profile"]),
                profile_meta=dict(doc["profile_meta"]),
                column_map={str(k): str(v) for k, v in doc["column_map"].items()},
                scanned_at=str(doc["scanned_at"]),
                config=str(doc["config"]),
                dictionary=tuple(str(c) for c in doc["dictionary"]),
                window=doc["window"],
                expected={str(k): str(v) for k, v in doc["expected"].items()},
                incremental=bool(doc["incremental"]),
                files=tuple(PlanFile.from_dict(f) for f in doc["files"]),
                units=tuple(WorkUnit.from_dict(u) for u in doc["units"]),
            )
        except ScanPlanError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
            raise ScanPlanError(f"not a govern scan plan: {type(exc).__name__}: {exc}") from exc

    def tasks(self, target_bytes: int = 256 << 20) -> tuple[tuple[WorkUnit, ...], ...]:
        """The units in plan order, grouped into tasks of about `target_bytes` each.

        A task is a run of consecutive units (neighbouring files, a file's row-group ranges
        together) whose sizes add up to at most `target_bytes`, or a single larger unit.
        """
        if target_bytes < 1:
            raise ValueError(f"target_bytes must be positive, got {target_bytes}")
        out: list[tuple[WorkUnit, ...]] = []
        current: list[WorkUnit] = []
        used = 0
        for u in self.units:
            n = u.nbytes or u.size
            if current and used + n > target_bytes:
                out.append(tuple(current))
                current, used = [], 0
            current.append(u)
            used += n
        if current:
            out.append(tuple(current))
        return tuple(out)


def new_plan_id() -> str:
    """A fresh plan id (blobs carry it, so a blob of another plan is refused)."""
    return str(uuid.uuid4())


def _json_default(x: object) -> object:
    if isinstance(x, datetime):
        return x.isoformat()
    raise TypeError(f"{type(x).__name__} is not JSON serialisable")


def units_of(plan: ScanPlan, units: Sequence[WorkUnit]) -> list[WorkUnit]:
    """`units`, each checked to be one of the plan's (a worker counts nothing else)."""
    known = {u.key: u for u in plan.units}
    out = []
    for u in units:
        if known.get(u.key) != u:
            raise ScanPlanError(
                f"{u.uri}: work unit {u.row_groups or 'whole file'} is not one of the plan's "
                "units; pass units from plan.units or plan.tasks()"
            )
        out.append(u)
    return out
