"""Policy commands: `policy test|check|list`, `decision replay`; shared engine options.

`engine_options` is the decorator `check` uses too, so every command that evaluates Rego
takes the same flags and builds one `EngineOptions`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from govern.cli._app import AppContext, Seconds, app, pass_app

if TYPE_CHECKING:
    from govern.policy import EngineOptions, PreparedPolicies
    from govern.runner.check import CheckOutcome

LIST_FORMATS = ("table", "json", "markdown")


def engine_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add --engine/--sandbox/--timeout/--memory-limit/--allow-builtin/--data; pass `engine`."""

    @click.option(
        "--engine",
        "engine_name",
        type=click.Choice(["regorus", "opa"]),
        default="regorus",
        show_default=True,
        help="Rego engine: regorus in-process library, or the `opa` binary.",
    )
    @click.option(
        "--sandbox/--no-sandbox",
        default=True,
        show_default=True,
        help="Evaluate in a child process with time and memory limits.",
    )
    @click.option(
        "--timeout",
        type=Seconds(min=0.1),
        default=10.0,
        show_default=True,
        help="Seconds one evaluation may take.",
    )
    @click.option(
        "--memory-limit",
        type=click.IntRange(min=64),
        default=1024,
        show_default=True,
        help="MiB the engine process may hold.",
    )
    @click.option(
        "--allow-builtin",
        multiple=True,
        metavar="NAME",
        help="Allow a refused builtin (http.send, net.*, opa.runtime, time.now_ns, ...).",
    )
    @click.option(
        "--data",
        "overlays",
        multiple=True,
        type=click.Path(path_type=Path),
        help="Data overlay (YAML/JSON) overriding the bundle's data; repeatable.",
    )
    @functools.wraps(fn)
    def wrapper(
        *args: Any,
        engine_name: str,
        sandbox: bool,
        timeout: float,
        memory_limit: int,
        allow_builtin: tuple[str, ...],
        overlays: tuple[Path, ...],
        **kwargs: Any,
    ) -> Any:
        from govern.policy import EngineOptions, Limits

        options = EngineOptions(
            engine=engine_name,
            sandbox=sandbox,
            limits=Limits(timeout_s=timeout, memory_mb=memory_limit),
            allow_builtins=allow_builtin,
        )
        return fn(*args, engine=(options, overlays), **kwargs)

    return wrapper


def prepare(policies: Path, engine: tuple[EngineOptions, tuple[Path, ...]]) -> PreparedPolicies:
    """Load `policies` with the options gathered by `engine_options`."""
    from govern.policy import load

    options, overlays = engine
    return load(policies, data=tuple(overlays), options=options)


def report_check_all(ctx: AppContext, outcomes: list[CheckOutcome], fmt: str) -> int:
    """Print a `check --all` run; return its exit code."""
    from govern.runner.check import all_exit_code

    if fmt == "json":
        doc = [
            {
                "model": o.model,
                "version": o.version,
                "stage": o.stage,
                "decision": o.decision.to_dict() if o.decision else None,
                "error": str(o.error) if o.error else None,
            }
            for o in outcomes
        ]
        click.echo(json.dumps(doc, indent=2, sort_keys=True))
    else:
        c = ctx.console
        for o in outcomes:
            ref = f"{o.model}@{o.version} → {o.stage}"
            if o.error is not None:
                c.print(f"{ref}: [yellow]ERROR[/] {o.error}")
            elif o.decision is not None and o.decision.allowed:
                c.print(f"{ref}: [green]ALLOWED[/]")
            elif o.decision is not None:
                c.print(f"{ref}: [red]DENIED[/] ({len(o.decision.denials)} deny)")
        denied = sum(1 for o in outcomes if o.decision and not o.decision.allowed)
        errors = sum(1 for o in outcomes if o.error)
        c.print(f"{len(outcomes)} model versions: {denied} denied, {errors} errors")
    return all_exit_code(outcomes)


@app.group()
def policy() -> None:
    """Test policies and list the control catalogue."""


