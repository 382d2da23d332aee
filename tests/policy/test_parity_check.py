"""Loadable by stock OPA, refused when OPA would refuse: `opa test`, whole-bundle compile
errors at load, and `govern policy check` (issue 12)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from govern.cli import main
from govern.errors import PolicyLoadError
from govern.policy import EngineOptions, load
from govern.policy._bundle import read_bundle
from govern.policy._opa import bindings_available

from ..conftest import POLICIES
from .conftest import GATE_HEAD

needs_bindings = pytest.mark.skipif(
    not bindings_available(), reason="opa-golib-python-bindings not installed (make install)"
)
DATA_SUFFIXES = (".json", ".yaml", ".yml")


def _opa_loader_data(root: Path) -> list[tuple[list[str], Any]]:
    """Data files as OPA's loader places them: under the path of their directory."""
    out = []
    for f in sorted(root.rglob("*")):
        if f.suffix in DATA_SUFFIXES:
            doc = yaml.safe_load(f.read_text(encoding="utf-8"))
            out.append((list(f.relative_to(root).parent.parts), doc))
    return out


@needs_bindings
def test_stock_opa_test_passes_on_the_library() -> None:
    """What `opa test policies` does: every module, data at its directory's path, every
    test_* rule true. Written against the bindings directly, not govern's loader."""
    from opa_bindings import OpaEngine, OpaError

    engine = OpaEngine()
    engine.print_handler = lambda message, location: None
    tests = []
    for f in sorted(POLICIES.rglob("*.rego")):
        source = f.read_text(encoding="utf-8")
        engine.add_policy(str(f), source)
        package = re.search(r"^package\s+(\S+)", source, re.M)
        assert package
        names = sorted(set(re.findall(r"^(test_\w+)\b", source, re.M)))
        tests += [f"{package.group(1)}.{n}" for n in names]
    for path, doc in _opa_loader_data(POLICIES):
        engine.add_data(doc, path=".".join(path))
    assert len(tests) >= 140
    failed = {}
    for i, name in enumerate(tests):
        if i and i % 20 == 0:  # the bindings cache each query; keep the process small
            fresh = OpaEngine()
            fresh.print_handler = engine.print_handler
            for f in sorted(POLICIES.rglob("*.rego")):
                fresh.add_policy(str(f), f.read_text(encoding="utf-8"))
            for path, doc in _opa_loader_data(POLICIES):
                fresh.add_data(doc, path=".".join(path))
            engine.close()
            engine = fresh
        try:
            value = engine.eval_document(name)
        except OpaError as exc:
            value = str(exc)
        if value is not True:
            failed[name] = value
    engine.close()
    assert failed == {}


def test_data_files_load_at_their_directory_path(write_policies: Callable[..., Path]) -> None:
    root = write_policies(
        {
            "gate.rego": GATE_HEAD + 'deny contains "x" if data.org.limit < 1\n',
            "data.yaml": "govern: {a: 1}\n",
            "org/limits.yaml": "limit: 5\n",
        }
    )
    assert read_bundle(root).data == {"govern": {"a": 1}, "org": {"limit": 5}}


@needs_bindings
def test_policy_test_on_opa_passes(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["-q", "policy", "test", str(POLICIES), "--engine", "opa"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.strip().splitlines()[-1].endswith("passed, 0 failed")


UNREACHABLE = GATE_HEAD + 'deny contains "x" if false\n\nhelper = c\n'


@needs_bindings
@pytest.mark.parametrize(
    "options",
    [EngineOptions(), EngineOptions(sandbox=False), EngineOptions(engine="opa")],
    ids=["regorus-sandbox", "regorus-in-process", "opa"],
)
def test_compile_error_in_an_unreachable_rule_is_refused_at_load(
    write_policies: Callable[..., Path], options: EngineOptions
) -> None:
    root = write_policies({"gate.rego": UNREACHABLE})
    with pytest.raises(PolicyLoadError) as info:
        load(root, options=options)
    err = info.value
    assert (Path(str(err.path)).name, err.line, err.column) == ("gate.rego", 7, 10)
    assert "var c is unsafe" in str(err)


@needs_bindings
def test_check_exits_2_on_an_unreachable_compile_error(
    write_policies: Callable[..., Path], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    root = write_policies({"gate.rego": UNREACHABLE})
    card = tmp_path / "card.yaml"
    card.write_text(
        'name: m\nversion: "1"\nowner: a@b.c\nrisk_tier: 3\nuse_case: x\nstage: production\n'
    )
    assert main(["check", str(card), "--policies", str(root)]) == 2
    out, err = capfd.readouterr()
    assert out == ""
    assert err == f"error: {root / 'gate.rego'}:7:10: compile policy: " + (
        "rego_unsafe_var_error: var c is unsafe\n"
    )


def _policy_check(root: Path, capfd: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["-q", "policy", "check", str(root)])
    return code, capfd.readouterr().err


def test_policy_check_passes_on_the_library(capfd: pytest.CaptureFixture[str]) -> None:
    assert _policy_check(POLICIES, capfd) == (0, "")


CONTROL = """# METADATA
# title: A control
# custom:
#   id: {id}
#   source: 12 CFR 1002.9
#   article: 1002.9(a)
{severity}deny contains "x" if input.x == 1
"""

FINDINGS = {
    "unsafe var": (UNREACHABLE, "gate.rego:7:10: compile policy: rego_unsafe_var_error"),
    "refused builtin": (
        GATE_HEAD + 'deny contains "x" if time.now_ns() < 0\n',
        "gate.rego:5:33: builtin time.now_ns is refused",
    ),
    "unused import": (
        GATE_HEAD + 'import data.govern.lib\n\ndeny contains "x" if false\n',
        "gate.rego:5:1: import data.govern.lib: unused import",
    ),
    "duplicate import": (
        GATE_HEAD + 'import data.a.lib\nimport data.b.lib\n\ndeny contains "x" if lib.x\n',
        "gate.rego:6:1: import data.b.lib: duplicate import of lib",
    ),
    "input assigned": (
        GATE_HEAD + 'deny contains "x" if {\n\tinput := 1\n\tinput > 0\n}\n',
        "gate.rego:6:11: compile policy: input cannot be shadowed",
    ),
    "metadata without severity": (
        GATE_HEAD + CONTROL.format(id="X-1", severity=""),
        "gate.rego:5:1: control X-1: METADATA without severity",
    ),
    "duplicate control id": (
        GATE_HEAD
        + CONTROL.format(id="X-1", severity="#   severity: low\n")
        + "\n"
        + CONTROL.format(id="X-1", severity="#   severity: low\n").replace("== 1", "== 2"),
        "control X-1: defined twice (first at",
    ),
    "metadata not YAML": (
        GATE_HEAD + '# METADATA\n# title: [unclosed\ndeny contains "x" if false\n',
        "METADATA block is not valid YAML",
    ),
}


@pytest.mark.parametrize("case", sorted(FINDINGS))
def test_policy_check_reports_each_class_with_its_location(
    case: str, write_policies: Callable[..., Path], capfd: pytest.CaptureFixture[str]
) -> None:
    source, expected = FINDINGS[case]
    if case == "unsafe var" and not bindings_available():
        pytest.skip("the whole-bundle compile check needs the in-process OPA")
    root = write_policies({"gate.rego": source})
    code, err = _policy_check(root, capfd)
    assert code == 2
    assert expected in err, err
    assert all(line.startswith(str(root)) for line in err.splitlines()), err
