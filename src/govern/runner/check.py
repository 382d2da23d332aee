"""`govern check`: evaluate lifecycle gates for model versions and report the decisions.

Two sources of model state:

- a database (`--db`, `$GOVERN_DB`, or `--model` with the default ./govern.duckdb): the
  registry row and the latest stored evidence; decisions are recorded;
- none: the model cards in the repository and evidence JSON files (`--evidence`), built
  directly into the policy input. Nothing is stored, and DuckDB is never imported, so a
  CI merge gate starts fast.

A card given on the command line is always read from the file (the pull request's
version); in database mode the registry supplies its lifecycle state and evidence.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govern.cards import ModelCard, load_card, resolve_facts
from govern.clock import parse_rfc3339, rfc3339, utcnow
from govern.errors import GovernError, PolicyError, PolicyLimitError, UserInputError
from govern.lifecycle import STAGES, ModelRef, check_stage
from govern.output import CheckedModel, Report
from govern.policy import PreparedPolicies
from govern.results import Decision
from govern.runner._evidence_files import (
    EvidenceFile,
    evidence_for,
    parse_evidence_args,
)
from govern.runner._evidence_files import (
    check_targets as check_evidence_targets,
)
from govern.runner._locate import locate_violations

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
    """The policy input document: model (card + registry state), evidence, clock, target.

    Facts declared with provenance are unwrapped; an expired fact is absent from
    `input.model` (its provenance, marked expired, stays in `input.provenance`).
    `input.approvals` = [{stage, role, by, at, note}] and `input.events` (lifecycle events,
    oldest first) let policies express separation of duties.
    """
    from govern.store import registry

    return input_from_row(store, registry.get_version(store, name, version), stage, now=now)


def input_from_row(
    store: Store, row: dict[str, Any], stage: str, *, now: str | None = None
) -> dict[str, Any]:
    """The policy input for a registry row (as returned by registry.get_version)."""
    from govern.runner.evidence_doc import evidence_document
    from govern.store import lifecycle as lifecycle_store

    name, version = str(row["name"]), str(row["version"])
    return assemble_input(
        row,
        stage,
        now=now or rfc3339(utcnow()),
        approvals=lifecycle_store.approvals_for(store, name, version),
        events=lifecycle_store.events_for(store, name, version),
        evidence=evidence_document(store, name, version),
    )


def assemble_input(
    row: dict[str, Any],
    stage: str,
    *,
    now: str,
    approvals: list[dict[str, Any]],
    events: list[dict[str, Any]],
    evidence: dict[str, Any],
) -> dict[str, Any]:
    """The policy input from a registry row and its already-read state (no store access).

    Shared by input_from_row (one version) and the bulk builder of `check --all`, so both
    produce the same document for the same stored state.
    """
    facts, provenance = resolve_facts(row["card"], parse_rfc3339(now))
    model = dict(facts)
    model.update(
        {
            "name": str(row["name"]),
            "version": str(row["version"]),
            "lifecycle_stage": row["stage"],
            "registered_at": rfc3339(row["registered_at"]),
            "card_path": row["card_path"],
            "card_sha256": row["card_sha256"],
        }
    )
    return {
        "now": now,
        "stage": stage,
        "model": model,
        "provenance": provenance,
        "approvals": approvals,
        "events": events,
        "evidence": evidence,
    }


def card_input(
    card: ModelCard,
    stage: str,
    evidence: dict[str, Any],
    *,
    lifecycle_stage: str | None = None,
    registered_at: str | None = None,
    now: str | None = None,
) -> dict[str, Any]:
    """The policy input document for a card read from a file, in the registry's shape."""
    model = dict(card.data)
    model.update(
        {
            "name": card.name,
            "version": card.version,
            "lifecycle_stage": lifecycle_stage or card.stage,
            "card_path": card.path,
            "card_sha256": card.sha256,
        }
    )
    # a card's own `registered_at` is never trusted: registration is the registry's fact
    model.pop("registered_at", None)
    if registered_at is not None:
        model["registered_at"] = registered_at
    return {
        "now": now or rfc3339(utcnow()),
        "stage": stage,
        "model": model,
        "evidence": evidence,
    }


