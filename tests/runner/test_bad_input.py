"""Every bad input: one clear line naming the file (and column), exit 2, nothing stored."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from govern.cli import main

from .conftest import table


def _counts(db: Path) -> tuple[int, int, int]:
    con = duckdb.connect(str(db), read_only=True)
    out = tuple(
        int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
        for t in ("scans", "evidence", "scan_partials")
    )
    con.close()
    return out  # type: ignore[return-value]


def _good(tmp: Path) -> Path:
    p = tmp / "good.parquet"
    pq.write_table(table(50), p)
    return p


def _truncated(tmp: Path) -> Path:
    src = _good(tmp).read_bytes()
    p = tmp / "truncated.parquet"
    p.write_bytes(src[: len(src) // 2])
    return p


def _empty(tmp: Path) -> Path:
    p = tmp / "empty.parquet"
    p.write_bytes(b"")
    return p


def _csv(tmp: Path) -> Path:
    p = tmp / "notparquet.parquet"
    p.write_text("x,z\n1,2\n")
    return p


def _corrupt_page(tmp: Path) -> Path:
    good = _good(tmp)
    src = bytearray(good.read_bytes())
    meta = pq.ParquetFile(good).metadata.row_group(0)
    chunk = meta.column(pq.ParquetFile(good).schema_arrow.get_field_index("x"))
    start = chunk.data_page_offset
    for i in range(start, start + chunk.total_compressed_size):  # the x pages; footer intact
        src[i] = 0xAB
    p = tmp / "corrupt.parquet"
    p.write_bytes(bytes(src))
    return p


def _missing_column(tmp: Path) -> Path:
    p = tmp / "nocol.parquet"
    pq.write_table(table(51).drop_columns(["z"]), p)
    return p


def _replace(tmp: Path, name: str, col: str, arr: pa.Array) -> Path:
    t = table(52)
    p = tmp / name
    pq.write_table(t.set_column(t.schema.get_field_index(col), col, arr), p)
    return p


CASES = {
    "truncated": (_truncated, "not a readable parquet file"),
    "empty": (_empty, "not a readable parquet file"),
    "not parquet": (_csv, "not a readable parquet file"),
    "corrupt page": (_corrupt_page, None),
    "missing column": (_missing_column, "column 'z' is missing"),
    "string vs float": (
        lambda t: _replace(t, "str.parquet", "x", pa.array(["1.0"] * 2_000)),
        "column 'x' has type string, the reference has double",
    ),
    # float32 vs float64 is accepted since issue 13 (numbers of any width match numbers).
    "bool vs float64": (
        lambda t: _replace(t, "bool.parquet", "z", pa.array(np.ones(2_000, dtype=bool))),
        "column 'z' has type bool, the reference has double",
    ),
    "float vs string": (
        lambda t: _replace(t, "cat.parquet", "c", pa.array(np.ones(2_000))),
        "column 'c' has type double, the reference has string",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_file_exits_2_names_the_file_and_stores_nothing(
    model: dict, case: str, capsys: pytest.CaptureFixture[str]
) -> None:
    db, logs, tmp = model["db"], model["logs"], model["tmp"]
    make, expected = CASES[case]
    bad = make(tmp)
    assert main(["--db", str(db), "-q", "scan", "m@1", "--data", str(logs)]) == 0
    before = _counts(db)
    capsys.readouterr()
    rc = main(
        ["--db", str(db), "-q", "scan", "m@1", "--full", "--data", str(logs), "--data", str(bad)]
    )
    err = capsys.readouterr().err
    assert rc == 2, err
    assert err.startswith(f"error: {bad}") and err.count("\n") == 1, err
    assert "Traceback" not in err
    if expected:
        assert expected in err
    assert _counts(db) == before


def test_time_units_of_the_window_column_are_checked(
    model: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    db, tmp = model["db"], model["tmp"]
    p = _replace(tmp, "ts.parquet", "ts", pa.array(np.arange(2_000), type=pa.int64()))
    rc = main(["--db", str(db), "-q", "scan", "m@1", "--data", str(p), "--since", "2026-11-01"])
    assert rc == 2
    assert (
        "time column 'ts' has type int64; expected a timestamp or date" in capsys.readouterr().err
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--data", "/nonexistent/x.parquet"], "file not found"),
        (["--data", "/nonexistent/*.parquet"], "no files match the pattern"),
        (
            ["--data", "LOGS", "--since", "yesterday"],
            "--since: 'yesterday' is not an ISO 8601 date",
        ),
        (["--data", "LOGS", "--threads", "0"], "threads must be at least 1"),
    ],
)
def test_bad_arguments(
    model: dict, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [str(model["logs"]) if a == "LOGS" else a for a in argv]
    assert main(["--db", str(model["db"]), "scan", "m@1", *argv]) == 2
    assert message in capsys.readouterr().err
    assert _counts(model["db"])[0] == 0


def test_scan_without_a_profile_says_what_to_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ..conftest import CARDS, IMPORT

    db = tmp_path / "g.duckdb"
    assert main(["--db", str(db), "init"]) == 0
    assert main(["--db", str(db), "register", *IMPORT, str(CARDS / "credit-risk.yaml")]) == 0
    data = tmp_path / "x.parquet"
    pq.write_table(table(1), data)
    capsys.readouterr()
    assert main(["--db", str(db), "scan", "credit-risk@3", "--data", str(data)]) == 2
    err = capsys.readouterr().err
    assert "no reference profile for credit-risk@3; run `govern baseline credit-risk@3" in err


def test_baseline_with_a_missing_feature_column(
    model: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    p = _missing_column(model["tmp"])
    assert main(["--db", str(model["db"]), "baseline", "m@1", "--data", str(p)]) == 2
    assert f"{p}: column 'z' is missing" in capsys.readouterr().err
