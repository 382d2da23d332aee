"""`govern policy test`: run the `test_*` rules of a bundle (OPA's convention) with coverage.

A test passes only when its rule evaluates to exactly `true`; undefined, false, any other
value, an engine error or a limit stop is a failure. Tests run in the sandbox (a runaway
test is stopped at the time limit like any policy) with regorus' coverage enabled, and the
same builtin capability rules as `govern check` apply.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from govern.errors import PolicyError
from govern.policy._bundle import read_bundle
from govern.policy._capabilities import check_calls, engine_denials
from govern.policy._conventions import check_wiring
from govern.policy._sandbox import Limits, SandboxEngine

TEST_PREFIX = "test_"


@dataclass(frozen=True)
class PolicyTest:
    """Outcome of one test rule."""

    package: str
    name: str
    path: str
    line: int
    passed: bool
    duration_s: float
    error: str | None = None

    @property
    def location(self) -> str:
        """`file:line` of the test rule."""
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class FileCoverage:
    """Lines of one policy file evaluated by the tests."""

    path: str
    covered: int
    not_covered: int
    uncovered_lines: tuple[int, ...]

    @property
    def percent(self) -> float:
        """Covered share of the lines that carry code (100 when none do)."""
        total = self.covered + self.not_covered
        return 100.0 * self.covered / total if total else 100.0


@dataclass(frozen=True)
class TestReport:
    """Every test and the coverage of the non-test files."""

    tests: tuple[PolicyTest, ...]
    coverage: tuple[FileCoverage, ...]

    @property
    def failed(self) -> tuple[PolicyTest, ...]:
        """The tests that did not pass."""
        return tuple(t for t in self.tests if not t.passed)

    def exit_code(self) -> int:
        """0 when every test passed (and there was at least one), else 1."""
        return 0 if self.tests and not self.failed else 1


def _under(path: str, directory: str | Path) -> bool:
    try:
        Path(path).resolve().relative_to(Path(directory).resolve())
    except ValueError:
        return False
    return True


def _is_test_file(path: str) -> bool:
    return Path(path).name.endswith("_test.rego")


def run_tests(
    policies: str | Path | Sequence[str | Path],
    *,
    data: tuple[str | Path, ...] = (),
    limits: Limits | None = None,
    allow_builtins: tuple[str, ...] = (),
    match: str | None = None,
    engine_name: str = "regorus",
    only: Sequence[str | Path] = (),
) -> TestReport:
    """Run every `test_*` rule under `policies` (those containing `match`, if given).

    `engine_name="opa"` runs them on real OPA in-process (what `opa test` would report);
    coverage is then not reported. With `only`, just the tests defined in files under those
    directories run (the other layers are loaded for the rules the tests exercise).
    """
    bundle = read_bundle(policies, data)
    engine = SandboxEngine(
        bundle.modules,
        bundle.data,
        limits=limits,
        coverage=True,
        deny=engine_denials(allow_builtins),
        engine=engine_name,
    )
    try:
        check_calls(engine.info.calls, allow_builtins)
        if engine.deferred_error is not None:
            raise engine.deferred_error
        check_wiring(engine.info, bundle.data)  # a control no stage reaches fails the run
        found = sorted(
            (loc, package, rule)
            for (package, rule), loc in engine.info.locations.items()
            if rule.startswith(TEST_PREFIX)
            and (match is None or match in f"{package}.{rule}")
            and (not only or any(_under(loc[0], d) for d in only))
        )
        results = []
        for (path, line), package, rule in found:
            start = time.perf_counter()
            error: str | None = None
            try:
                value = engine.evaluate_json("{}", f"data.{package}.{rule}")
                passed = value is True
                if not passed:
                    error = f"evaluated to {json.dumps(value)[:80]}"
            except PolicyError as exc:
                passed, error = False, str(exc)
                if "result is undefined" in error:
                    error = "undefined (a condition of the test did not hold)"
            results.append(
                PolicyTest(package, rule, path, line, passed, time.perf_counter() - start, error)
            )
        coverage = _coverage(engine) if results else ()
    finally:
        engine.close()
    return TestReport(tuple(results), coverage)


def _coverage(engine: SandboxEngine) -> tuple[FileCoverage, ...]:
    if engine.name != "regorus":
        return ()
    try:
        report = json.loads(engine.coverage_json())
    except PolicyError:
        return ()  # the child was restarted after a limit stop: its coverage is gone
    out = []
    for f in report.get("files", []):
        path = str(f["path"])
        if _is_test_file(path):
            continue
        covered, missing = f.get("covered", []), f.get("not_covered", [])
        out.append(FileCoverage(path, len(covered), len(missing), tuple(sorted(missing))))
    return tuple(sorted(out, key=lambda c: c.path))
