"""`govern check`: the merge gate. Parses flags, runs the check, writes reports, exits.

`--format` and `--output` pair up in command-line order: each `--output` belongs to the
nearest `--format` before it that has none yet; a format without an output goes to stdout.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from govern.cli._app import AppContext, app, pass_app
from govern.cli.policy import engine_options, policy_layers_option
from govern.errors import UserInputError
from govern.lifecycle import STAGES
from govern.output import FAIL_MODES, FORMATS, Target

if TYPE_CHECKING:
    from govern.policy import EngineOptions

_ORDER_KEY = "govern.check.format_order"
_FORMAT_FLAGS = ("--format", "-f")
_OUTPUT_FLAGS = ("--output", "-o")

OUTPUT_FIRST = "--output {path} comes before any --format; write --format F --output {path}"
OUTPUT_TWICE = "--format {fmt} has two --output files ({first}, {second}); repeat --format instead"
FLAGS_EXCLUSIVE = "--fail-on-warn and --no-fail exclude each other; pick one"
REPORTS_UNWRITTEN = "error: the reports of this failed run could not be written: {error}"


def _flag_kind(token: str) -> str | None:
    for flags, kind in ((_FORMAT_FLAGS, "format"), (_OUTPUT_FLAGS, "output")):
        for flag in flags:
            if (
                token == flag
                or token.startswith(flag + "=")
                or (len(flag) == 2 and token.startswith(flag) and not token.startswith("--"))
            ):
                return kind
    return None


def flag_order(args: list[str]) -> list[str]:
    """The sequence of "format"/"output" occurrences in `args` (stops at `--`)."""
    order = []
    skip = False
    for token in args:
        if token == "--":
            break
        if skip:  # the value of the previous flag, whatever it looks like
            skip = False
            continue
        kind = _flag_kind(token)
        if kind is not None:
            order.append(kind)
            skip = token in _FORMAT_FLAGS or token in _OUTPUT_FLAGS
    return order


def pair_targets(
    order: list[str], formats: tuple[str, ...], outputs: tuple[Path, ...]
) -> list[Target]:
    """Pair formats with outputs in command-line order; default: text to stdout."""
    if not formats and not outputs:
        return [Target("text")]
    fmt_iter, out_iter = iter(formats), iter(outputs)
    paired: list[list[object]] = []  # [format, path | None]
    for kind in order:
        if kind == "format":
            paired.append([next(fmt_iter), None])
            continue
        path = next(out_iter)
        if not paired:
            raise UserInputError(OUTPUT_FIRST.format(path=path))
        last = paired[-1]
        if last[1] is not None:
            raise UserInputError(OUTPUT_TWICE.format(fmt=last[0], first=last[1], second=path))
        last[1] = path
    return [Target(str(f), p if isinstance(p, Path) else None) for f, p in paired]


class _CheckCommand(click.Command):
    """Records the order of --format/--output occurrences before click parses them."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta[_ORDER_KEY] = flag_order(args)
        return super().parse_args(ctx, args)


