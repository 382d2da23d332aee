"""The worker side of a scan: count a group of work units, return one blob. No DuckDB here.

A worker (a thread, a Dask or Spark task) gets the plan and some of its units, rebuilds the
accumulators from the plan (card, reference profile, the scan's reference time), checks that
every file is still the version the plan recorded, and counts the units with the same
reader and C kernel as a local scan (runner/_engine.py). Each unit's state is kept apart in
the blob, so the driver stores one partial per file however the units were grouped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import pyarrow as pa

from govern.clock import parse_rfc3339
from govern.errors import MetricInputError
from govern.metrics._accumulator import Accumulator
from govern.metrics._drift import DriftAccumulator
from govern.metrics._factory import accumulators_from_card, check_schema
from govern.metrics._profile import ProfileSet
from govern.runner import _blob, _partitions
from govern.runner._engine import scan_files
from govern.runner._fs import is_uri
from govern.runner._identity import CHANGED, identify
from govern.runner._parquet import Source, Window
from govern.runner._partitions import Constants
from govern.runner._plan import ScanPlan, WorkUnit, units_of

SchemaCheck = Callable[[pa.Schema, Source], None]
_profiles: dict[str, ProfileSet] = {}  # plan_id -> profile: a worker parses it once per plan


def source_of(uri: str) -> Source:
    """A plan's URI as a source: a local Path, or the object URI itself."""
    return uri if is_uri(uri) else Path(uri)


def plan_window(plan: ScanPlan) -> Window | None:
    """The plan's time window, if any."""
    w = plan.window
    if w is None:
        return None

    def when(text: str | None) -> datetime | None:
        return datetime.fromisoformat(text) if text is not None else None

    return Window(str(w["column"]), when(w["since"]), when(w["until"]))


def plan_accumulators(plan: ScanPlan) -> tuple[list[Accumulator], SchemaCheck | None]:
    """Fresh accumulators of the plan (drift first), and the card's schema check, if any."""
    if plan.local is not None:
        profiles: ProfileSet = plan.local.profiles
    else:
        cached = _profiles.get(plan.plan_id)
        if cached is None:
            cached = ProfileSet.from_dict(plan.profile)
            if len(_profiles) > 8:
                _profiles.clear()
            _profiles[plan.plan_id] = cached
        profiles = cached
    drift = DriftAccumulator(profiles, plan.column_map)
    if plan.local is not None and plan.local.extra is not None:
        return [drift, *(a.empty() for a in plan.local.extra)], None
    extra = accumulators_from_card(plan.card, now=parse_rfc3339(plan.scanned_at))
    card = plan.card

    def schema_check(schema: pa.Schema, path: Source) -> None:
        check_schema(card, schema, path)

    return [drift, *extra], schema_check if extra else None


def partitions_of(plan: ScanPlan, units: Sequence[WorkUnit]) -> list[Constants | None]:
    """Per unit, the table's partition columns its file does not hold (None: none)."""
    encoded = {f.uri: f.partition for f in plan.files if f.partition is not None}
    if not encoded:
        return [None] * len(units)
    decoded: dict[str, Constants] = {}  # files of one partition folder share their text
    for text in {encoded[u.uri] for u in units if u.uri in encoded}:
        decoded[text] = _partitions.decode(text)
    return [decoded[encoded[u.uri]] if u.uri in encoded else None for u in units]


def scan_units(plan: ScanPlan, units: Sequence[WorkUnit], *, threads: int = 1) -> bytes:
    """Count `units` of `plan` (on `threads` reader threads); one blob with each unit's state.

    Every file must still be the version the plan recorded (size, footer fingerprint and
    times for a local file, ETag / version id for an object), before and after reading;
    otherwise MetricInputError names the file and nothing is returned.
    """
    todo = units_of(plan, units)
    accumulators, schema_check = plan_accumulators(plan)
    identities = []
    for u in todo:
        ident = identify(source_of(u.uri))
        if ident.version != u.version:
            raise MetricInputError(
                CHANGED.format(what="it is not the version the scan plan recorded"), path=u.uri
            )
        identities.append(ident)
    results = scan_files(
        [source_of(u.uri) for u in todo],
        accumulators,
        expected=plan.expected,
        dictionary=plan.dictionary,
        window=plan_window(plan),
        threads=threads,
        check_schema=schema_check,
        identities=identities,
        row_groups=[u.row_groups for u in todo],
        constants=partitions_of(plan, todo),
    )
    states = [
        _blob.UnitState(u, r.rows, json.dumps({"states": [s.to_state() for s in r.states]}))
        for u, r in zip(todo, results, strict=True)
    ]
    total = [a.empty() for a in accumulators]
    for r in results:
        total = [t.merge(s) for t, s in zip(total, r.states, strict=True)]
    rows = sum(r.rows for r in results)
    return _blob.encode(plan, states, rows, [t.to_state() for t in total])


def scan_unit(plan: ScanPlan, unit: WorkUnit) -> bytes:
    """`scan_units` for one unit."""
    return scan_units(plan, [unit])
