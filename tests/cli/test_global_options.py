"""CLI habits: global options after the command, several --data paths after one flag."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest

from govern.cli import app, load_commands, main
from govern.cli._app import COMMAND_MODULES, spread_values

from ..conftest import CARDS, IMPORT


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for name, cmd in sorted(group.commands.items()):
        if isinstance(cmd, click.Group):
            out += _commands(cmd, (*prefix, name))
        else:
            out.append((*prefix, name))
    return out


load_commands()
COMMANDS = _commands(app)


def test_the_lazy_command_map_names_every_command_and_its_module() -> None:
    """`govern X` imports only the module COMMAND_MODULES names for X: it must be the one
    that registers X, and every registered command must be in the map."""
    assert set(app.commands) == set(COMMAND_MODULES)
    for name, cmd in app.commands.items():
        assert cmd.callback is not None
        assert cmd.callback.__module__ == f"govern.cli.{COMMAND_MODULES[name]}", name


def test_a_command_loads_only_its_own_module() -> None:
    probe = (
        "import sys\n"
        "from govern.cli import main\n"
        "assert main(['scan', '--help']) == 0\n"
        "print(sorted(m for m in sys.modules if m.startswith('govern.cli.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout.splitlines()[-1]
    assert out == "['govern.cli._app', 'govern.cli._env', 'govern.cli.drift']"


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in COMMAND_MODULES:
        assert f"  {name} " in out, name


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
@pytest.mark.parametrize("option", ["--db", "--lock-timeout", "--debug", "--quiet"])
def test_every_command_accepts_the_global_options_after_its_name(
    path: tuple[str, ...], option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*path, "--help"]) == 0
    assert option in capsys.readouterr().out


def test_db_after_the_command_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GOVERN_DB", raising=False)
    db = tmp_path / "after.duckdb"
    assert main(["init", "--db", str(db)]) == 0
    assert db.exists() and not (tmp_path / "govern.duckdb").exists()
    assert main(["register", *IMPORT, str(CARDS / "credit-risk.yaml"), "--db", str(db)]) == 0
    assert main(["audit", "verify", "--db", str(db)]) == 0
    capsys.readouterr()
    missing = tmp_path / "missing.duckdb"
    # the one after the command wins over the one before it
    assert main(["--db", str(missing), "audit", "verify", "--db", str(db)]) == 0
    assert not missing.exists()


def test_lock_timeout_and_quiet_after_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, object] = {}

    @click.command("probe-globals")
    @click.pass_context
    def probe(ctx: click.Context) -> None:
        from govern.cli._app import AppContext

        obj = ctx.find_object(AppContext)
        assert obj is not None
        seen.update(db=obj.db, lock=obj.lock_timeout, quiet=obj.quiet, debug=obj.debug)

    app.add_command(probe)
    try:
        assert main(["probe-globals", "--lock-timeout", "2.5", "-q", "--debug", "--db", "x"]) == 0
    finally:
        app.commands.pop("probe-globals")
    assert seen == {"db": "x", "lock": 2.5, "quiet": True, "debug": True}


SCAN = app.commands["scan"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["m@1", "--data", "a", "b", "c"], ["m@1", "--data", "a", "--data", "b", "--data", "c"]),
        (["m@1", "--data", "a", "--data", "b"], ["m@1", "--data", "a", "--data", "b"]),
        (["--data", "a", "b", "m@1"], ["--data", "a", "--data", "b", "m@1"]),
        (["--data", "a", "m@1"], ["--data", "a", "m@1"]),
        (
            ["m@1", "--data", "a", "b", "--since", "2026-01-01", "--full"],
            ["m@1", "--data", "a", "--data", "b", "--since", "2026-01-01", "--full"],
        ),
        (
            ["--data", "a", "b", "--threads", "2", "m@1"],
            ["--data", "a", "--data", "b", "--threads", "2", "m@1"],
        ),
        (["m@1", "--data", "-odd.parquet", "b"], ["m@1", "--data", "-odd.parquet", "--data", "b"]),
        (["m@1", "--data=a", "b"], ["m@1", "--data=a", "b"]),
        (["m@1"], ["m@1"]),
    ],
)
def test_spread_values(args: list[str], expected: list[str]) -> None:
    assert spread_values(SCAN, args) == expected


def test_scan_takes_several_paths_after_one_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before this, `--data a b` failed with "Got unexpected extra arguments (b)"."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GOVERN_DB", raising=False)
    rc = main(["scan", "credit-risk@3", "--data", "a.parquet", "b.parquet", "--db", "x.duckdb"])
    err = capsys.readouterr().err
    assert "unexpected extra argument" not in err
    assert rc == 2 and err.startswith("error: ")
