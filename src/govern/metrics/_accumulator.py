"""The contract every streaming metric follows, so one scan pass can feed them all.

A scan reads parquet row group by row group (possibly on several threads, one accumulator
per thread), calls `update` with each projected batch, merges the per-thread accumulators
with `merge`, and turns the merged state into evidence rows with `finalize`. Because the
state is made of exact partial aggregates (counts, sums, mergeable sketches), a scan split
into N parts and merged gives the same result as one scan.

The merged state of each source file is stored (`to_state`, JSON) under a key that includes
every accumulator's `config`, and a later scan of the same file loads it back (`load_state`)
instead of reading the file again. So `load_state(to_state())` must give back exactly the
same state: a re-scan that merges stored states must equal a full scan bit for bit. Nothing
time-relative belongs in the state (a stored state is reused by later scans); a reference
time such as "now" is configuration passed in by the caller, left out of `config`.

Two optional class attributes tell the scan engine how it may feed an accumulator:
`independent_columns = True` (any subset of `columns` may come in a batch of its own, so
columns can be read one at a time) and `whole_row_groups = True` (the state depends on how
rows are cut into batches, e.g. a float partial sum per batch, so the engine must not cut a
row group into slices: a file's state must not depend on how many threads scanned it).
"""

from __future__ import annotations

from typing import Any, Protocol, Self

import pyarrow as pa

from govern.results import MetricRow


class Accumulator(Protocol):
    """A mergeable partial aggregate over record batches."""

    @property
    def columns(self) -> tuple[str, ...]:
        """Columns this accumulator reads (the scan projects only the union of these)."""
        ...

    def update(self, batch: pa.RecordBatch | pa.Table) -> None:
        """Fold one batch into the state. Must not keep references to the batch."""
        ...

    def merge(self, other: Self) -> Self:
        """Exact merge of two states of the same configuration (returns a new state)."""
        ...

    def empty(self) -> Self:
        """A fresh state with the same configuration (for another thread or file)."""
        ...

    @property
    def config(self) -> dict[str, Any]:
        """JSON-safe configuration; part of the key of stored states (a change invalidates them)."""
        ...

    def to_state(self) -> dict[str, Any]:
        """JSON-safe exact state, what a later scan loads instead of reading the file.

        Ints as ints, floats by repr (non-finite as strings), sums as ExactSum units; never
        NaN/inf JSON numbers (DuckDB's JSON type rejects them).
        """
        ...

    def load_state(self, doc: dict[str, Any]) -> Self:
        """A new state of this configuration holding exactly what `to_state` saved."""
        ...

    def finalize(self) -> list[MetricRow]:
        """Evidence rows: a number with status ok, or a status and a reason."""
        ...
