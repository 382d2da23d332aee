"""`govern monitor`: scan, decide and raise events for the models in deployment and production.

For each model version: scan its card's `monitoring.source` (runner/scan.py, incremental:
files seen before are not read again), evaluate the gate of its current stage
(runner/check.py), then compare what it found with the state stored by the previous run.
Only a change (allow -> warn -> deny and back, evidence going stale, a zombie flag, a
retirement, a monitoring failure) raises an event; a bad state that persists is announced
again after `reannounce`. The decision, the new states and the events are written in one
transaction (the outbox). Delivery (`deliver`) is a separate step: bounded retries with
backoff per sink; what does not go out stays pending for the next run.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from govern.alerts import SinkConfig, SinkError, send
from govern.clock import rfc3339, utcnow
from govern.errors import UserInputError
from govern.lifecycle import ModelRef
from govern.policy import PreparedPolicies
from govern.results import Decision, Violation
from govern.runner._controls import BundleControls
from govern.runner.check import check
from govern.runner.scan import scan
from govern.store import Store, registry
from govern.store import decisions as decision_store
from govern.store import events as event_store
from govern.store.events import Event

MONITORED = ("deployment", "production")
# Controls whose measured denial means the model needs retraining: feature drift (CSI),
# score drift (PSI) at the deny band, and performance below the validated baseline by the
# tier's limit. Only a denial that carries its measured `evidence` counts: evidence that is
# missing or could not be measured (too few rows, a feature absent) is a monitoring
# problem, announced as gate_denied, not a reason to retrain.
RETRAINING_CONTROLS = ("MON-CSI-01", "MON-PSI-01", "MON-PERF-01")
DEFAULT_REANNOUNCE = timedelta(hours=24)
DEFAULT_ATTEMPTS = 3
DEFAULT_BACKOFF = 0.5
GOOD = {
    "gate": "allow",
    "evidence": "fresh",
    "zombie": "clear",
    "retraining": "clear",
    "monitor": "ok",
    "stage": "active",
}
# kind -> state -> event type (a return to the good state is "resolved").
EVENT_TYPES = {
    ("gate", "warn"): "gate_warn",
    ("gate", "deny"): "gate_denied",
    ("evidence", "stale"): "evidence_stale",
    ("zombie", "flagged"): "zombie_flagged",
    ("retraining", "required"): "retraining_required",
    ("monitor", "failed"): "monitor_failed",
    ("stage", "retired"): "retired",
}
# A retraining trigger is a work item closed by `govern events ack`, and a retirement is
# final: neither announces a return to the good state.
NO_RESOLVE = ("retraining", "stage")
# Zombie reasons the other kinds already announce.
_COVERED = ("latest production gate decision is deny", "no evidence for more than")
NO_SOURCE = "no monitoring.source in the card: evidence not refreshed"


@dataclass(frozen=True)
class ModelRun:
    """What monitor did for one model version."""

    model: str
    version: str
    stage: str
    source: str | None
    files: tuple[str, ...] = ()
    scan_id: str | None = None
    decision: Decision | None = None
    error: str | None = None
    events: tuple[Event, ...] = ()


@dataclass
class Timings:
    """Seconds spent per phase (the benchmark reports their shares)."""

    scan: float = 0.0
    evaluate: float = 0.0
    decision: float = 0.0  # recording the decision (what `govern check` also does)
    record: float = 0.0  # states and events: the monitor's own bookkeeping
    deliver: float = 0.0


@dataclass(frozen=True)
class Delivery:
    """Outcome of one delivery step for one sink."""

    sink: str
    delivered: int
    failed: tuple[tuple[str, str], ...] = ()  # (event_id, last error), left pending


@dataclass
class MonitorRun:
    """One `govern monitor` run: per-model results, deliveries, timings."""

    runs: list[ModelRun] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    timings: Timings = field(default_factory=Timings)


def resolve_source(row: dict[str, Any], today: datetime) -> str | None:
    """The card's monitoring.source with `{date}` filled in, relative to the card's folder."""
    raw = (row["card"].get("monitoring") or {}).get("source")
    if not raw:
        return None
    text = str(raw).replace("{date}", today.strftime("%Y-%m-%d"))
    if "://" in text or Path(text).is_absolute() or not row.get("card_path"):
        return text
    return str(Path(str(row["card_path"])).parent / text)


def targets(store: Store, refs: Sequence[ModelRef]) -> list[dict[str, Any]]:
    """Registry rows to monitor: those named, else those in deployment or production.

    Retired versions are included so that a retirement since the last run is announced.
    """
    rows = registry.versions_with_cards(store)
    if not refs:
        return [r for r in rows if r["stage"] in (*MONITORED, "retired")]
    wanted = {registry.resolve(store, ref) for ref in refs}
    return [r for r in rows if (r["name"], r["version"]) in wanted]


def gate_state(decision: Decision) -> str:
    """allow, warn (allowed with warnings) or deny."""
    if not decision.allowed:
        return "deny"
    return "warn" if decision.warnings else "allow"


def _violations(vs: Sequence[Violation], controls: BundleControls) -> list[dict[str, Any]]:
    titles = {c.id: c.title for c in controls.infos(v.control for v in vs)}
    return [{**v.to_dict(), "title": titles.get(v.control)} for v in vs]


def _key(name: str, version: str, kind: str, state: str, previous: str | None, cause: str) -> str:
    text = "|".join([name, version, kind, state, previous or "", cause])
    return hashlib.sha256(text.encode()).hexdigest()


class _Raiser:
    """Compares the states seen now with the stored ones and builds the events."""

    def __init__(
        self,
        row: dict[str, Any],
        old: dict[str, Any],
        now: datetime,
        reannounce: timedelta,
        cause: str,
        decision_id: str | None,
    ) -> None:
        self.name, self.version = str(row["name"]), str(row["version"])
        card = row["card"]
        self.base = {
            "owner": card.get("owner"),
            "stage": row["stage"],
            "risk_tier": card.get("risk_tier"),
        }
        self.old, self.now, self.reannounce = old, now, reannounce
        self.cause, self.decision_id = cause, decision_id
        self.events: list[Event] = []
        self.states: list[tuple[str, str, bool]] = []  # kind, state, announced

    def see(self, kind: str, state: str, payload: dict[str, Any]) -> None:
        previous, announced_at = self.old.get(kind, (GOOD[kind], None))
        good = state == GOOD[kind]
        if state != previous:
            announce = not (good and kind in NO_RESOLVE)
            reminder = False
        else:
            due = announced_at is not None and self.now - announced_at >= self.reannounce
            announce = reminder = not good and due and kind != "stage"  # retired is final
        if announce:
            type_ = "resolved" if good else EVENT_TYPES[(kind, state)]
            cause = rfc3339(self.now) if reminder else self.cause
            self.events.append(
                Event(
                    event_id=str(uuid.uuid4()),
                    idempotency_key=_key(self.name, self.version, kind, state, previous, cause),
                    type=type_,
                    name=self.name,
                    version=self.version,
                    kind=kind,
                    state=state,
                    previous=previous,
                    decision_id=self.decision_id,
                    payload={**self.base, **payload, "reminder": reminder},
                    created_at=self.now,
                )
            )
        self.states.append((kind, state, announce))


def _inventory(store: Store, now: datetime) -> dict[tuple[str, str], tuple[list[str], bool]]:
    """(name, version) -> (zombie reasons no other concern announces, evidence stale).

    One query over the inventory as of `now` (per model it would cost the whole view).
    """
    rows = store.query(
        "SELECT name, version, reasons, last_evidence_at, evidence_max_age_days FROM zombies_at(?)",
        [now],
    )
    out = {}
    for name, version, reasons, last, days in rows:
        stale = last is None or last < now - timedelta(days=int(days))
        out[(str(name), str(version))] = ([r for r in reasons if not r.startswith(_COVERED)], stale)
    return out


def monitor(
    store: Store,
    prepared: PreparedPolicies,
    refs: Sequence[ModelRef] = (),
    *,
    now: datetime | None = None,
    reannounce: timedelta = DEFAULT_REANNOUNCE,
    result: MonitorRun | None = None,
) -> MonitorRun:
    """Scan, decide and record states and events for every target (see the module doc).

    `now` (default: the clock, read after each model's scan) is the decision time.
    """
    out = result or MonitorRun()
    controls = BundleControls(prepared.bundle)
    rows = targets(store, refs)
    # The states of the previous run, read once: DuckDB admits one writing process, so
    # nothing else changes them during this run (kept current by _write).
    seen = event_store.all_states(store)
    for row in rows:
        out.runs.append(_one(store, prepared, controls, row, now, reannounce, out.timings, seen))
    start = time.perf_counter()
    _inventory_events(store, rows, out, now or utcnow(), reannounce, seen)
    out.timings.record += time.perf_counter() - start
    return out


def _inventory_events(
    store: Store,
    rows: list[dict[str, Any]],
    out: MonitorRun,
    now: datetime,
    reannounce: timedelta,
    seen: dict[tuple[str, str], dict[str, Any]],
) -> None:
    """Evidence age and zombie flags, after every model's scan and decision of this run.

    A model whose states did not change costs no write.
    """
    flags = _inventory(store, now)
    by_model = {(r.model, r.version): i for i, r in enumerate(out.runs)}
    for row in rows:
        key = (str(row["name"]), str(row["version"]))
        if row["stage"] == "retired" or key not in flags:
            continue
        reasons, stale = flags[key]
        i = by_model[key]
        run = out.runs[i]
        old = seen.setdefault(key, {})
        decision_id = run.decision.decision_id if run.decision else None
        r = _Raiser(row, old, now, reannounce, decision_id or rfc3339(now), decision_id)
        r.see("evidence", "stale" if stale else "fresh", {"error": run.error})
        r.see("zombie", "flagged" if reasons else "clear", {"reasons": reasons})
        if r.events or any(state != old.get(kind, (GOOD[kind],))[0] for kind, state, _ in r.states):
            with store.transaction() as conn:
                _write(conn, r, now, old)
            out.runs[i] = replace(run, events=run.events + tuple(r.events))


def _one(
    store: Store,
    prepared: PreparedPolicies,
    controls: BundleControls,
    row: dict[str, Any],
    fixed: datetime | None,
    reannounce: timedelta,
    t: Timings,
    seen: dict[tuple[str, str], dict[str, Any]],
) -> ModelRun:
    name, version, stage = str(row["name"]), str(row["version"]), str(row["stage"])
    ref = ModelRef(name, version)
    now = fixed or utcnow()
    source = resolve_source(row, now)
    if stage == "retired":
        old = seen.setdefault((name, version), {})
        if "stage" not in old:  # never monitored: nobody downstream to tell
            return ModelRun(name, version, stage, source)
        r = _Raiser(row, old, now, reannounce, "retired", None)
        r.see("stage", "retired", {"retirement": row["card"].get("retirement")})
        with store.transaction() as conn:
            _write(conn, r, now, old)
        return ModelRun(name, version, stage, source, events=tuple(r.events))
    error: str | None = None
    scan_id: str | None = None
    files: tuple[str, ...] = ()
    start = time.perf_counter()
    if source is None:
        error = NO_SOURCE
    else:
        try:
            scanned = scan(store, ref, data=[source])
            scan_id, files = scanned.scan_id, tuple(s.path for s in scanned.sources)
        except UserInputError as exc:
            error = f"scan {source}: {exc}"
    t.scan += time.perf_counter() - start
    now = fixed or utcnow()  # after the scan: its evidence is not in the decision's future
    start = time.perf_counter()
    decision, doc = check(store, prepared, ref, stage, record=False, now=rfc3339(now))
    t.evaluate += time.perf_counter() - start
    start = time.perf_counter()
    with store.transaction() as conn:
        decision_store.insert_decision(conn, decision, doc, origin="monitor")
        t.decision += time.perf_counter() - start
        start = time.perf_counter()
        old = seen.setdefault((name, version), {})
        r = _Raiser(row, old, now, reannounce, decision.decision_id, decision.decision_id)
        r.see("stage", "active", {})
        r.see(
            "monitor",
            "failed" if error else "ok",
            {"error": error, "source": source, "files": list(files), "scan_id": scan_id},
        )
        r.see(
            "gate",
            gate_state(decision),
            {"violations": _violations(decision.violations, controls), "scan_id": scan_id},
        )
        retrain = [
            v
            for v in decision.denials
            if v.control in RETRAINING_CONTROLS and v.evidence is not None
        ]
        r.see(
            "retraining",
            "required" if retrain else "clear",
            {
                "violations": _violations(retrain, controls),
                "scan_id": scan_id,
                "files": list(files),
            },
        )
        _write(conn, r, now, old)
    t.record += time.perf_counter() - start
    return ModelRun(name, version, stage, source, files, scan_id, decision, error, tuple(r.events))


def _write(conn: Any, r: _Raiser, now: datetime, old: dict[str, Any]) -> None:
    """States that changed or were announced (and the first `stage`), then the events.

    A missing row reads as the good state, so an unchanged state needs no write; the
    `stage` row marks a model as monitored (its retirement is announced).
    """
    for kind, state, announced in r.states:
        if (
            announced
            or kind not in old
            and kind == "stage"
            or (kind in old and old[kind][0] != state)
            or (kind not in old and state != GOOD[kind])
        ):
            event_store.put_state(
                conn, r.name, r.version, kind, state, now=now, announced=announced
            )
            prev = old.get(kind)
            old[kind] = (state, now if announced or prev is None else prev[1])
    event_store.insert_events(conn, r.events)


def deliver(
    store: Store,
    sinks: Sequence[SinkConfig],
    *,
    attempts: int = DEFAULT_ATTEMPTS,
    backoff: float = DEFAULT_BACKOFF,
    sleep: Callable[[float], None] = time.sleep,
    render: Callable[[Event], dict[str, Any]] | None = None,
) -> list[Delivery]:
    """Send every pending event to every sink: up to `attempts` tries each, backoff doubling.

    A sink that keeps failing is left for the next run after its first exhausted event
    (its later events would meet the same receiver). Each success is marked delivered in
    its own transaction right after the send.
    """
    out: list[Delivery] = []
    for sink in sinks:
        delivered, failed = 0, []
        for event, _ in event_store.pending(store, sink.name):
            doc = render(event) if render else event.to_dict()
            error: str | None = None
            for i in range(attempts):
                try:
                    send(sink, doc)
                    error = None
                    break
                except SinkError as exc:
                    error = str(exc)
                    event_store.record_attempt(store, event.event_id, sink.name, error)
                    if i + 1 < attempts:
                        sleep(backoff * (2**i))
            if error is None:
                event_store.record_attempt(store, event.event_id, sink.name, None)
                delivered += 1
            else:
                failed.append((event.event_id, error))
                break
        out.append(Delivery(sink.name, delivered, tuple(failed)))
    return out


__all__ = [
    "DEFAULT_REANNOUNCE",
    "RETRAINING_CONTROLS",
    "Delivery",
    "ModelRun",
    "MonitorRun",
    "deliver",
    "gate_state",
    "monitor",
    "resolve_source",
    "targets",
]