@policy.command("test")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@click.option("--run", "match", default=None, help="Only tests whose package.name contains this.")
@click.option("--timeout", type=Seconds(min=0.1), default=10.0, show_default=True)
@click.option("--memory-limit", type=click.IntRange(min=64), default=1024, show_default=True)
@click.option("--allow-builtin", multiple=True, metavar="NAME")
@click.option("--data", "overlays", multiple=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option(
    "--engine",
    "engine_name",
    type=click.Choice(["regorus", "opa"]),
    default="regorus",
    show_default=True,
    help="opa: real OPA in-process (no coverage), as `opa test` would run them.",
)
@pass_app
def test_cmd(
    ctx: AppContext,
    directory: Path | None,
    match: str | None,
    timeout: float,
    memory_limit: int,
    allow_builtin: tuple[str, ...],
    overlays: tuple[Path, ...],
    fmt: str,
    engine_name: str,
) -> None:
    """Run the test_* rules under DIRECTORY; exit 1 on any failure."""
    from dataclasses import asdict

    from govern.policy import Limits
    from govern.policy._testing import run_tests
    from govern.runner.check import default_policy_dir

    report = run_tests(
        directory or default_policy_dir(),
        data=overlays,
        limits=Limits(timeout_s=timeout, memory_mb=memory_limit),
        allow_builtins=allow_builtin,
        match=match,
        engine_name=engine_name,
    )
    if fmt == "json":
        doc = {
            "tests": [asdict(t) for t in report.tests],
            "coverage": [dict(asdict(f), percent=round(f.percent, 2)) for f in report.coverage],
            "passed": len(report.tests) - len(report.failed),
            "failed": len(report.failed),
        }
        click.echo(json.dumps(doc, indent=2, sort_keys=True))
    else:
        c = ctx.console
        for t in report.tests:
            if t.passed:
                if not ctx.quiet:
                    c.print(f"[green]PASS[/] {t.package}.{t.name} ({t.duration_s * 1000:.1f} ms)")
            else:
                c.print(f"[red]FAIL[/] {t.package}.{t.name} at {t.location}: {t.error}")
        if report.coverage:
            c.print("coverage:")
            for f in report.coverage:
                c.print(f"  {f.percent:6.1f}%  {f.path}")
        if not report.tests:
            c.print("no test_* rules found")
        c.print(f"{len(report.tests) - len(report.failed)} passed, {len(report.failed)} failed")
    raise SystemExit(report.exit_code())


@policy.command("check")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@click.option("--timeout", type=click.FloatRange(min=0.1), default=10.0, show_default=True)
@click.option("--memory-limit", type=click.IntRange(min=64), default=1024, show_default=True)
@click.option("--allow-builtin", multiple=True, metavar="NAME")
@click.option("--data", "overlays", multiple=True, type=click.Path(path_type=Path))
@pass_app
def check_cmd(
    ctx: AppContext,
    directory: Path | None,
    timeout: float,
    memory_limit: int,
    allow_builtin: tuple[str, ...],
    overlays: tuple[Path, ...],
) -> None:
    """Parse, compile and lint DIRECTORY like `opa check --strict`; exit 2 on any finding.

    Compile errors anywhere in the bundle (OPA's whole-bundle compile when the in-process
    OPA is installed), refused builtins, strict-mode findings (unused or duplicate imports,
    deprecated builtins, input/data as names) and METADATA catalogue problems. For
    pre-commit hooks.
    """
    from govern.policy import Limits
    from govern.policy._check import check_policies
    from govern.runner.check import default_policy_dir

    root = directory or default_policy_dir()
    findings = check_policies(
        root,
        data=overlays,
        limits=Limits(timeout_s=timeout, memory_mb=memory_limit),
        allow_builtins=allow_builtin,
    )
    for finding in findings:
        click.echo(str(finding), err=True)
    if not ctx.quiet:
        ctx.console.print(f"{root}: {len(findings)} problem(s)" if findings else f"{root}: ok")
    raise SystemExit(2 if findings else 0)


def _markdown(controls: list[Any]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    rows = ["| id | title | source | article | severity |", "| --- | --- | --- | --- | --- |"]
    for k in controls:
        rows.append(
            f"| {cell(k.id)} | {cell(k.title)} | {cell(k.source)} | "
            f"{cell(k.article)} | {cell(k.severity)} |"
        )
    return "\n".join(rows)


@policy.command("list")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(LIST_FORMATS), default="table", show_default=True
)
@pass_app
def list_cmd(ctx: AppContext, directory: Path | None, fmt: str) -> None:
    """The control catalogue from the # METADATA annotations under DIRECTORY."""
    from govern.policy._catalogue import catalogue
    from govern.runner.check import default_policy_dir

    controls = catalogue(directory or default_policy_dir())
    if fmt == "json":
        click.echo(json.dumps([k.to_dict() for k in controls], indent=2, sort_keys=True))
    elif fmt == "markdown":
        click.echo(_markdown(controls))
    else:
        from rich.table import Table

        table = Table("id", "title", "source", "article", "severity", box=None)
        for k in controls:
            table.add_row(k.id, k.title, k.source, k.article, k.severity)
        ctx.console.print(table)
        ctx.console.print(f"{len(controls)} controls")


@app.group()
def decision() -> None:
    """Inspect recorded decisions."""


@decision.command("replay")
@click.argument("decision_id")
@click.option("--policies", type=click.Path(path_type=Path), default=None)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@engine_options
@pass_app
def replay_cmd(
    ctx: AppContext,
    decision_id: str,
    policies: Path | None,
    fmt: str,
    engine: tuple[EngineOptions, tuple[Path, ...]],
) -> None:
    """Re-evaluate a stored decision on its stored input; exit 1 if the outcome differs."""
    from govern.runner.check import default_policy_dir
    from govern.runner.replay import replay, replay_stored
    from govern.store import Store

    root = policies or default_policy_dir()
    with Store.open(ctx.db, lock_timeout=ctx.lock_timeout) as store:
        if engine[1]:  # overlays given on the command line replace the stored ones
            with prepare(root, engine) as prepared:
                result = replay(store, prepared, decision_id)
        else:
            result = replay_stored(store, root, engine[0], decision_id)
    if fmt == "json":
        doc = {
            "decision_id": decision_id,
            "stored_result": result.stored["result"],
            "replayed": result.replayed.to_dict(),
            "same_bundle": result.same_bundle,
            "same_input": result.same_input,
            "same_outcome": result.same_outcome,
        }
        click.echo(json.dumps(doc, indent=2, sort_keys=True))
    else:
        c = ctx.console
        c.print(
            f"decision {decision_id}: stored {result.stored['result']}, "
            f"replayed {result.replayed.result}"
        )
        c.print(f"  same policies: {result.same_bundle}  same input: {result.same_input}")
        c.print(f"  same outcome: {result.same_outcome}")
    raise SystemExit(0 if result.same_outcome else 1)