@app.command(cls=_CheckCommand)
@click.argument("cards", nargs=-1, type=click.Path(path_type=Path), metavar="[MODEL_CARD]...")
@click.option(
    "--model",
    "models",
    multiple=True,
    metavar="NAME@VERSION",
    help="A registered version to check (repeatable; reads the database).",
)
@click.option(
    "--stage",
    default=None,
    metavar="STAGE",
    help=f"Gate to evaluate: {', '.join(STAGES)}, or 'next' (the stage after the current "
    "one). Default: the stage the card declares (registered models: their current stage).",
)
@click.option(
    "--all", "all_", is_flag=True, help="Every registered version at its next (or own) stage."
)
@click.option(
    "--evidence",
    multiple=True,
    metavar="[NAME[@VERSION]=]FILE",
    help="Evidence JSON (the shape of input.evidence) for checks without a database.",
)
@click.option(
    "--format",
    "-f",
    "formats",
    multiple=True,
    metavar="FORMAT",
    help=f"Report format: {', '.join(FORMATS)} (repeatable; default text).",
)
@click.option(
    "--output",
    "-o",
    "outputs",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="File for the preceding --format (default: stdout; one format per run on stdout).",
)
@click.option("--fail-on-warn", is_flag=True, help="conftest codes: 0 ok, 1 warnings, 2 denials.")
@click.option("--no-fail", is_flag=True, help="Report only: exit 0 whatever the decisions.")
@policy_layers_option
@engine_options
@click.pass_context
@pass_app
def check(
    app_ctx: AppContext,
    ctx: click.Context,
    cards: tuple[Path, ...],
    models: tuple[str, ...],
    stage: str | None,
    policies: tuple[Path, ...],
    all_: bool,
    evidence: tuple[str, ...],
    formats: tuple[str, ...],
    outputs: tuple[Path, ...],
    fail_on_warn: bool,
    no_fail: bool,
    engine: tuple[EngineOptions, tuple[Path, ...]],
) -> None:
    """Evaluate lifecycle gates for model cards (default: govern.yaml, models/*.yaml).

    Exit codes: 0 allowed, 1 denied, 2 bad input or policy error, 3 internal error.
    """
    from govern.output import check_targets, write_reports
    from govern.runner.check import CheckRequest, run_check

    if fail_on_warn and no_fail:
        raise UserInputError(FLAGS_EXCLUSIVE)
    options, overlays = engine
    targets = pair_targets(ctx.meta.get(_ORDER_KEY, []), formats, outputs)
    check_targets(targets)  # unknown formats and clashing outputs fail before any work
    fail_on = FAIL_MODES[1] if fail_on_warn else FAIL_MODES[2] if no_fail else FAIL_MODES[0]
    color = sys.stdout.isatty() and not _no_color()
    if all_:
        conflict = _all_conflicts(cards, models, evidence, stage)
        _check_all(app_ctx, policies, engine, targets, fail_on, color, conflict)
    request = CheckRequest(
        cards=cards,
        models=models,
        stage=stage,
        policies=policies,
        data=overlays,
        options=options,
        evidence=evidence,
        db=app_ctx.db,
        fail_on=fail_on,
        lock_timeout=app_ctx.lock_timeout,
    )
    try:
        report = run_check(request)
    except Exception as exc:
        if formats:  # every requested report is written, saying why there is no decision
            _write_error_reports(exc, targets, fail_on, color)
        raise  # main() prints the error and returns its exit code
    write_reports(report, targets, stdout=sys.stdout, color=color)
    raise SystemExit(report.exit_code)


def _write_error_reports(exc: Exception, targets: list[Target], fail_on: str, color: bool) -> None:
    """Write the error report to every target; a failure to write is noted, not raised."""
    from govern import __version__
    from govern.output import write_reports
    from govern.runner._reporting import error_report

    report = error_report(exc, fail_on=fail_on, tool_version=__version__)
    try:
        write_reports(report, targets, stdout=sys.stdout, color=color)
    except Exception as write_exc:  # the original error is what the user must see; say both
        click.echo(REPORTS_UNWRITTEN.format(error=write_exc), err=True)


ALL_CONFLICT = (
    "--all checks every registered version at its next stage (production and retired at "
    "their own) from the database; drop {flag}"
)


def _all_conflicts(
    cards: tuple[Path, ...], models: tuple[str, ...], evidence: tuple[str, ...], stage: str | None
) -> str | None:
    """The first option given with `--all` that it cannot honour, or None."""
    from govern.runner.check import NEXT_STAGE

    if cards:
        return "the model cards"
    if models:
        return "--model"
    if evidence:
        return "--evidence (the evidence is the database's)"
    if stage not in (None, NEXT_STAGE):
        return "--stage (or use --model NAME@VERSION --stage STAGE for one version)"
    return None


def _check_all(
    app_ctx: AppContext,
    policies: tuple[Path, ...],
    engine: tuple[EngineOptions, tuple[Path, ...]],
    targets: list[Target],
    fail_on: str,
    color: bool,
    conflict: str | None,
) -> None:
    """`check --all`: every format, output file and failure mode of `check`, one report."""
    from govern.cli.policy import prepare
    from govern.output import write_reports
    from govern.runner._controls import BundleControls
    from govern.runner.check import all_report, check_all
    from govern.store import Store

    if conflict is not None:
        raise UserInputError(ALL_CONFLICT.format(flag=conflict))
    try:
        with (
            prepare(policies, engine) as prepared,
            Store.open(app_ctx.db, lock_timeout=app_ctx.lock_timeout) as store,
        ):
            controls = BundleControls(prepared.bundle)
            outcomes = check_all(store, prepared)
    except Exception as exc:
        _write_error_reports(exc, targets, fail_on, color)
        raise  # main() prints the error and returns its exit code
    report = all_report(outcomes, controls, fail_on=fail_on)
    write_reports(report, targets, stdout=sys.stdout, color=color)
    raise SystemExit(report.exit_code)


def _no_color() -> bool:
    import os

    return bool(os.environ.get("NO_COLOR")) or os.environ.get("TERM") == "dumb"
