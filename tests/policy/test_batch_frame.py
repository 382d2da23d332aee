"""eval_batch frames carry the inputs as raw JSON after the header, never re-escaped."""

from __future__ import annotations

import json
import os

from govern.policy import DecideItem, EngineOptions, library_dir, load
from govern.policy._input import encode_input
from govern.policy._worker import batch_frame, read_frame_parts, write_raw_frame

from ..conftest import TODAY_NOON


def test_a_batch_frame_round_trips_inputs_byte_for_byte() -> None:
    docs = [{"a": "line\nbreak", "b": "§ ünïcode ✓"}, {"c": [1, 2.5, None]}, {}]
    raws = [encode_input(d).encode() for d in docs]
    body = batch_frame(
        ["q0", "q1"], [(raws[0], 0, "production"), (raws[1], 1, None), (raws[2], 0, None)]
    )
    read_fd, write_fd = os.pipe()
    try:
        write_raw_frame(write_fd, body)
        header, payload = read_frame_parts(read_fd)
    finally:
        os.close(read_fd)
        os.close(write_fd)
    assert header["op"] == "eval_batch"
    assert header["queries"] == ["q0", "q1"]
    pos, out = 0, []
    for size, q, variant in header["items"]:
        out.append((json.loads(payload[pos : pos + size]), q, variant))
        pos += size
    assert out == [(docs[0], 0, "production"), (docs[1], 1, None), (docs[2], 0, None)]
    assert pos == len(payload)


def test_batched_sandbox_decisions_equal_single_decisions_on_odd_text() -> None:
    model = {
        "name": "m",
        "version": "1",
        "owner": "zoë\nüber",
        "risk_tier": 1,
        "use_case": 'line one\nline two \u2028 "quoted"',
        "regulatory_scope": ["eu_ai_act"],
        "registered_at": "2026-01-01T00:00:00Z",
    }
    items = [
        DecideItem(
            {"now": TODAY_NOON, "stage": s, "model": dict(model, name=f"m{i}")}, f"m{i}", "1", s
        )
        for i, s in enumerate(["development", "production", "retired"])
    ]
    with load(library_dir(), options=EngineOptions()) as prepared:
        many = prepared.decide_many(items, workers=2)
        one = [
            prepared.decide(i.input_doc, model=i.model, version=i.version, stage=i.stage)
            for i in items
        ]
    for a, b in zip(many, one, strict=True):
        assert not isinstance(a, Exception), a
        assert [(v.control, v.msg) for v in a.violations] == [
            (v.control, v.msg) for v in b.violations
        ]
        assert a.input_hash == b.input_hash
