"""User mistakes: one clear line on stderr naming the file or field, exit 2, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from govern.cli import main

from ..conftest import CARDS, POLICIES, register_samples


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "g.duckdb"
    assert main(["--db", str(path), "init"]) == 0
    register_samples(path, CARDS / "credit-risk.yaml")
    return path


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    rc = main(args)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return rc, err


def test_missing_card_file(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, err = _run(["--db", str(db), "register", "nope.yaml"], capsys)
    assert rc == 2 and err.strip() == "error: nope.yaml: file not found"


def test_bad_yaml_names_file_and_line(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: m\nversion: [1\n")
    rc, err = _run(["--db", str(db), "register", str(bad)], capsys)
    assert rc == 2 and f"{bad}:3:" in err and "invalid YAML" in err


def test_bad_card_writes_nothing(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: m\n")
    good = CARDS / "fraud-detect.yaml"
    rc, _ = _run(["--db", str(db), "register", str(good), str(bad)], capsys)
    assert rc == 2
    rc, err = _run(
        [
            "--db",
            str(db),
            "check",
            "--model",
            "fraud-detect@7",
            "--stage",
            "production",
            "--policies",
            str(POLICIES),
        ],
        capsys,
    )
    assert rc == 2 and "unknown model 'fraud-detect@7'" in err


def test_unknown_model(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, err = _run(
        [
            "--db",
            str(db),
            "check",
            "--model",
            "ghost@1",
            "--stage",
            "production",
            "--policies",
            str(POLICIES),
        ],
        capsys,
    )
    assert rc == 2 and "unknown model 'ghost@1'; registered: credit-risk@3" in err


def test_unknown_stage(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, err = _run(
        [
            "--db",
            str(db),
            "check",
            "--model",
            "credit-risk@3",
            "--stage",
            "prod",
            "--policies",
            str(POLICIES),
        ],
        capsys,
    )
    assert rc == 2
    assert "unknown stage 'prod'; valid stages are: proposed, development" in err


def test_missing_parquet(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, err = _run(
        [
            "--db",
            str(db),
            "scan",
            "credit-risk@3",
            "--baseline",
            str(tmp_path / "b.parquet"),
            "--data",
            str(tmp_path / "c.parquet"),
        ],
        capsys,
    )
    assert rc == 2 and "b.parquet: file not found" in err


def test_not_parquet(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk.parquet"
    junk.write_text("hello")
    rc, err = _run(
        ["--db", str(db), "scan", "credit-risk@3", "--baseline", str(junk), "--data", str(junk)],
        capsys,
    )
    assert rc == 2 and "junk.parquet: not a readable parquet file" in err


def test_debug_shows_traceback(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    rc = main(["--debug", "--db", str(db), "register", "nope.yaml"])
    assert rc == 2 and "Traceback" in capsys.readouterr().err
