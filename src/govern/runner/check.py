"""`govern check`: evaluate lifecycle gates for model versions and report the decisions.

Two sources of model state:

- a database (`--db`, `$GOVERN_DB`, or `--model` with the default ./govern.duckdb): the
  registry row and the latest stored evidence; decisions are recorded;
- none: the model cards in the repository and evidence JSON files (`--evidence`), built
  directly into the policy input. Nothing is stored, and DuckDB is never imported, so a
  CI merge gate starts fast.

A card given on the command line is always read from the file (the pull request's
version); in database mode the registry supplies its lifecycle state, approvals, events
and evidence. Every path builds the input with runner/policy_input.build.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govern._gcpause import cyclic_gc_paused
from govern.cards import ModelCard, load_card
from govern.clock import rfc3339, utcnow
from govern.errors import GovernError, PolicyError, PolicyLimitError, UserInputError
from govern.lifecycle import STAGES, ModelRef, check_stage
from govern.output import CheckedModel, ModelFailure, Report
from govern.policy import PreparedPolicies
from govern.results import Decision
from govern.runner._controls import BundleControls
from govern.runner._evidence_files import (
    EvidenceFile,
    evidence_for,
    parse_evidence_args,
)
from govern.runner._evidence_files import (
    check_targets as check_evidence_targets,
)
from govern.runner._locate import locate_violations
from govern.runner._reporting import repo_relative, repo_root, run_error
from govern.runner.policy_input import ModelState, build, registry_state, unregistered_state

if TYPE_CHECKING:
    from govern.policy import EngineOptions
    from govern.store import Store

NEXT_STAGE = "next"
DEFAULT_CARDS = ("govern.yaml", "models/*.yaml", "models/*.yml")
NO_CARDS = (
    "no model cards found: pass MODEL_CARD files or --model NAME@VERSION, "
    "or add govern.yaml or models/*.yaml in {root}"
)


def resolve_stage(requested: str | None, current: str) -> str:
    """The gate to evaluate: `requested`, "next" after `current`, or `current` itself."""
    if requested is None:
        return check_stage(current)
    if requested == NEXT_STAGE:
        i = STAGES.index(check_stage(current))
        if i + 1 == len(STAGES):
            raise UserInputError(f"--stage next: {current!r} is the last stage")
        return STAGES[i + 1]
    return check_stage(requested)


def build_input(
    store: Store, name: str, version: str, stage: str, *, now: str | None = None
) -> dict[str, Any]:
    """The policy input of a registered version (runner/policy_input.py says what is in it)."""
    from govern.store import registry

    return input_from_row(store, registry.get_version(store, name, version), stage, now=now)


def _registry_state(store: Store, row: dict[str, Any], card: ModelCard | None = None) -> ModelState:
    from govern.runner.evidence_doc import evidence_document
    from govern.store import lifecycle as lifecycle_store

    name, version = str(row["name"]), str(row["version"])
    return registry_state(
        row,
        approvals=lifecycle_store.approvals_for(store, name, version),
        events=lifecycle_store.events_for(store, name, version),
        evidence=evidence_document(store, name, version),
        card=card,
        triggers=_open_triggers(store, name),
    )


def _open_triggers(store: Store, name: str) -> list[dict[str, Any]]:
    from govern.store import events as event_store

    return event_store.open_triggers(store, name)


def input_from_row(
    store: Store, row: dict[str, Any], stage: str, *, now: str | None = None
) -> dict[str, Any]:
    """The policy input for a registry row (as returned by registry.get_version)."""
    return build(_registry_state(store, row), stage, now=now or rfc3339(utcnow()))


def assemble_input(
    row: dict[str, Any],
    stage: str,
    *,
    now: str,
    approvals: list[dict[str, Any]],
    events: list[dict[str, Any]],
    evidence: dict[str, Any],
    triggers: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The policy input from a registry row and its already-read state (no store access).

    Used by the bulk builder of `check --all`; the same builder as every other path.
    """
    state = registry_state(
        row, approvals=approvals, events=events, evidence=evidence, triggers=triggers
    )
    return build(state, stage, now=now)


def card_input(
    card: ModelCard,
    stage: str,
    evidence: dict[str, Any],
    *,
    lifecycle_stage: str | None = None,
    registered_at: str | None = None,
    now: str | None = None,
) -> dict[str, Any]:
    """The policy input of a card the registry does not hold (registered in memory at `now`)."""
    now = now or rfc3339(utcnow())
    state = unregistered_state(
        card,
        registered_at=registered_at or now,
        evidence=evidence,
        lifecycle_stage=lifecycle_stage,
    )
    return build(state, stage, now=now)


