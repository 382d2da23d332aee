"""The coalescing of a row group's column-chunk ranges into few large reads (runner/_prefetch.py).

The end-to-end equality of evidence read this way is checked against every object store in
test_s3.py, test_clouds.py and engines/; here, which reads are made.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from govern.runner import _prefetch
from govern.runner._prefetch import HOLE, RANGE, chunk_ranges, coalesce

MB = 1 << 20


@pytest.mark.parametrize(
    ("ranges", "expected"),
    [
        ([], []),
        ([(0, 10)], [(0, 10)]),
        ([(0, 10), (10, 5)], [(0, 15)]),  # adjacent
        ([(0, 10), (10 + HOLE, 5)], [(0, 15 + HOLE)]),  # a hole of exactly HOLE is fetched
        ([(0, 10), (11 + HOLE, 5)], [(0, 10), (11 + HOLE, 5)]),  # a larger hole is not
        ([(0, 20 * MB), (20 * MB, 20 * MB)], [(0, 20 * MB), (20 * MB, 20 * MB)]),  # cap
        ([(0, 40 * MB), (40 * MB, 1)], [(0, 40 * MB), (40 * MB, 1)]),  # one chunk over RANGE
        ([(0, 5), (5, 5), (10, 5)], [(0, 15)]),
    ],
)
def test_coalesce(ranges: list[tuple[int, int]], expected: list[tuple[int, int]]) -> None:
    out = coalesce(ranges)
    assert out == expected
    assert all(n <= RANGE or any(n == m for _, m in ranges) for _, n in out)
    # every input byte is covered by exactly one read
    for s, n in ranges:
        assert sum(1 for a, m in out if a <= s and s + n <= a + m) == 1


def test_a_row_group_is_fetched_in_few_reads_and_decodes_the_same(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    n = 200_000
    table = pa.table({f"c{i}": rng.normal(size=n) for i in range(12)})
    path = tmp_path / "x.parquet"
    pq.write_table(table, path, row_group_size=n // 2, compression="zstd")
    pf = pq.ParquetFile(path)
    wanted = [f"c{i}" for i in range(0, 12, 2)]
    ranges = chunk_ranges(pf.metadata, 1, wanted)
    assert len(ranges) == len(wanted)
    reads: list[tuple[int, int]] = []

    class Counting:
        def __init__(self) -> None:
            self._f = pa.OSFile(str(path))

        def read_at(self, nbytes: int, offset: int) -> pa.Buffer:
            reads.append((offset, nbytes))
            return self._f.read_at(nbytes, offset)

        def size(self) -> int:
            return int(self._f.size())

    staged = _prefetch.staged_row_group(pf, Counting(), 1, wanted)
    for c in wanted:
        assert (
            staged.read_row_group(1, columns=[c])
            .column(c)
            .equals(pf.read_row_group(1, columns=[c]).column(c))
        )
    assert sorted(reads) == coalesce(ranges)  # the coalesced ranges, each read once
    assert len(reads) == 1  # the skipped columns' holes are small: one read
