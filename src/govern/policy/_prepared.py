"""Prepare once, evaluate many: a loaded bundle that turns policy input into a Decision.

Fail closed: every path that is not a clean evaluation of defined `deny`/`warn` sets in
existing packages raises (PolicyLoadError / PolicyEvalError / PolicyLimitError), so a
Decision with `allowed=True` can only come from a policy that ran and found nothing.
"""

from __future__ import annotations

import hashlib
import itertools
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, cast

from govern.clock import rfc3339, utcnow
from govern.errors import PolicyEvalError, PolicyLimitError, UserInputError
from govern.lifecycle import STAGES
from govern.policy._ast import BundleInfo
from govern.policy._bundle import Bundle, read_bundle
from govern.policy._capabilities import check_calls, engine_denials
from govern.policy._conventions import (
    RULES,
    applicable_packages,
    check_wiring,
    parse_rule_value,
)
from govern.policy._index import StageIndex, build_index
from govern.policy._input import canonical_input, encode_input, input_hash
from govern.policy._sandbox import Limits
from govern.results import Decision, Overlay, Violation

ENGINES = ("regorus", "opa")
UNKNOWN_ENGINE = "unknown engine {name!r}; valid engines are: " + ", ".join(ENGINES)
NO_PACKAGE = "package {package} is not defined in {root}; a gate with no policy cannot pass"
NO_RULES = "package {package} defines neither deny nor warn; a gate with no rules cannot pass"
FEED_CHUNK = 8  # inputs decide_many reads at a time while the sandbox children evaluate


class Engine(Protocol):
    """What an engine adapter offers PreparedPolicies."""

    name: str
    packages: set[str]
    info: BundleInfo

    @property
    def version(self) -> str: ...

    def evaluate_json(self, input_json: str, query: str) -> Any: ...

    def evaluate(self, input_doc: dict[str, Any], query: str) -> Any: ...

    def coverage_json(self) -> str: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class EngineOptions:
    """How to evaluate: engine, sandbox and its limits, allow-listed builtins."""

    engine: str = "regorus"
    sandbox: bool = True
    limits: Limits = Limits()
    allow_builtins: tuple[str, ...] = ()
    coverage: bool = False


def _make_engine(bundle: Bundle, options: EngineOptions) -> Engine:
    deny = engine_denials(options.allow_builtins)
    if options.engine == "opa":
        from govern.policy._opa import OpaEngine, find_opa, in_process_engine

        if find_opa() is None:  # real OPA in-process, always in the sandbox child
            return in_process_engine(bundle.modules, bundle.data, limits=options.limits)
        return OpaEngine(bundle.modules, bundle.data, limits=options.limits)
    if options.engine != "regorus":
        raise UserInputError(UNKNOWN_ENGINE.format(name=options.engine))
    if options.sandbox:
        from govern.policy._sandbox import SandboxEngine

        return SandboxEngine(
            bundle.modules, bundle.data, limits=options.limits, coverage=options.coverage, deny=deny
        )
    from govern.policy._regorus import RegorusEngine

    return RegorusEngine(bundle.modules, bundle.data, coverage=options.coverage, deny=deny)


