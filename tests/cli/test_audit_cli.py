"""`govern audit head -o`: an unwritable path is a usage error naming it, not a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from govern.cli import main


@pytest.mark.parametrize("where", ["missing-dir", "is-a-dir"])
def test_head_to_unwritable_path_is_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    db = tmp_path / "g.duckdb"
    assert main(["--db", str(db), "init"]) == 0
    out = tmp_path / "nope" / "x" / "h.json" if where == "missing-dir" else tmp_path
    capsys.readouterr()
    assert main(["--db", str(db), "audit", "head", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(out) in err
    assert "Traceback" not in err
    if where == "missing-dir":
        assert f"{out}: cannot write the audit head: No such file or directory" in err
