"""What a `govern scan` imports before its first row: nothing it does not use.

The fixed cost of a scan is paid by every scan, however small the file (issue 13): these
modules cost tens of milliseconds each to import and a numeric scan never calls them, so
they are imported where they are used. Each case runs in a fresh interpreter (modules
imported by other tests in this process would hide a regression).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

import govern
from govern.cli import main

NOT_ON_THE_SCAN_PATH = ("pyarrow.compute", "rich", "yaml", "govern.cards")


def _imported_after(code: str, cwd: Path) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_scan_modules_do_not_import_unused_libraries(tmp_path: Path) -> None:
    mods = _imported_after("import govern.cli, govern.cli.drift, govern.runner.scan", tmp_path)
    assert not [m for m in NOT_ON_THE_SCAN_PATH if m in mods]


def test_a_numeric_scan_end_to_end_does_not_import_them(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)

    def table(n: int) -> pa.Table:
        return pa.table(
            {
                "a": pa.array(rng.normal(0, 1, n).astype(np.float32)),
                "n": pa.array(rng.integers(0, 9, n)),
                "region": pa.array(rng.choice(["x", "y"], n)),
            }
        )

    pq.write_table(table(2_000), tmp_path / "ref.parquet")
    pq.write_table(table(500), tmp_path / "now.parquet")
    (tmp_path / "card.yaml").write_text(
        'name: m\nversion: "1"\nowner: a@example.com\nrisk_tier: 2\nuse_case: test\n'
        "monitoring:\n  features: [a, n, region]\n  min_rows: 10\n"
    )
    db = str(tmp_path / "g.duckdb")
    for args in (
        ["init"],
        ["register", str(tmp_path / "card.yaml")],
        ["baseline", "m@1", "--data", str(tmp_path / "ref.parquet")],
    ):
        assert main(["--db", db, *args]) == 0, args
    code = (
        "from govern.cli import main\n"
        f"assert main(['--db', {db!r}, '--quiet', 'scan', 'm@1', '--data', 'now.parquet']) == 0"
    )
    mods = _imported_after(code, tmp_path)
    assert "govern.runner.scan" in mods  # the scan did run in that process
    assert not [m for m in NOT_ON_THE_SCAN_PATH if m in mods]
    # A full scan stores no partial states (no Arrow table handed to DuckDB): it needs
    # neither the duckdb package's Python layer nor the other commands' modules.
    full = code.replace("'now.parquet']", "'now.parquet', '--full']")
    mods = _imported_after(full, tmp_path)
    assert "govern.runner.scan" in mods and "_duckdb" in mods
    unused = ("duckdb", "importlib.metadata", "govern.cli.policy", "govern.cli.check")
    assert not [m for m in unused if m in mods]


def test_version_literal_is_the_installed_distribution_version() -> None:
    # pyproject.toml reads the version from govern.__version__ at build time.
    assert metadata.version("govern-mrm") == govern.__version__


def test_the_cli_starts_no_blas_threads_and_keeps_a_users_setting(tmp_path: Path) -> None:
    """govern never calls BLAS: the CLI keeps OpenBLAS to the main thread (its spinning
    worker threads cost CPU on every command), unless the user set the variable."""
    probe = (
        "import os, sys\n"
        "import govern.cli\n"
        "assert 'numpy' not in sys.modules or os.environ['OPENBLAS_NUM_THREADS']\n"
        "import numpy\n"
        "print(os.environ['OPENBLAS_NUM_THREADS'], len(os.listdir('/proc/self/task')))"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert out[0] == "1"
    if Path("/proc/self/task").is_dir():
        assert out[1] == "1"  # no BLAS worker threads in the process
    mine = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={**env, "OPENBLAS_NUM_THREADS": "2"},
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert mine[0] == "2"