class PreparedPolicies:
    """A policy bundle compiled into an engine, ready to evaluate many inputs."""

    def __init__(self, bundle: Bundle, options: EngineOptions | None = None) -> None:
        self.bundle = bundle
        self.options = options or EngineOptions()
        self.engine: Engine = _make_engine(bundle, self.options)
        self.index: StageIndex | None = None
        try:
            check_calls(self.engine.info.calls, self.options.allow_builtins)
            deferred = getattr(self.engine, "deferred_error", None)
            if deferred is not None:  # OPA's whole-bundle compile error
                raise deferred
            check_wiring(self.engine.info, bundle.data)
            set_variants = getattr(self.engine, "set_variants", None)
            if set_variants is not None and not self.options.coverage:
                self.index = build_index(bundle.modules, bundle.data, self.engine.info, STAGES)
                if self.index is not None:
                    set_variants(self.index.modules)
        except Exception:
            self.engine.close()
            raise
        self._queries: dict[tuple[tuple[str, ...], str | None], _Query] = {}
        self._packages: dict[tuple[str, tuple[str, ...]], list[str]] = {}
        self._overlays = tuple(
            Overlay(path, hashlib.sha256(text.encode("utf-8")).hexdigest(), text)
            for path, text in bundle.overlays
        )

    def __enter__(self) -> PreparedPolicies:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the engine (stops a sandbox process)."""
        self.engine.close()

    @property
    def bundle_hash(self) -> str:
        """sha256 over the sorted paths and contents of the bundle's files."""
        return self.bundle.sha256

    def packages_for(self, stage: str, scopes: list[str]) -> list[str]:
        """Packages evaluated for a stage and a model's regulatory scopes.

        Cached per (stage, scopes): the data document is fixed once the bundle is loaded,
        and an inventory has few distinct scope lists.
        """
        key = (stage, tuple(scopes))
        found = self._packages.get(key)
        if found is None:
            found = self._packages[key] = applicable_packages(self.bundle.data, stage, scopes)
        return list(found)

    def _variant(self, stage: str, input_doc: dict[str, Any]) -> str | None:
        """The per-stage copy a decision may use (policy/_index.py), or None."""
        if self.index is None:
            return None
        return self.index.variant_for(stage, input_doc.get("stage"))

    def _query(self, packages: list[str], variant: str | None = None) -> _Query:
        """One query gathering every deny/warn rule of `packages` (cached per package list).

        On a per-stage variant, rules with no definition left at that stage are not
        queried (they would be undefined there) and count as empty sets.
        """
        key = (tuple(packages), variant)
        if key not in self._queries:
            parts: list[tuple[str, str]] = []
            for package in packages:
                if package not in self.engine.packages:
                    layers = ", ".join(str(p) for p in self.bundle.layers or (self.bundle.root,))
                    raise PolicyEvalError(NO_PACKAGE.format(package=package, root=layers))
                defined = self.engine.info.rules.get(package, set())
                kinds = [k for k in RULES if k in defined]
                if not kinds:
                    raise PolicyEvalError(NO_RULES.format(package=package))
                parts.extend((package, k) for k in kinds)
            emptied: frozenset[tuple[str, str]] = frozenset()
            if self.index is not None and variant is not None:
                emptied = self.index.emptied.get(variant, frozenset())
            asked = [p for p in parts if p not in emptied]
            text = "[" + ", ".join(f"data.{p}.{k}" for p, k in asked) + "]"
            self._queries[key] = _Query(text, parts, [p not in emptied for p in parts])
        return self._queries[key]

    def violations_json(
        self, input_json: str, packages: list[str], variant: str | None = None
    ) -> list[Violation]:
        """Gather deny/warn of `packages` in one evaluation; anything odd raises."""
        query = self._query(packages, variant)
        return query.violations(self._evaluate(input_json, query.text, variant))

    def _evaluate(self, input_json: str, query: str, variant: str | None) -> Any:
        if variant is None:
            return self.engine.evaluate_json(input_json, query)
        # only engines with set_variants (regorus, in-process or sandboxed) get a variant
        evaluate = cast(Callable[[str, str, str], Any], self.engine.evaluate_json)
        return evaluate(input_json, query, variant)

    def violations(self, input_doc: dict[str, Any], packages: list[str]) -> list[Violation]:
        """Gather deny/warn from each package; a missing package is an error (fail closed)."""
        return self.violations_json(encode_input(input_doc), packages)

    def decide(
        self, input_doc: dict[str, Any], *, model: str, version: str, stage: str
    ) -> Decision:
        """Evaluate the gate of `stage` (and applicable packs) into a Decision."""
        canonical = canonical_input(input_doc)  # NaN/inf refused before evaluation
        model_doc = input_doc.get("model")
        raw_scopes = model_doc.get("regulatory_scope", []) if isinstance(model_doc, dict) else []
        scopes = [str(s) for s in raw_scopes] if isinstance(raw_scopes, list) else []
        packages = self.packages_for(stage, scopes)
        violations = self.violations_json(
            canonical.decode("utf-8"), packages, self._variant(stage, input_doc)
        )
        item = DecideItem(input_doc, model, version, stage, canonical)
        return self._decision(item, violations, packages)

    def decide_many(
        self,
        items: Iterable[DecideItem],
        *,
        workers: int = 1,
        expected: int | None = None,
        on_decision: Callable[[int, Decision], None] | None = None,
    ) -> list[Decision | PolicyEvalError | UserInputError]:
        """decide() for many inputs: a Decision, or the error that stopped that one item.

        Errors stay per item (fail closed: that item gets no decision). The sandbox
        evaluates in batches over `workers` children; a limit raises LimitReached with the
        index of the item that reached it, and nothing else is returned.

        The parent's work overlaps the children's: `items` is read lazily, a few at a time
        while the children evaluate the earlier ones (so a generator that builds each input
        builds it then; `expected`, the number of items, sizes the batches), and answers
        become Decisions while the children work on later ones, each handed to
        `on_decision(item index, decision)` as it is made (in no particular order).
        """
        if expected is None and isinstance(items, Sequence):
            expected = len(items)
        seen: list[DecideItem] = []
        out: list[Decision | PolicyEvalError | UserInputError] = []
        jobs: list[tuple[str, str, str | None]] = []
        pending: list[tuple[int, _Query, list[str]]] = []
        answered: deque[tuple[int, Any]] = deque()
        source = iter(items)

        def feed() -> bool:
            taken = 0
            for item in itertools.islice(source, FEED_CHUNK):
                taken += 1
                seen.append(item)
                try:
                    input_json = item.encoded or encode_input(item.input_doc)
                    model_doc = item.input_doc.get("model")
                    raw = (
                        model_doc.get("regulatory_scope", []) if isinstance(model_doc, dict) else []
                    )
                    scopes = [str(s) for s in raw] if isinstance(raw, list) else []
                    packages = self.packages_for(item.stage, scopes)
                    variant = self._variant(item.stage, item.input_doc)
                    query = self._query(packages, variant)
                except (PolicyEvalError, UserInputError) as exc:
                    out.append(exc)
                    continue
                pending.append((len(out), query, packages))
                out.append(PolicyEvalError("not evaluated"))  # replaced by decide_answers
                jobs.append((input_json, query.text, variant))
            return taken == FEED_CHUNK

        def decide_answers(limit: int = FEED_CHUNK) -> bool:
            """Turn up to `limit` answers into Decisions (or errors); True if it did any."""
            if not answered:
                return False
            for _ in range(min(limit, len(answered))):
                job, value = answered.popleft()
                slot, query, packages = pending[job]
                try:
                    if isinstance(value, PolicyEvalError):
                        raise value
                    decision = self._decision(seen[slot], query.violations(value), packages)
                except (PolicyEvalError, UserInputError) as exc:
                    out[slot] = exc
                    continue
                out[slot] = decision
                if on_decision is not None:
                    on_decision(slot, decision)
            return True

        from govern.policy._pool import LimitReached

        try:
            self._evaluate_jobs(
                jobs, workers, feed, expected, lambda j, v: answered.append((j, v)), decide_answers
            )
        except LimitReached as stop:  # job index -> item index
            raise LimitReached(pending[stop.index][0], stop.error) from stop.error
        decide_answers(len(answered))
        return out

    def _evaluate_jobs(
        self,
        jobs: list[tuple[str, str, str | None]],
        workers: int,
        feed: Callable[[], bool],
        expected: int | None,
        on_result: Callable[[int, Any], None],
        idle: Callable[[], bool],
    ) -> None:
        """Hand on_result each job's value or PolicyEvalError; LimitReached(job index).

        `feed()` appends more jobs and returns False once there are no more; `idle()` does
        some of the caller's work on the values while the engine evaluates.
        """
        from govern.policy._pool import LimitReached

        many = getattr(self.engine, "evaluate_json_many", None)
        if many is not None:
            many(
                jobs, workers=workers, feed=feed, expected=expected, on_result=on_result, idle=idle
            )
            return
        while feed():
            pass
        for index, (input_json, query, variant) in enumerate(jobs):
            try:
                on_result(index, self._evaluate(input_json, query, variant))
            except PolicyLimitError as exc:
                raise LimitReached(index, exc) from exc
            except PolicyEvalError as exc:
                on_result(index, exc)

    def _decision(
        self, item: DecideItem, violations: list[Violation], packages: list[str]
    ) -> Decision:
        return Decision(
            decision_id=str(uuid.uuid4()),
            model=item.model,
            version=item.version,
            stage=item.stage,
            allowed=not any(v.kind == "deny" for v in violations),
            violations=tuple(violations),
            bundle_hash=self.bundle_hash,
            input_hash=(
                hashlib.sha256(item.canonical).hexdigest()
                if item.canonical is not None
                else input_hash(item.input_doc)
            ),
            engine=self.engine.name,
            engine_version=self.engine.version,
            decided_at=rfc3339(utcnow()),
            packages=tuple(packages),
            overlays=self._overlays,
        )


