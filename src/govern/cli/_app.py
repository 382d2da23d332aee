"""The click group, shared options, and the context object commands receive.

Two habits of other command-line tools are supported here, once for every command:

- global options (`--db`, `--lock-timeout`, `--debug`, `--quiet`) are accepted after the
  command name as well as before it (`govern scan M@1 --data x --db f.duckdb`); given in
  both places, the one after the command wins;
- an option declared with `cls=PathsOption` takes several values after one flag, as a
  shell glob expands them (`--data logs/*.parquet`), as well as repeated flags.
"""

from __future__ import annotations

import importlib
import math
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:  # rich is imported by the commands that print with it (~30 ms)
    from rich.console import Console


class Seconds(click.FloatRange):
    """A finite number of seconds in a range: `nan` and `inf` are refused, not waited on.

    click's FloatRange compares with < and >, which are false for NaN, so `nan` would pass
    and disable a limit; `inf` would wait forever.
    """

    name = "seconds"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        """A finite float within the range, else a usage error (exit 2)."""
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number of seconds", param, ctx)
        return float(number)


@dataclass
class AppContext:
    """Global options, resolved once."""

    db: str | None
    debug: bool
    quiet: bool
    lock_timeout: float | None = None

    @property
    def console(self) -> Console:
        """Human output (stdout); colour only on a terminal."""
        from rich.console import Console

        return Console(highlight=False, soft_wrap=True)

    @property
    def progress(self) -> bool:
        """Show progress bars: on a terminal, not in CI, not with --quiet."""
        return not self.quiet and sys.stderr.isatty() and not os.environ.get("CI")


_DB_HELP = "DuckDB file (default: $GOVERN_DB, else ./govern.duckdb)."
_LOCK_HELP = "Wait this long for another process's database lock (default 10)."
_DEBUG_HELP = "Show tracebacks for errors."
_QUIET_HELP = "No progress bars or chatter."


class PathsOption(click.Option):
    """A repeatable option that also takes several values after one flag (`--data a b`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("multiple", True)
        kwargs.setdefault("metavar", "PATH...")
        super().__init__(*args, **kwargs)


def _value_flags(command: click.Command) -> set[str]:
    out: set[str] = set()
    for p in command.params:
        if isinstance(p, click.Option) and not p.is_flag and not p.count:
            out.update(p.opts)
    return out


def spread_values(command: click.Command, args: list[str]) -> list[str]:
    """`args` with each `FLAG v1 v2 ...` of a PathsOption rewritten as `FLAG v1 FLAG v2 ...`.

    Values run up to the next token starting with "-". When that leaves the command short
    of its required single-value arguments (`govern scan --data a.parquet b.parquet M@1`),
    the last values of the run are given back to them, so the old order keeps working.
    """
    greedy = {opt for p in command.params if isinstance(p, PathsOption) for opt in p.opts}
    if not greedy or not any(a in greedy or a.split("=", 1)[0] in greedy for a in args):
        return args
    takes_value = _value_flags(command)
    needed = sum(
        1 for p in command.params if isinstance(p, click.Argument) and p.required and p.nargs == 1
    )
    items: list[tuple[str, list[str]]] = []  # (flag or "" for plain tokens, tokens)
    positional = 0
    i = 0
    while i < len(args):
        token = args[i]
        if token == "--":
            items.append(("", args[i:]))
            positional += len(args) - i - 1
            break
        if token in greedy:
            values = args[i + 1 : i + 2]  # the first value is taken whatever it looks like
            i += 1 + len(values)
            while i < len(args) and not args[i].startswith("-"):
                values.append(args[i])
                i += 1
            items.append((token, values))
            continue
        if token in takes_value:
            items.append(("", args[i : i + 2]))
            i += 2
            continue
        if not token.startswith("-") or token == "-":
            positional += 1
        items.append(("", [token]))
        i += 1
    missing = needed - positional
    out: list[str] = []
    for index in range(len(items) - 1, -1, -1):  # give back from the last run backwards
        flag, values = items[index]
        if flag and missing > 0 and len(values) > 1:
            keep = max(1, len(values) - missing)
            items.insert(index + 1, ("", values[keep:]))
            missing -= len(values) - keep
            items[index] = (flag, values[:keep])
    for flag, values in items:
        if flag:
            for v in values:
                out += [flag, v]
        else:
            out += values
    return out


class GovernCommand(click.Command):
    """A command that spreads PathsOption values before click parses them."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, spread_values(self, args))


