"""The contract every streaming metric follows, so one scan pass can feed them all.

A scan reads parquet row group by row group (possibly on several threads, one accumulator
per thread), calls `update` with each projected batch, merges the per-thread accumulators
with `merge`, and turns the merged state into evidence rows with `finalize`. Because the
state is made of exact partial aggregates (counts, sums, mergeable sketches), a scan split
into N parts and merged gives the same result as one scan.
"""

from __future__ import annotations

from typing import Protocol, Self

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

    def finalize(self) -> list[MetricRow]:
        """Evidence rows: a number with status ok, or a status and a reason."""
        ...