@dataclass(frozen=True)
class _Query:
    """A query's text and how its values map back to (package, rule) parts."""

    text: str
    parts: list[tuple[str, str]]
    asked: list[bool]  # False: no definition left on this variant, the value is empty

    def violations(self, values: Any) -> list[Violation]:
        """Violations from the query's value (one entry per asked part); odd shapes raise."""
        if not isinstance(values, list) or len(values) != sum(self.asked):
            raise PolicyEvalError(f"evaluate {self.text}: unexpected result shape")
        it = iter(values)
        out: list[Violation] = []
        for (package, kind), asked in zip(self.parts, self.asked, strict=True):
            if asked:
                out.extend(parse_rule_value(kind, package, next(it)))
        return out


@dataclass(frozen=True)
class DecideItem:
    """One input of decide_many: the document and the model/stage it is about."""

    input_doc: dict[str, Any]
    model: str
    version: str
    stage: str
    canonical: bytes | None = None  # canonical_input(input_doc), when the caller has it
    encoded: str | None = None  # encode_input(input_doc), when the caller has it


def load(
    policies: str | Path | Sequence[str | Path],
    *,
    data: tuple[str | Path, ...] = (),
    options: EngineOptions | None = None,
) -> PreparedPolicies:
    """Read and compile policy directories, in order (plus data overlays).

    Exactly the directories given: a command's layers (library first, then the
    organisation's) come from `policy_layers`.
    """
    return PreparedPolicies(read_bundle(policies, data), options)