def _setter(attr: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    def store(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if value is None or value is False:
            return
        obj = ctx.find_object(AppContext)
        if obj is not None:
            setattr(obj, attr, value)

    return store


def _global_options() -> list[click.Option]:
    """Copies of the group's options for a subcommand (they set the shared AppContext)."""
    return [
        click.Option(
            ["--db"], metavar="PATH", expose_value=False, callback=_setter("db"), help=_DB_HELP
        ),
        click.Option(
            ["--lock-timeout"],
            type=click.FloatRange(min=0),
            metavar="SECONDS",
            expose_value=False,
            callback=_setter("lock_timeout"),
            help=_LOCK_HELP,
        ),
        click.Option(
            ["--debug"],
            is_flag=True,
            expose_value=False,
            callback=_setter("debug"),
            help=_DEBUG_HELP,
        ),
        click.Option(
            ["--quiet", "-q"],
            is_flag=True,
            expose_value=False,
            callback=_setter("quiet"),
            help=_QUIET_HELP,
        ),
    ]


# Top-level command -> the module of govern.cli that defines it. A command's module (and
# what it imports) loads when the command is looked up, so `govern scan` imports drift.py
# only, not every command's dependencies (~50 ms of a scan's start-up, benchmarks/README.md).
# tests/cli/test_global_options.py checks this map against what the modules register.
COMMAND_MODULES = {
    "approve": "lifecycle",
    "audit": "audit",
    "baseline": "drift",
    "check": "check",
    "decision": "policy",
    "demo": "demo",
    "events": "monitor",
    "init": "commands",
    "inventory": "lifecycle",
    "monitor": "monitor",
    "policy": "policy",
    "promote": "lifecycle",
    "register": "commands",
    "report": "report",
    "retire": "lifecycle",
    "scan": "drift",
    "serve": "serve",
    "show": "report",
    "sql": "report",
}


def load_commands() -> None:
    """Import every command's module (the help listing and tests need all of them)."""
    for module in sorted(set(COMMAND_MODULES.values())):
        importlib.import_module(f"govern.cli.{module}")


class GovernGroup(click.Group):
    """A group whose commands (and subgroups' commands) also take the global options.

    The top-level group loads its commands lazily (`lazy`: name -> module of govern.cli).
    """

    command_class = GovernCommand
    group_class = type  # subgroups are GovernGroups too
    lazy: dict[str, str] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command name, loaded or not (sorted, as click lists them)."""
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command, importing the module that defines it on first use."""
        if cmd_name not in self.commands and cmd_name in self.lazy:
            importlib.import_module(f"govern.cli.{self.lazy[cmd_name]}")
        return self.commands.get(cmd_name)

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        """Register `cmd` with the global options added (unless it declares its own)."""
        taken = {opt for p in cmd.params for opt in getattr(p, "opts", [])}
        for option in _global_options():
            if not taken.intersection(option.opts):
                cmd.params.append(option)
        super().add_command(cmd, name)


@click.group(cls=GovernGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", envvar="GOVERN_DB", metavar="PATH", help=_DB_HELP)
@click.option(
    "--lock-timeout",
    envvar="GOVERN_LOCK_TIMEOUT",
    type=Seconds(min=0),
    default=None,
    metavar="SECONDS",
    help=_LOCK_HELP,
)
@click.option("--debug", is_flag=True, help=_DEBUG_HELP)
@click.option("--quiet", "-q", is_flag=True, help=_QUIET_HELP)
@click.version_option(package_name="govern-mrm", prog_name="govern")
@click.pass_context
def app(
    ctx: click.Context, db: str | None, lock_timeout: float | None, debug: bool, quiet: bool
) -> None:
    """govern: policy-as-code compliance for the AI model lifecycle."""
    ctx.obj = AppContext(db=db, debug=debug, quiet=quiet, lock_timeout=lock_timeout)


app.lazy = COMMAND_MODULES

pass_app = click.make_pass_decorator(AppContext)
