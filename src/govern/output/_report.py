"""What reporters receive: the decisions of one `govern check` run and where findings sit.

A `Report` is plain data, built by the runner and read by every format. Exit codes are
computed here, from the decisions and the run's failure mode, so that all formats and the
CLI agree on them (conftest keeps `ExitCode`/`ExitCodeFailOnWarn` beside its results too).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from govern.errors import EXIT_ALLOWED, EXIT_DENIED, EXIT_USAGE
from govern.results import Decision, Violation

FAIL_MODES = ("deny", "warn", "never")

SUMMARY = "{models} checked: {allowed} allowed, {denied} denied ({deny} deny, {warn} warn)"
"""The one-line summary every human-readable format ends with."""

ERROR_SUMMARY = "no decision: govern check stopped with {code} (exit {exit_code})"
"""The summary line of a run that an error stopped before any decision."""

UNDECIDED_SUMMARY = "; {undecided} not decided (error)"
"""Appended to SUMMARY when some models of a `check --all` run could not be decided."""


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


@dataclass(frozen=True)
class Location:
    """Where a finding points in the model card: a 1-based line and the field, if known.

    `field` is the dotted card path that was located (e.g. "monitoring.features"); it is
    None when the violation named no field of the card, and the line then falls back to 1.
    """

    line: int = 1
    field: str | None = None


@dataclass(frozen=True)
class ControlInfo:
    """A control's catalogue metadata (`# METADATA` title, description, custom.*)."""

    id: str
    title: str = ""
    description: str = ""
    source: str = ""
    article: str = ""
    severity: str = ""


@dataclass(frozen=True)
class RunError:
    """Why a run stopped before deciding: the error's stable code, its message and place.

    Every requested report is still written for such a run (a CI step that uploads the
    SARIF file or reads the JUnit file must find it), saying that no decision was made.
    `path` is as the error named it; `uri` is the same file relative to the report's
    root ("/" separated), or None when it lies outside it.
    """

    code: str
    message: str
    exit_code: int
    path: str | None = None
    line: int | None = None
    column: int | None = None
    uri: str | None = None

    @property
    def location(self) -> str | None:
        """`file:line:col`, as much of it as is known, or None."""
        if self.path is None:
            return None
        return ":".join(str(p) for p in (self.path, self.line, self.column) if p is not None)


@dataclass(frozen=True)
class ModelFailure:
    """A model of a `check --all` run that got no decision, and the error that stopped it.

    Fail closed: a run with any such model is not allowed, whatever the other decisions.
    """

    model: str
    version: str
    stage: str
    error: RunError

    @property
    def ref(self) -> str:
        """`NAME@VERSION` of the model."""
        return f"{self.model}@{self.version}"


@dataclass(frozen=True)
class CheckedModel:
    """One model's decision, the card it was read from, and one location per violation."""

    decision: Decision
    card: str | None = None  # card path relative to the working directory, "/" separated
    locations: tuple[Location, ...] = ()
    uri: str | None = None  # card path relative to Report.root, "/" separated (None: outside)
    evaluated: tuple[str, ...] = ()  # every control id the gate evaluated, fired or not

    @property
    def repo_path(self) -> str | None:
        """The card as CI annotations name it: relative to the root, else as shown."""
        return self.uri if self.uri is not None else self.card

    def findings(self) -> Iterator[tuple[Violation, Location]]:
        """Each violation with its location (line 1 when none was recorded)."""
        for i, v in enumerate(self.decision.violations):
            yield v, self.locations[i] if i < len(self.locations) else Location()

    @property
    def ref(self) -> str:
        """`NAME@VERSION` of the decision."""
        return f"{self.decision.model}@{self.decision.version}"


@dataclass(frozen=True)
class Report:
    """All decisions of one run, and how findings map to an exit code.

    `fail_on` is "deny" (default: 0 allowed, 1 denied), "warn" (conftest's --fail-on-warn:
    0 no findings, 1 warnings only, 2 any denial) or "never" (--no-fail: always 0).
    """

    models: tuple[CheckedModel, ...]
    fail_on: str = "deny"
    tool_version: str = "0.0.0"
    error: RunError | None = None
    root: str | None = None  # absolute path of the repository root (SARIF %SRCROOT%)
    controls: tuple[ControlInfo, ...] = ()  # catalogue metadata of the bundle's controls
    failures: tuple[ModelFailure, ...] = ()  # models a `check --all` run could not decide

    def __post_init__(self) -> None:
        if self.fail_on not in FAIL_MODES:
            raise ValueError(f"fail_on {self.fail_on!r} is not one of {', '.join(FAIL_MODES)}")

    @property
    def allowed(self) -> bool:
        """True when no model was denied, every model was decided and no error stopped the run."""
        return (
            self.error is None
            and not self.failures
            and all(m.decision.allowed for m in self.models)
        )

    @property
    def result(self) -> str:
        """The run's result: allow, deny, or error (an error stopped the run or a model)."""
        if self.error is not None or self.failures:
            return "error"
        return "allow" if self.allowed else "deny"

    @property
    def deny_count(self) -> int:
        """Number of `deny` findings over all models."""
        return sum(len(m.decision.denials) for m in self.models)

    @property
    def warn_count(self) -> int:
        """Number of `warn` findings over all models."""
        return sum(len(m.decision.warnings) for m in self.models)

    @property
    def exit_code(self) -> int:
        """The process exit code for this run's decisions under its failure mode."""
        if self.error is not None:
            return self.error.exit_code
        if self.failures:  # like a run error: no failure mode turns "not decided" into a pass
            return max(f.error.exit_code for f in self.failures)
        if self.fail_on == "never":
            return EXIT_ALLOWED
        if self.fail_on == "warn":
            if self.deny_count:
                return EXIT_USAGE  # conftest: 2 = failures; see docs/ci.md
            return EXIT_DENIED if self.warn_count else EXIT_ALLOWED
        return EXIT_ALLOWED if self.allowed else EXIT_DENIED

    @property
    def summary(self) -> str:
        """One line: models checked, allowed, denied, and finding counts."""
        if self.error is not None:
            return ERROR_SUMMARY.format(code=self.error.code, exit_code=self.error.exit_code)
        denied = sum(1 for m in self.models if not m.decision.allowed)
        text = SUMMARY.format(
            models=_plural(len(self.models), "model"),
            allowed=len(self.models) - denied,
            denied=denied,
            deny=self.deny_count,
            warn=self.warn_count,
        )
        if self.failures:
            text += UNDECIDED_SUMMARY.format(undecided=_plural(len(self.failures), "model"))
        return text
