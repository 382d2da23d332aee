"""Many evaluations over one or more sandbox children, in batches, under per-evaluation limits.

One request per evaluation costs a pipe round trip and leaves the child idle while the
parent builds the next input; `check --all` instead sends batches (`eval_batch`) and the
child streams one answer per item. Each answer restarts that child's clock, so the time
limit still applies to every evaluation, and the memory cap is polled as before. With
`workers` > 1, extra children compile the bundle while the first one already evaluates,
then take batches as they become free (on 2 cores, two children keep both busy while the
parent encodes inputs and parses answers).

A limit (timeout, oom, crash) stops every child and raises LimitReached naming the job
that was running, so the caller can abort the run with the model's name.
"""

from __future__ import annotations

import json
import os
import select
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from govern.errors import PolicyEvalError, PolicyLimitError
from govern.policy import _worker
from govern.policy._regorus import first_value_of
from govern.policy._sandbox import CRASH_MSG, OOM_MSG, TIMEOUT_MSG, _Child, _rss_mb

if TYPE_CHECKING:
    from govern.policy._sandbox import SandboxEngine

_POLL_S = 0.01
UNASKED = "evaluate: the policy engine process sent an answer nobody asked for"
_READ_SIZE = 1 << 16
_HEADER = _worker.HEADER
DEFAULT_BATCH = 32


class LimitReached(Exception):
    """A limit stopped job `index`; `error` is the engine's PolicyLimitError."""

    def __init__(self, index: int, error: PolicyLimitError) -> None:
        super().__init__(str(error))
        self.index = index
        self.error = error


@dataclass
class _Slot:
    """A child and the batch it is working on (None while idle or compiling)."""

    child: _Child
    loading: bool = False
    batch: list[int] = field(default_factory=list)
    pos: int = 0
    deadline: float = 0.0
    rss_at: float = 0.0
    buffer: bytearray = field(default_factory=bytearray)  # answer bytes not yet parsed

    @property
    def current(self) -> int:
        """The job the child is evaluating (or last evaluated), 0 while compiling."""
        return self.batch[self.pos] if self.batch and self.pos < len(self.batch) else 0


def _context(slot: _Slot, jobs: Sequence[Job]) -> str:
    """What the slot's child is doing, as errors name it."""
    return "compile policy" if slot.loading else f"evaluate {jobs[slot.current][1]}"


def _crashed(slot: _Slot, jobs: Sequence[Job]) -> PolicyLimitError:
    context = _context(slot, jobs)
    code = slot.child.proc.wait()
    how = f"signal {-code}" if code < 0 else f"exit status {code}"
    return PolicyLimitError(CRASH_MSG.format(context=context, how=how), reason="crash")


def _frames(slot: _Slot, jobs: Sequence[Job]) -> Iterator[Any]:
    """The complete answers in the slot's buffer, in order, each removed as it is taken."""
    buffer = slot.buffer
    while len(buffer) >= _HEADER.size:
        (size,) = _HEADER.unpack_from(buffer)
        end = _HEADER.size + size
        if len(buffer) < end:
            return
        body = bytes(buffer[_HEADER.size : end])
        del buffer[:end]
        try:
            answer = json.loads(body)
        except ValueError:
            raise LimitReached(slot.current, _crashed(slot, jobs)) from None
        yield answer


def _send_raw(child: _Child, body: bytes, index: int, context: str) -> None:
    try:
        _worker.write_raw_frame(child.fd_in, body)
    except (BrokenPipeError, OSError):
        child.close()
        err = PolicyLimitError(
            CRASH_MSG.format(context=context, how="its pipe closed"), reason="crash"
        )
        raise LimitReached(index, err) from None


Job = tuple[str, str, str | None]  # (input JSON, query, per-stage variant or None)


def _batch_body(jobs: Sequence[Job], batch: list[int]) -> bytes:
    # inputs are already JSON text: they travel as raw bytes after the header
    queries: dict[str, int] = {}
    items = []
    for i in batch:
        input_json, query, variant = jobs[i]
        items.append((input_json.encode(), queries.setdefault(query, len(queries)), variant))
    return _worker.batch_frame(list(queries), items)


