"""Process settings of the command line, applied before numpy is first imported.

numpy starts OpenBLAS's worker threads (one per core but one) when it loads; they spin
before going to sleep, and `govern` never calls BLAS (no matrix products: every metric is
counts, sums and comparisons), so on every command they only cost CPU time (~30 ms a
`govern scan`, benchmarks/README.md). A value the user set is kept. Only the CLI does
this: a program importing govern as a library keeps its own BLAS threads.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