def check(
    store: Store,
    prepared: PreparedPolicies,
    ref: ModelRef,
    stage: str | None,
    *,
    record: bool = True,
    now: str | None = None,
) -> tuple[Decision, dict[str, Any]]:
    """Evaluate a registered version's gate (default: its current stage); record it."""
    from govern.store import decisions as decision_store
    from govern.store import registry

    name, version = registry.resolve(store, ref)
    if stage is None or stage == NEXT_STAGE:
        stage = resolve_stage(stage, str(registry.get_version(store, name, version)["stage"]))
    check_stage(stage)
    input_doc = build_input(store, name, version, stage, now=now)
    decision = prepared.decide(input_doc, model=name, version=version, stage=stage)
    if record:
        decision_store.record_decision(store, decision, input_doc)
    return decision, input_doc


def check_card(
    prepared: PreparedPolicies,
    card: ModelCard,
    *,
    stage: str | None = None,
    evidence: dict[str, Any] | None = None,
    store: Store | None = None,
    record: bool = True,
    now: str | None = None,
) -> tuple[Decision, dict[str, Any]]:
    """Evaluate a card's gate (default: the stage the card declares).

    The card's facts always come from the file (the pull request's version). With a store,
    a registered version's lifecycle state, approvals, events and latest evidence come from
    the registry (an unregistered one has none) and the decision is recorded. Without one,
    the cards are the registry: each card is registered in memory at check time, so
    `registered_at` is the input's `now`; a card cannot declare its own registration.
    Either way the input is built by runner/policy_input.build, as for `--model`.
    """
    now = now or rfc3339(utcnow())
    state: ModelState
    row = None
    if store is not None:
        from govern.errors import ModelNotFoundError
        from govern.store import registry

        try:
            row = registry.get_version(store, card.name, card.version)
        except ModelNotFoundError:
            row = None
    if store is not None and row is not None:
        state = _registry_state(store, row, card)
    else:
        # without a database the cards are the registry (registered now); with one, a
        # card it does not hold has no registration (MRM-INV-01) and no evidence
        registered_at = now if store is None else None
        state = unregistered_state(
            card,
            registered_at=registered_at,
            evidence=(evidence or {}) if store is None else {},
            triggers=_open_triggers(store, card.name) if store is not None else None,
        )
    target = resolve_stage(stage, state.lifecycle_stage if row is not None else card.stage)
    input_doc = build(state, target, now=now)
    decision = prepared.decide(input_doc, model=card.name, version=card.version, stage=target)
    if store is not None and record:
        from govern.store import decisions as decision_store

        decision_store.record_decision(store, decision, input_doc)
    return decision, input_doc


def discover_cards(root: Path = Path(".")) -> list[Path]:
    """`govern.yaml` and `models/*.yaml|yml` under `root`, in that order."""
    found: list[Path] = []
    for pattern in DEFAULT_CARDS:
        found.extend(sorted(p for p in root.glob(pattern) if p.is_file()))
    return found


def display_path(path: str | Path | None) -> str | None:
    """A card path as reports show it: relative to the working directory when inside it."""
    if path is None:
        return None
    p = Path(path)
    try:
        return p.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        return p.as_posix()


