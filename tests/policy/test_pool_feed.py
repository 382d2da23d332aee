"""decide_many reads its inputs lazily: the children evaluate while the rest are built."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from govern.errors import UserInputError
from govern.policy import DecideItem, EngineOptions, _pool, library_dir, load
from govern.results import Decision

from ..conftest import TODAY_NOON

STAGES = ["development", "validation", "deployment", "production", "retired"]


def _items(n: int) -> list[DecideItem]:
    out = []
    for i in range(n):
        stage = STAGES[i % len(STAGES)]
        model = {
            "name": f"m{i}",
            "version": "1",
            "owner": "risk@example.com",
            "risk_tier": 1 + i % 3,
            "use_case": "credit decisions",
            "regulatory_scope": [["eu_ai_act"], ["us_sr26_2"], []][i % 3],
            "registered_at": "2026-01-01T00:00:00Z",
        }
        doc = {"now": TODAY_NOON, "stage": stage, "model": model}
        if i == 7:
            doc["now"] = float("nan")  # refused before evaluation: an error for item 7 only
        out.append(DecideItem(doc, f"m{i}", "1", stage))
    return out


def _key(d: Decision | Exception) -> object:
    if isinstance(d, Decision):
        return (d.model, d.allowed, d.input_hash, sorted((v.control, v.msg) for v in d.violations))
    return (type(d).__name__, str(d))


def test_a_generator_decides_as_a_list_does_and_is_read_while_children_evaluate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    items = _items(150)
    built: list[int] = []  # items the generator had produced when each batch was sent

    def lazily() -> Iterator[DecideItem]:
        for n, item in enumerate(items, 1):
            built.append(n)
            yield item

    sent_at: list[int] = []
    send = _pool._send_raw

    def spy(child: object, body: bytes, index: int, context: str) -> None:
        if not context.startswith("compile"):
            sent_at.append(built[-1] if built else 0)
        send(child, body, index, context)  # type: ignore[arg-type]

    with load(library_dir(), options=EngineOptions()) as prepared:
        listed = prepared.decide_many(items, workers=2)
        monkeypatch.setattr(_pool, "_send_raw", spy)
        streamed = prepared.decide_many(lazily(), workers=2, expected=len(items))
    assert [_key(d) for d in streamed] == [_key(d) for d in listed]
    assert isinstance(streamed[7], UserInputError)
    assert sum(isinstance(d, Decision) for d in streamed) == len(items) - 1
    # the first batch left before the last input was built, and later ones followed
    assert sent_at[0] < len(items)
    assert len(sent_at) > 2 and sent_at == sorted(sent_at)


def test_a_generator_without_a_count_still_gets_full_batches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    items = _items(70)
    sizes: list[int] = []
    batch_body = _pool._batch_body

    def spy(jobs: list[_pool.Job], batch: list[int]) -> bytes:
        sizes.append(len(batch))
        return batch_body(jobs, batch)

    monkeypatch.setattr(_pool, "_batch_body", spy)
    with load(library_dir(), options=EngineOptions()) as prepared:
        out = prepared.decide_many(iter(items), workers=1)
    assert len(out) == len(items)
    assert sizes[0] == _pool.DEFAULT_BATCH  # not one round trip per input
    assert sum(sizes) == len(items) - 1  # item 7 never reached a child


def test_an_empty_generator_starts_no_evaluation() -> None:
    with load(library_dir(), options=EngineOptions()) as prepared:
        assert prepared.decide_many(iter(()), workers=2) == []


def test_an_error_while_building_leaves_no_answer_for_the_next_call() -> None:
    items = _items(120)

    def broken() -> Iterator[DecideItem]:
        yield from items[:60]  # the children have batches in flight when this fails
        raise RuntimeError("registry went away")

    with load(library_dir(), options=EngineOptions()) as prepared:
        expected = [_key(d) for d in prepared.decide_many(items, workers=2)]
        with pytest.raises(RuntimeError, match="registry went away"):
            prepared.decide_many(broken(), workers=2, expected=len(items))
        again = [_key(d) for d in prepared.decide_many(list(reversed(items)), workers=2)]
    assert again == list(reversed(expected))


def test_each_decision_is_handed_over_once_with_its_item_index() -> None:
    items = _items(90)
    heard: dict[int, Decision] = {}

    def hear(index: int, decision: Decision) -> None:
        assert index not in heard
        heard[index] = decision

    with load(library_dir(), options=EngineOptions()) as prepared:
        out = prepared.decide_many(iter(items), workers=2, on_decision=hear)
    assert heard == {i: d for i, d in enumerate(out) if isinstance(d, Decision)}
    assert all(heard[i].model == items[i].model for i in heard)