def check(
    store: Store,
    prepared: PreparedPolicies,
    ref: ModelRef,
    stage: str | None,
    *,
    record: bool = True,
) -> tuple[Decision, dict[str, Any]]:
    """Evaluate a registered version's gate (default: its current stage); record it."""
    from govern.store import decisions as decision_store
    from govern.store import registry

    name, version = registry.resolve(store, ref)
    if stage is None or stage == NEXT_STAGE:
        stage = resolve_stage(stage, str(registry.get_version(store, name, version)["stage"]))
    check_stage(stage)
    input_doc = build_input(store, name, version, stage)
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
) -> tuple[Decision, dict[str, Any]]:
    """Evaluate a card's gate (default: the stage the card declares).

    With a store, a registered version's lifecycle state and latest evidence come from the
    registry (an unregistered one has no evidence) and the decision is recorded. Without
    one, the cards are the registry (issue 7: "an in-memory registry is built from the
    cards"): each card is registered in memory at check time, so `registered_at` is the
    input's `now`; a card cannot declare its own registration.
    """
    now = rfc3339(utcnow())
    lifecycle_stage = None
    registered_at: str | None = None
    if store is None:
        registered_at = now
    else:
        from govern.errors import ModelNotFoundError
        from govern.runner.evidence_doc import evidence_document
        from govern.store import registry

        try:
            row = registry.get_version(store, card.name, card.version)
        except ModelNotFoundError:
            evidence = {}
        else:
            lifecycle_stage = str(row["stage"])
            registered_at = rfc3339(row["registered_at"])
            evidence = evidence_document(store, card.name, card.version)
    target = resolve_stage(stage, card.stage)
    input_doc = card_input(
        card,
        target,
        evidence or {},
        lifecycle_stage=lifecycle_stage,
        registered_at=registered_at,
        now=now,
    )
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


def checked(decision: Decision, card_path: str | None) -> CheckedModel:
    """A decision with the card location of each finding."""
    text = None
    if card_path is not None:
        try:
            text = Path(card_path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            text = None
    shown = display_path(card_path) if text is not None else card_path
    return CheckedModel(decision, shown, locate_violations(text, decision.violations))


@dataclass(frozen=True)
class CheckOutcome:
    """One model of a `check --all` run: a decision, or the error that stopped it."""

    model: str
    version: str
    stage: str
    decision: Decision | None
    error: GovernError | None = None


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
    from govern.policy import DecideItem, LimitReached
    from govern.runner.bulk_input import RegistrySnapshot
    from govern.store import decisions as decision_store
    from govern.store import registry

    now = now or rfc3339(utcnow())
    rows = registry.versions_with_cards(store)
    snapshot = RegistrySnapshot.read(store)
    built: list[tuple[str, str, str, dict[str, Any] | GovernError]] = []
    for row in rows:
        name, version = str(row["name"]), str(row["version"])
        stage = target_stage(str(row["stage"]))
        try:
            built.append((name, version, stage, snapshot.input_for(row, stage, now=now)))
        except (PolicyError, UserInputError) as exc:
            built.append((name, version, stage, exc))
    positions = [i for i, b in enumerate(built) if isinstance(b[3], dict)]
    items = [DecideItem(built[i][3], *built[i][:3]) for i in positions]  # type: ignore[arg-type]
    try:
        decided = prepared.decide_many(items, workers=workers)
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
    results = iter(decided)
    outcomes: list[CheckOutcome] = []
    recorded: list[tuple[Decision, dict[str, Any]]] = []
    for name, version, stage, doc in built:
        if not isinstance(doc, dict):
            outcomes.append(CheckOutcome(name, version, stage, None, doc))
            continue
        result = next(results)
        if isinstance(result, Decision):
            outcomes.append(CheckOutcome(name, version, stage, result))
            recorded.append((result, doc))
        else:
            outcomes.append(CheckOutcome(name, version, stage, None, result))
    if record and recorded:
        decision_store.record_decisions(store, recorded)
    return outcomes


def all_exit_code(outcomes: list[CheckOutcome]) -> int:
    """2 if any model could not be decided, else 1 if any was denied, else 0."""
    if any(o.error is not None for o in outcomes):
        return 2
    return 1 if any(o.decision is not None and not o.decision.allowed for o in outcomes) else 0


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

    try:
        results: list[CheckedModel] = []
        if use_db:
            from govern.store import Store

            with Store.open(request.db) as store:
                for card in cards:
                    d, _ = check_card(prepared, card, stage=request.stage, store=store)
                    results.append(checked(d, card.path))
                for ref in refs:
                    d, doc = check(store, prepared, ref, request.stage)
                    results.append(checked(d, doc["model"].get("card_path")))
        else:
            for card in cards:
                evidence = evidence_for(evidence_files, card.name, card.version)
                d, _ = check_card(prepared, card, stage=request.stage, evidence=evidence)
                results.append(checked(d, card.path))
    finally:
        prepared.close()
    return Report(tuple(results), fail_on=request.fail_on, tool_version=__version__)


__all__ = [
    "CheckRequest",
    "build_input",
    "card_input",
    "check",
    "check_card",
    "default_policy_dir",
    "discover_cards",
    "resolve_stage",
    "run_check",
]