def checked(
    decision: Decision,
    card_path: str | None,
    *,
    root: Path | None = None,
    controls: BundleControls | None = None,
) -> CheckedModel:
    """A decision with the card location of each finding and the controls it evaluated."""
    text = None
    if card_path is not None:
        try:
            text = Path(card_path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            text = None
    shown = display_path(card_path) if text is not None else card_path
    uri = repo_relative(card_path, root) if card_path is not None and root is not None else None
    evaluated = controls.evaluated(decision.packages, decision.stage) if controls else ()
    locations = locate_violations(text, decision.violations)
    return CheckedModel(decision, shown, locations, uri=uri, evaluated=evaluated)


@dataclass(frozen=True)
class CheckOutcome:
    """One model of a `check --all` run: a decision, or the error that stopped it."""

    model: str
    version: str
    stage: str
    decision: Decision | None
    error: GovernError | None = None
    card_path: str | None = None  # where the registered card was read from, if recorded


def target_stage(current: str) -> str:
    """The gate a version faces next: the following stage; production and retired re-check."""
    i = STAGES.index(check_stage(current))
    return current if current in ("production", "retired") else STAGES[i + 1]


LIMIT_ABORT = (
    "check --all: {model}@{version} ({stage}): {error}; run stopped after {done} of {total} "
    "model versions and nothing recorded: a policy that reaches a limit is a bundle problem "
    "(fix the policy, or raise --timeout / --memory-limit)"
)


DEFAULT_WORKERS = min(2, os.cpu_count() or 1)


def check_all(
    store: Store,
    prepared: PreparedPolicies,
    *,
    record: bool = True,
    now: str | None = None,
    workers: int = DEFAULT_WORKERS,
) -> list[CheckOutcome]:
    """Every registered version at its next (or own) stage: one bundle, many decisions.

    One clock for the whole run; a policy or input error stops only the model it concerns
    (fail closed: that model gets no decision); the decisions are recorded together.
    A limit (timeout, memory cap, engine crash) aborts the whole run instead, with nothing
    recorded: a policy that hangs on one model usually hangs on all of them, and waiting
    out one time limit per model would turn a 10 s failure into hours over an inventory.

    Throughput (docs/policy-engine.md, Throughput): every table is read once
    (RegistrySnapshot), inputs are evaluated in batches over `workers` sandbox children,
    and decisions with their audit records are written in one transaction of bulk inserts.
    """
    with cyclic_gc_paused():
        return _check_all(store, prepared, record=record, now=now, workers=workers)


def _check_all(
    store: Store,
    prepared: PreparedPolicies,
    *,
    record: bool,
    now: str | None,
    workers: int,
) -> list[CheckOutcome]:
    """check_all's run, with the cyclic garbage collector paused (govern/_gcpause.py)."""
    from govern.policy import DecideItem, LimitReached
    from govern.policy._input import canonical_input
    from govern.runner.bulk_input import RegistrySnapshot
    from govern.store import decisions as decision_store
    from govern.store import registry

    now = now or rfc3339(utcnow())
    rows = registry.versions_with_cards(store)
    snapshot = RegistrySnapshot.read(store)
    built: list[tuple[str, str, str, dict[str, Any] | GovernError]] = []
    positions: list[int] = []
    items: list[DecideItem] = []

    def inputs() -> Iterator[DecideItem]:
        # built while the sandbox children evaluate the inputs before them (decide_many
        # reads this lazily)
        for i, row in enumerate(rows):
            name, version = str(row["name"]), str(row["version"])
            stage = target_stage(str(row["stage"]))
            try:
                doc = snapshot.input_for(row, stage, now=now)
            except (PolicyError, UserInputError) as exc:
                built.append((name, version, stage, exc))
                continue
            built.append((name, version, stage, doc))
            canon: bytes | None = None
            encoded: str | None = None
            # once: the canonical bytes are hashed for the decision, spliced into its
            # content digest, evaluated and stored as the decision's input (encode_input);
            # on an error decide_many reports this input's error as before
            with contextlib.suppress(UserInputError):
                canon = canonical_input(doc)
                encoded = canon.decode("utf-8")
            positions.append(i)
            items.append(DecideItem(doc, name, version, stage, canon, encoded))
            yield items[-1]

    ready: dict[int, decision_store.PreparedDecision] = {}

    def prepare(index: int, decision: Decision) -> None:
        # each decision's row, digest and audit payload, while the children evaluate
        # later inputs; written below in registry order
        if record:
            item = items[index]
            doc, canon, text = item.input_doc, item.canonical, item.encoded
            ready[index] = decision_store.prepare_decision(decision, doc, canon, text)

    try:
        decided = prepared.decide_many(
            inputs(), workers=workers, expected=len(rows), on_decision=prepare
        )
    except LimitReached as stop:
        item = items[stop.index]
        done = positions[stop.index]  # model versions before it, in registry order
        msg = LIMIT_ABORT.format(
            model=item.model,
            version=item.version,
            stage=item.stage,
            error=stop.error,
            done=done,
            total=len(rows),
        )
        raise PolicyLimitError(msg, reason=stop.error.reason) from stop.error
    outcomes: list[CheckOutcome] = []
    results = iter(zip(decided, items, strict=True))
    for row, (name, version, stage, doc) in zip(rows, built, strict=True):
        card_path = str(row["card_path"]) if row.get("card_path") else None
        if not isinstance(doc, dict):
            outcomes.append(CheckOutcome(name, version, stage, None, doc, card_path))
            continue
        result, _ = next(results)
        if isinstance(result, Decision):
            outcomes.append(CheckOutcome(name, version, stage, result, card_path=card_path))
        else:
            outcomes.append(CheckOutcome(name, version, stage, None, result, card_path))
    if record and ready:
        decision_store.record_prepared(store, [ready[i] for i in sorted(ready)])
    return outcomes


def all_report(
    outcomes: list[CheckOutcome],
    controls: BundleControls,
    *,
    fail_on: str = "deny",
    root: Path | None = None,
) -> Report:
    """The report of a `check --all` run, in the shape every `govern check` format reads.

    A model that got no decision is a failure of the report (fail closed: the run exits 2
    whatever the failure mode), named with its error.
    """
    from govern import __version__

    base = repo_root(root)
    models = [
        checked(o.decision, o.card_path, root=base, controls=controls)
        for o in outcomes
        if o.decision is not None
    ]
    failures = [
        ModelFailure(o.model, o.version, o.stage, run_error(o.error, base))
        for o in outcomes
        if o.decision is None and o.error is not None
    ]
    return Report(
        tuple(models),
        fail_on=fail_on,
        tool_version=__version__,
        root=str(base),
        controls=controls.infos(v.control for m in models for v in m.decision.violations),
        failures=tuple(failures),
    )


def default_policy_dir() -> tuple[Path, ...]:
    """The layers a command loads by default: the shipped library, then `./policies`."""
    from govern.policy import policy_layers

    return policy_layers()


@dataclass(frozen=True)
class CheckRequest:
    """Everything `govern check` was asked to do, already parsed (see the CLI for flags)."""

    cards: tuple[Path, ...] = ()
    models: tuple[str, ...] = ()
    stage: str | None = None
    policies: Path | tuple[Path, ...] | None = None  # exactly these; None: default_policy_dir()
    data: tuple[Path, ...] = ()
    evidence: tuple[str, ...] = ()
    db: str | None = None  # None: no database, unless `models` asks for the default one
    fail_on: str = "deny"
    root: Path = field(default_factory=lambda: Path("."))
    options: EngineOptions | None = None  # engine, sandbox, limits, allowed builtins
    lock_timeout: float | None = None  # None: $GOVERN_LOCK_TIMEOUT, else 10 s


def run_check(request: CheckRequest) -> Report:
    """Load cards, evidence and policies; evaluate every gate; return the report.

    Inputs are all read and validated before any policy is evaluated or anything stored.
    """
    from govern import __version__
    from govern.policy import load

    if request.stage not in (None, NEXT_STAGE):
        check_stage(request.stage)
    use_db = request.db is not None or bool(request.models)
    if use_db and request.evidence:
        raise UserInputError(
            "--evidence is for checks without a database; with --db/GOVERN_DB/--model the "
            "latest evidence is read from the database (drop --evidence or --db)"
        )
    card_paths = list(request.cards)
    if not card_paths and not request.models:
        card_paths = discover_cards(request.root)
        if not card_paths:
            raise UserInputError(NO_CARDS.format(root=request.root.resolve()))
    cards = [load_card(p) for p in card_paths]
    refs = [ModelRef.parse(m) for m in request.models]
    seen: dict[tuple[str, str], str | None] = {}
    for c in cards:
        key = (c.name, c.version)
        if key in seen:
            raise UserInputError(
                f"{c.name}@{c.version} is declared by two model cards: {seen[key]} and {c.path}"
            )
        seen[key] = c.path
    evidence_files: list[EvidenceFile] = parse_evidence_args(request.evidence)
    check_evidence_targets(evidence_files, list(seen))
    prepared = load(
        request.policies or default_policy_dir(), data=tuple(request.data), options=request.options
    )

    root = repo_root(request.root)
    try:
        controls = BundleControls(prepared.bundle)
        results: list[CheckedModel] = []
        if use_db:
            from govern.store import Store

            with Store.open(request.db, lock_timeout=request.lock_timeout) as store:
                for card in cards:
                    d, _ = check_card(prepared, card, stage=request.stage, store=store)
                    results.append(checked(d, card.path, root=root, controls=controls))
                for ref in refs:
                    d, doc = check(store, prepared, ref, request.stage)
                    path = doc["model"].get("card_path")
                    results.append(checked(d, path, root=root, controls=controls))
        else:
            for card in cards:
                evidence = evidence_for(evidence_files, card.name, card.version)
                d, _ = check_card(prepared, card, stage=request.stage, evidence=evidence)
                results.append(checked(d, card.path, root=root, controls=controls))
    finally:
        prepared.close()
    return Report(
        tuple(results),
        fail_on=request.fail_on,
        tool_version=__version__,
        root=str(root),
        controls=controls.infos(v.control for r in results for v in r.decision.violations),
    )


__all__ = [
    "CheckRequest",
    "all_report",
    "build_input",
    "card_input",
    "check",
    "check_card",
    "default_policy_dir",
    "discover_cards",
    "resolve_stage",
    "run_check",
]
