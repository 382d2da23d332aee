"""The sandbox bounds the load step too, holds memory flat, and gives policies no env.

RELIABILITY.md §6: C4 (the limit covers compiling, not only evaluating), C5 (`opa.runtime`
allow-listed sees an empty environment), C10 (3,000 evaluations in one worker).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from govern.cards import load_card
from govern.errors import PolicyLimitError
from govern.policy import EngineOptions, Limits, load
from govern.runner.check import card_input

from ..conftest import CARDS, POLICIES, TODAY_NOON
from .conftest import GATE_HEAD

# 40 nested array literals: regorus' parser takes ~2x longer per level (measured: depth 14
# 0.43 s, 18 8.0 s, 20 > 20 s), so this 100-byte module would never finish compiling.
PARSER_BOMB = GATE_HEAD + "x := " + "[" * 40 + "1" + "]" * 40 + "\n"
CHILD_ENV = {"RUST_BACKTRACE", "RUST_LIB_BACKTRACE", "LC_ALL"}
PAGE = os.sysconf("SC_PAGE_SIZE")


def _children() -> set[int]:
    pids: set[int] = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        try:
            pids.update(int(p) for p in (task / "children").read_text().split())
        except OSError:
            continue
    return pids


def _rss_mb(pid: int) -> float:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE / 2**20


def test_load_of_an_exponential_parse_is_stopped_at_the_time_limit(
    write_policies: Callable[..., Path],
) -> None:
    root = write_policies({"gate.rego": PARSER_BOMB})
    before = _children()
    limit = 1.0
    start = time.monotonic()
    with pytest.raises(PolicyLimitError) as info:
        load(root, options=EngineOptions(limits=Limits(timeout_s=limit)))
    elapsed = time.monotonic() - start
    assert info.value.reason == "timeout"
    assert str(info.value) == (
        "compile policy: the policy engine was stopped after 1 s (time limit)"
    )
    assert limit <= elapsed < limit + 2
    assert _children() <= before  # the worker was killed and reaped, not left running


def test_opa_runtime_allow_listed_sees_an_empty_environment(
    write_policies: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVERN_SECRET_TOKEN", "s3cret")
    root = write_policies({"gate.rego": GATE_HEAD + "deny := set()\nrt := opa.runtime()\n"})
    options = EngineOptions(allow_builtins=("opa.runtime",))
    with load(root, options=options) as prepared:
        runtime = prepared.engine.evaluate({}, "data.govern.gates.production.rt")
        child = prepared.engine._child  # type: ignore[attr-defined]
        environ = Path(f"/proc/{child.proc.pid}/environ").read_bytes()
    # regorus 0.13 leaves `env` out of opa.runtime; were it added, the child has nothing
    assert runtime.get("env", {}) == {}
    names = {item.split(b"=", 1)[0].decode() for item in environ.split(b"\0") if item}
    assert names <= CHILD_ENV
    assert b"s3cret" not in environ


@pytest.mark.slow
def test_memory_is_flat_over_3000_evaluations_in_one_worker() -> None:
    """C10: the shipped library, one worker, 3,000 decisions: RSS growth after warm-up."""
    card = load_card(CARDS / "credit-risk.yaml")
    with load(POLICIES) as prepared:
        child = prepared.engine._child  # type: ignore[attr-defined]
        pid = child.proc.pid

        def run(n: int) -> None:
            for i in range(n):
                doc = card_input(card, "production", {}, now=TODAY_NOON)
                doc["model"]["owner"] = f"owner-{i}@example.com"  # a new input each time
                d = prepared.decide(doc, model=card.name, version=card.version, stage="production")
                assert not d.allowed

        run(300)  # warm-up
        warm = _rss_mb(pid)
        run(3000)
        grown = _rss_mb(pid) - warm
        assert prepared.engine._child is child and child.proc.pid == pid  # no restart
    assert grown < 10, f"worker RSS grew {grown:.1f} MiB over 3,000 evaluations"
