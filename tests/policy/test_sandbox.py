"""Limits: a runaway policy is stopped and reported while govern carries on."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from govern.errors import PolicyLimitError
from govern.policy import EngineOptions, Limits, load

from .conftest import GATE_HEAD

SQUARES = (
    'deny contains "never" if {\n'
    "\tcount([v | some i in numbers.range(1, input.n); some j in numbers.range(1, input.n);"
    " v := i * j]) < 0\n}\n"
)
MEMORY_BOMB = (
    'deny contains "never" if {\n'
    '\tcount([concat("", [x, x, x, x]) | some i in numbers.range(1, input.n);'
    ' x := sprintf("%v-padding-padding-padding", [i])]) < 0\n}\n'
)


def _decide(prepared: object, n: int) -> object:
    return prepared.decide({"n": n}, model="m", version="1", stage="production")  # type: ignore[attr-defined]


@pytest.mark.slow
def test_huge_comprehension_times_out_and_the_engine_recovers(
    write_policies: Callable[..., Path],
) -> None:
    root = write_policies({"gate.rego": GATE_HEAD + SQUARES})
    limit = 1.0
    with load(root, options=EngineOptions(limits=Limits(timeout_s=limit))) as prepared:
        start = time.monotonic()
        with pytest.raises(PolicyLimitError) as info:
            _decide(prepared, 3000)
        elapsed = time.monotonic() - start
        assert info.value.reason == "timeout"
        assert elapsed < limit + 2
        assert "stopped after 1 s (time limit)" in str(info.value)
        # the next evaluation gets a fresh worker
        assert _decide(prepared, 3).allowed  # type: ignore[attr-defined]


@pytest.mark.slow
def test_memory_bomb_is_stopped_at_the_cap(write_policies: Callable[..., Path]) -> None:
    root = write_policies({"gate.rego": GATE_HEAD + MEMORY_BOMB})
    limits = Limits(timeout_s=60.0, memory_mb=150)
    with load(root, options=EngineOptions(limits=limits)) as prepared:
        with pytest.raises(PolicyLimitError) as info:
            _decide(prepared, 5_000_000)
        assert info.value.reason == "oom"
        assert "memory cap 150 MiB" in str(info.value)
        assert _decide(prepared, 3).allowed  # type: ignore[attr-defined]


def test_worker_process_is_stopped_on_close(write_policies: Callable[..., Path]) -> None:
    root = write_policies({"gate.rego": GATE_HEAD + "deny := set()\n"})
    prepared = load(root)
    child = prepared.engine._child  # type: ignore[attr-defined]
    assert child is not None and child.proc.poll() is None
    prepared.close()
    assert child.proc.poll() is not None


def test_child_environment_is_cleared(
    write_policies: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVERN_SECRET_TOKEN", "s3cret")
    root = write_policies({"gate.rego": GATE_HEAD + "deny := set()\nrt := opa.runtime()\n"})
    options = EngineOptions(allow_builtins=("opa.runtime",))
    with load(root, options=options) as prepared:
        value = prepared.engine.evaluate({}, "data.govern.gates.production.rt")
    assert "s3cret" not in repr(value)