def evaluate_many(
    engine: SandboxEngine,
    jobs: list[Job],
    *,
    workers: int = 1,
    batch: int = DEFAULT_BATCH,
    feed: Callable[[], bool] | None = None,
    expected: int | None = None,
    on_result: Callable[[int, Any], None] | None = None,
    idle: Callable[[], bool] | None = None,
) -> list[Any]:
    """Value (or PolicyEvalError) of each (input_json, query, variant) job, in job order.

    `feed`, when given, appends a few more jobs to `jobs` per call and returns False once
    it has no more: the caller builds its inputs while the children evaluate the earlier
    ones (`expected`, the number of jobs it will have in all, sizes the batches).
    `on_result(index, value)` hears each value as it arrives, and `idle()`, called when
    there is nothing to build and no answer waiting, does a little of the caller's work on
    those values (True: it did some, look again without waiting), so the parent's share of
    the work overlaps the children's instead of following it.
    """
    feeding = feed is not None
    # with no count, batches take their full size: small ones cost a round trip each
    total = max(expected or (batch * 4 * workers if feeding else 0), len(jobs))
    limits = engine.limits
    size = max(1, min(batch, -(-total // (4 * max(workers, 1)))))
    ahead = size * max(workers, 1)  # jobs built beyond those sent, while children work
    results: dict[int, Any] = {}
    sent = 0  # jobs[:sent] are in some child's batch

    def fill(count: int) -> None:
        nonlocal feeding
        while feeding and len(jobs) - sent < count:
            feeding = bool(feed and feed())

    def start(slot: _Slot) -> None:
        nonlocal sent
        fill(size)
        if sent == len(jobs):
            slot.batch = []
            return
        slot.batch, slot.pos = list(range(sent, min(sent + size, len(jobs)))), 0
        sent = slot.batch[-1] + 1
        now = time.monotonic()
        slot.deadline, slot.rss_at = now + limits.timeout_s, now
        first = slot.batch[0]
        _send_raw(slot.child, _batch_body(jobs, slot.batch), first, f"evaluate {jobs[first][1]}")

    def stop(index: int, error: PolicyLimitError) -> LimitReached:
        engine.close()  # every child: the run is over
        return LimitReached(index, error)

    def receive(slot: _Slot) -> None:
        """Handle every answer already in the slot's pipe, read at once.

        The children stream answers while the parent builds inputs; a frame a read cost
        two syscalls.
        """
        try:
            chunk = os.read(slot.child.fd_out, _READ_SIZE)
        except OSError:
            chunk = b""
        if not chunk:
            raise stop(slot.current, _crashed(slot, jobs))
        slot.buffer += chunk
        for answer in _frames(slot, jobs):
            if slot.loading:
                if not answer["ok"]:  # the first child compiled this very bundle
                    msg = f"{_context(slot, jobs)}: {answer['error']}"
                    raise stop(0, PolicyLimitError(msg, reason="crash"))
                slot.loading = False
                start(slot)
                continue
            if not slot.batch:  # an answer nobody asked for: never guess whose
                raise stop(0, PolicyLimitError(UNASKED, reason="crash"))
            current = slot.current
            if answer["ok"]:
                try:
                    results[current] = first_value_of(answer["doc"], jobs[current][1])
                except PolicyEvalError as exc:
                    results[current] = exc
            else:
                context = _context(slot, jobs)
                results[current] = engine.locate(answer["error"], PolicyEvalError, context)
            if on_result is not None:
                on_result(current, results[current])
            slot.pos += 1
            slot.deadline = time.monotonic() + limits.timeout_s
            if slot.pos == len(slot.batch):
                start(slot)

    def watch(slot: _Slot) -> None:
        """The memory cap (polled) and the time limit of a slot with no answer waiting."""
        now = time.monotonic()
        if now - slot.rss_at >= _POLL_S:
            slot.rss_at = now
            rss = _rss_mb(slot.child.proc.pid)
            if rss > limits.memory_mb:
                msg = OOM_MSG.format(context=_context(slot, jobs), rss=rss, limit=limits.memory_mb)
                raise stop(slot.current, PolicyLimitError(msg, reason="oom"))
        if now > slot.deadline:
            msg = TIMEOUT_MSG.format(context=_context(slot, jobs), limit=limits.timeout_s)
            raise stop(slot.current, PolicyLimitError(msg, reason="timeout"))

    try:
        fill(1)
        if not jobs:
            return []
        slots = [_Slot(engine.child())]
        start(slots[0])
        for child in engine.live_extras()[: max(workers - 1, 0)]:  # compiled by an earlier call
            slots.append(_Slot(child))
            start(slots[-1])
        load = json.dumps({**engine.load_request, "ast": False, "opa_check": False}).encode()
        for _ in range(len(slots), min(workers, len(slots) + -(-(total - sent) // size))):
            extra = engine.adopt(_Child(engine.child_env))
            slots.append(_Slot(extra, loading=True, deadline=time.monotonic() + limits.timeout_s))
            _send_raw(extra, load, 0, "compile policy")
        while any(s.loading or s.batch for s in slots):
            if not feeding and sent == len(jobs):  # nothing left for a child still compiling
                for slot in slots:
                    if slot.loading:
                        slot.child.close()
                        slot.loading = False
            busy = [s for s in slots if s.loading or s.batch]
            wait = _POLL_S
            if feeding and len(jobs) - sent < ahead:
                # build the next inputs while the children evaluate; then only look for answers
                feeding = bool(feed and feed())
                wait = 0.0
            elif idle is not None and idle():
                wait = 0.0
            ready, _, _ = select.select([s.child.fd_out for s in busy], [], [], wait)
            for slot in busy:
                if slot.child.fd_out in ready:
                    receive(slot)
                else:
                    watch(slot)
        return [results[i] for i in range(len(jobs))]
    except BaseException:
        # an error in the caller's feed/idle work, or an interrupt, leaves batches in
        # flight: their answers must never be read as those of a later call
        engine.close()
        raise


__all__ = ["DEFAULT_BATCH", "LimitReached", "evaluate_many"]
