from __future__ import annotations

import io
import json
import os
import stat
from pathlib import Path

import pytest

from govern.errors import UserInputError
from govern.output import Report, Target, _emit, write_reports
from govern.output._emit import SAME_FILE, STDOUT_TAKEN


def test_files_and_stdout(mixed: Report, tmp_path: Path) -> None:
    out = io.StringIO()
    sarif = tmp_path / "out.sarif"
    write_reports(mixed, [Target("sarif", sarif), Target("text")], stdout=out, environ={})
    assert json.loads(sarif.read_text())["version"] == "2.1.0"
    assert out.getvalue().rstrip().endswith(mixed.summary)
    assert [p.name for p in tmp_path.iterdir()] == ["out.sarif"]  # no temporary left behind


def test_github_appends_the_job_summary(mixed: Report, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    out = io.StringIO()
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    write_reports(mixed, [Target("github")], stdout=out, environ=env)
    text = summary.read_text()
    assert text.startswith("earlier step\n## govern check: ❌ denied")
    assert out.getvalue().startswith("::notice")


def test_no_job_summary_without_the_variable(mixed: Report, tmp_path: Path) -> None:
    write_reports(mixed, [Target("github")], stdout=io.StringIO(), environ={})
    assert list(tmp_path.iterdir()) == []


def test_two_formats_on_stdout_are_refused(mixed: Report) -> None:
    with pytest.raises(UserInputError) as err:
        write_reports(mixed, [Target("json"), Target("text")], stdout=io.StringIO(), environ={})
    assert str(err.value) == STDOUT_TAKEN.format(first="json", second="text")


def test_one_file_for_two_formats_is_refused(mixed: Report, tmp_path: Path) -> None:
    f = tmp_path / "x"
    with pytest.raises(UserInputError) as err:
        write_reports(
            mixed, [Target("json", f), Target("sarif", f)], stdout=io.StringIO(), environ={}
        )
    assert str(err.value) == SAME_FILE.format(path=f, first="json", second="sarif")
    assert not f.exists()


def test_missing_directory_writes_nothing(mixed: Report, tmp_path: Path) -> None:
    out = io.StringIO()
    good = tmp_path / "good.json"
    with pytest.raises(UserInputError, match="does not exist"):
        write_reports(
            mixed,
            [Target("json", good), Target("sarif", tmp_path / "nope" / "x.sarif"), Target("text")],
            stdout=out,
            environ={},
        )
    assert out.getvalue() == ""


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_report_files_honour_the_umask(
    mixed: Report, tmp_path: Path, umask: int, mode: int
) -> None:
    old = os.umask(umask)
    try:
        targets = [Target("sarif", tmp_path / "a.sarif"), Target("junit", tmp_path / "a.xml")]
        write_reports(mixed, targets, stdout=io.StringIO(), environ={})
    finally:
        os.umask(old)
    for t in targets:
        assert t.path is not None
        assert stat.S_IMODE(t.path.stat().st_mode) == mode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.sarif", "a.xml"]


def test_report_is_synced_before_the_rename(
    mixed: Report, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("fsync-dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync-file")
        real_fsync(fd)

    def replace(src: str | Path, dst: str | Path) -> None:
        events.append("rename")
        real_replace(src, dst)

    monkeypatch.setattr(_emit.os, "fsync", fsync)
    monkeypatch.setattr(_emit.os, "replace", replace)
    write_reports(mixed, [Target("json", tmp_path / "r.json")], stdout=io.StringIO(), environ={})
    assert events == ["fsync-file", "rename", "fsync-dir"]
