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

LIST_FORMATS = ("table", "json", "markdown")


_timeout_option = click.option(
    "--timeout",
    type=Seconds(min=0.1),
    default=10.0,
    show_default=True,
    help="Seconds one evaluation may take.",
)
_memory_limit_option = click.option(
    "--memory-limit",
    type=click.IntRange(min=64),
    default=1024,
    show_default=True,
    help="MiB the engine process may hold.",
)
_allow_builtin_option = click.option(
    "--allow-builtin",
    multiple=True,
    metavar="NAME",
    help="Allow a refused builtin (http.send, net.*, opa.runtime, time.now_ns, ...).",
)
_data_option = click.option(
    "--data",
    "overlays",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Data overlay (YAML/JSON) overriding the bundle's data; repeatable.",
)


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
    @_timeout_option
    @_memory_limit_option
    @_allow_builtin_option
    @_data_option
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


POLICIES_HELP = (
    "Policy directory added on top of the shipped library (repeatable, loaded in order; "
    "default: ./policies when it exists). See docs/policies.md, Layers."
)
NO_LIBRARY_HELP = "Do not load the shipped library: only the --policies directories."


def policy_layers_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add --policies DIR (repeatable) and --no-default-library; pass `policies` = the layers.

    The command receives the directories to load, in order (policy/_layers.py): the
    shipped library unless replaced, then the organisation's directories.
    """

    @click.option(
        "--policies",
        "policy_dirs",
        multiple=True,
        type=click.Path(path_type=Path),
        help=POLICIES_HELP,
    )
    @click.option("--no-default-library", is_flag=True, help=NO_LIBRARY_HELP)
    @functools.wraps(fn)
    def wrapper(
        *args: Any, policy_dirs: tuple[Path, ...], no_default_library: bool, **kwargs: Any
    ) -> Any:
        from govern.policy import policy_layers

        layers = policy_layers(policy_dirs, default_library=not no_default_library)
        return fn(*args, policies=layers, **kwargs)

    return wrapper


def prepare(
    policies: Path | tuple[Path, ...], engine: tuple[EngineOptions, tuple[Path, ...]]
) -> PreparedPolicies:
    """Load `policies` with the options gathered by `engine_options`."""
    from govern.policy import load

    options, overlays = engine
    return load(policies, data=tuple(overlays), options=options)


@app.group()
def policy() -> None:
    """Test policies and list the control catalogue."""


@policy.command("test")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@click.option("--no-default-library", is_flag=True, help=NO_LIBRARY_HELP)
@click.option("--run", "match", default=None, help="Only tests whose package.name contains this.")
@_timeout_option
@_memory_limit_option
@_allow_builtin_option
@_data_option
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
    no_default_library: bool,
    match: str | None,
    timeout: float,
    memory_limit: int,
    allow_builtin: tuple[str, ...],
    overlays: tuple[Path, ...],
    fmt: str,
    engine_name: str,
) -> None:
    """Run the test_* rules of DIRECTORY (loaded on top of the library); exit 1 on failure.

    Without DIRECTORY, every layer's tests run: the library's and ./policies'.
    """
    from dataclasses import asdict

    from govern.policy import Limits, policy_layers
    from govern.policy._testing import run_tests

    report = run_tests(
        policy_layers([directory] if directory else (), default_library=not no_default_library),
        data=overlays,
        limits=Limits(timeout_s=timeout, memory_mb=memory_limit),
        allow_builtins=allow_builtin,
        match=match,
        engine_name=engine_name,
        only=[directory] if directory else (),
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
    from govern.policy import Limits, policy_layers
    from govern.policy._check import check_policies

    # DIRECTORY is checked as it is loaded: on top of the library unless it replaces it
    layers = policy_layers([directory] if directory else ())
    root = directory or layers[-1]
    findings = check_policies(
        layers,
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
@click.option("--no-default-library", is_flag=True, help=NO_LIBRARY_HELP)
@click.option(
    "--format", "fmt", type=click.Choice(LIST_FORMATS), default="table", show_default=True
)
@pass_app
def list_cmd(ctx: AppContext, directory: Path | None, no_default_library: bool, fmt: str) -> None:
    """The control catalogue (# METADATA) of the library and DIRECTORY (default ./policies)."""
    from govern.policy import policy_layers
    from govern.policy._catalogue import catalogue

    layers = policy_layers([directory] if directory else (), default_library=not no_default_library)
    controls = catalogue(layers)
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


@policy.command("init")
@click.argument("directory", type=click.Path(path_type=Path))
@pass_app
def init_cmd(ctx: AppContext, directory: Path) -> None:
    """Copy the shipped library into DIRECTORY for editing; the copy replaces the library."""
    from govern.policy._layers import init_library

    written = init_library(directory)
    ctx.console.print(
        f"{len(written)} files written to {directory}; it replaces the shipped library "
        f'(.manifest roots ["govern"]): govern check --policies {directory}'
    )


@policy.command("docs")
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("docs"),
    show_default=True,
    help="Directory for controls.md and model-card.md.",
)
@click.option("--check", "check_only", is_flag=True, help="Exit 1 if the files are not current.")
@click.option("--no-default-library", is_flag=True, help=NO_LIBRARY_HELP)
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@pass_app
def docs_cmd(
    ctx: AppContext, out: Path, check_only: bool, no_default_library: bool, directory: Path | None
) -> None:
    """Generate docs/controls.md and docs/model-card.md from METADATA and the card schema."""
    from govern.policy import policy_layers
    from govern.policy._docs import render_docs

    layers = policy_layers([directory] if directory else (), default_library=not no_default_library)
    stale = []
    for name, text in render_docs(layers).items():
        target = out / name
        current = target.read_text(encoding="utf-8") if target.is_file() else None
        if current == text:
            continue
        stale.append(target)
        if not check_only:
            out.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    verb = "out of date" if check_only else "written"
    for target in stale:
        ctx.console.print(f"{target}: {verb}")
    if check_only and stale:
        ctx.console.print("run `govern policy docs` and commit the result")
        raise SystemExit(1)


@app.group()
def decision() -> None:
    """Inspect recorded decisions."""


@decision.command("replay")
@click.argument("decision_id")
@policy_layers_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@engine_options
@pass_app
def replay_cmd(
    ctx: AppContext,
    decision_id: str,
    policies: tuple[Path, ...],
    fmt: str,
    engine: tuple[EngineOptions, tuple[Path, ...]],
) -> None:
    """Re-evaluate a stored decision on its stored input; exit 1 if the outcome differs."""
    from govern.runner.replay import replay, replay_stored
    from govern.store import Store

    with Store.open(ctx.db, lock_timeout=ctx.lock_timeout) as store:
        if engine[1]:  # overlays given on the command line replace the stored ones
            with prepare(policies, engine) as prepared:
                result = replay(store, prepared, decision_id)
        else:
            result = replay_stored(store, policies, engine[0], decision_id)
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
