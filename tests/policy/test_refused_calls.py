"""Every refused builtin, however it is spelled or aliased, is refused by `check` and `policy test`.

regorus runs the builtin named by a call as written unless a user *function* is defined at
the path the call resolves to (package-local or through an import): `import data.time` or
`import data.x as time` does not stop `time.now_ns()` from reading the clock. So every form
below must be refused at load time (static check), and the engine itself must refuse the
builtin when a call slips past the static check.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from govern.cli import main
from govern.errors import PolicyEvalError
from govern.policy._capabilities import ARITY, engine_denials
from govern.policy._regorus import RegorusEngine
from govern.policy._sandbox import SandboxEngine

from ..conftest import CARDS
from .conftest import GATE_HEAD

ARGS = {
    "http.send": '{"method": "get", "url": "http://example.com"}',
    "net.cidr_contains": '"10.0.0.0/8", "10.1.1.1"',
    "net.cidr_contains_matches": '["10.0.0.0/8"], ["10.1.1.1"]',
    "net.cidr_expand": '"10.0.0.0/30"',
    "net.cidr_intersects": '"10.0.0.0/8", "10.1.0.0/16"',
    "net.cidr_is_valid": '"10.0.0.0/8"',
    "net.cidr_merge": '["10.0.0.0/8"]',
    "net.cidr_overlap": '"10.0.0.0/8", "10.1.1.1"',
    "net.lookup_ip_addr": '"example.com"',
    "opa.runtime": "",
    "time.now_ns": "",
    "rand.intn": '"seed", 10',
    "uuid.rfc4122": '"seed"',
}
# builtins this regorus build implements (the others are unknown functions to it)
IN_REGORUS = (
    "net.cidr_contains",
    "net.cidr_expand",
    "net.cidr_is_valid",
    "opa.runtime",
    "rand.intn",
    "time.now_ns",
    "uuid.rfc4122",
)


def _split(name: str) -> tuple[str, str]:
    head, _, rest = name.partition(".")
    return head, rest


def _form(form: str, name: str) -> tuple[str, str, dict[str, str]]:
    """(imports, call expression, extra policy files) for one aliasing form."""
    head, rest = _split(name)
    args = ARGS[name]
    plain = f"{name}({args})"
    if form == "plain":
        return "", plain, {}
    if form == "import-data-same-name":
        return f"import data.{head}\n", plain, {}
    if form == "import-alias":
        return f"import data.other as {head}\n", plain, {}
    if form == "import-nested-alias":
        return f"import data.lib.deep as {head}\n", plain, {}
    if form == "import-input":
        return f"import input.{head}\n", plain, {}
    if form == "import-rule-not-function":  # a value rule at that path is not a function
        lib = f"package {head}\n\nimport rego.v1\n\n{rest} := 1\n"
        return f"import data.{head}\n", plain, {f"{head}_lib.rego": lib}
    if form == "bracket":
        return "", f'{head}["{rest}"]({args})', {}
    if form == "import-bracket":
        return f"import data.{head}\n", f'{head}["{rest}"]({args})', {}
    raise AssertionError(form)


FORMS = (
    "plain",
    "import-data-same-name",
    "import-alias",
    "import-nested-alias",
    "import-input",
    "import-rule-not-function",
    "bracket",
    "import-bracket",
)


def _gate(form: str, name: str) -> dict[str, str]:
    imports, call, extra = _form(form, name)
    head = GATE_HEAD.replace("import rego.v1\n", "import rego.v1\n" + imports)
    gate = head + f'deny contains "x" if {{\n\tv := {call}\n\tv == 1\n}}\n'
    return {"gates/production.rego": gate, **extra}


def _test_module(form: str, name: str) -> dict[str, str]:
    imports, call, extra = _form(form, name)
    src = f"package govern.refused_test\n\nimport rego.v1\n{imports}\ntest_calls if {{\n"
    src += f"\tv := {call}\n\tv != null\n}}\n"
    return {"refused_test.rego": src, **extra}


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", sorted(ARGS))
def test_check_refuses_every_form(
    write_policies: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
    name: str,
    form: str,
) -> None:
    root = write_policies(_gate(form, name))
    card = str(CARDS / "credit-risk.yaml")
    rc = main(["check", card, "--stage", "production", "--policies", str(root)])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert f"builtin {name} is refused" in err
    assert "gates/production.rego:" in err


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", sorted(ARGS))
def test_policy_test_refuses_every_form(
    write_policies: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
    name: str,
    form: str,
) -> None:
    root = write_policies(_test_module(form, name))
    rc = main(["policy", "test", str(root)])
    out, err = capsys.readouterr()
    assert rc == 2, out + err
    assert f"builtin {name} is refused" in err
    assert "refused_test.rego:" in err


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", ["time.now_ns", "rand.intn"])
def test_allow_listed_builtin_runs_in_every_form(
    write_policies: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
    name: str,
    form: str,
) -> None:
    root = write_policies(_test_module(form, name))
    rc = main(["policy", "test", str(root), "--allow-builtin", name])
    err = capsys.readouterr().err
    if rc == 2 and "import" in form:
        # OPA's whole-bundle compile (when its bindings are installed) resolves the import
        # first, so the call names a path that is no such function: refused, never run
        assert "compile policy: rego_type_error: " in err and "function" in err, err
    else:
        assert rc == 0, err


@pytest.mark.parametrize("sandbox", [True, False], ids=["sandbox", "in-process"])
@pytest.mark.parametrize("name", IN_REGORUS)
def test_engine_itself_refuses_the_builtin(name: str, sandbox: bool) -> None:
    """Without the static check, the engine still does not run a denied builtin."""
    head, rest = _split(name)
    src = f'package p\n\nimport data.{head}\n\nx := {head}["{rest}"]({ARGS[name]})\n'
    modules = (("p.rego", src),)
    deny = engine_denials()
    engine: SandboxEngine | RegorusEngine
    if sandbox:
        engine = SandboxEngine(modules, {}, deny=deny)
    else:
        engine = RegorusEngine(modules, {}, deny=deny)
    try:
        assert any(c.name == name and c.function is None for c in engine.info.calls)
        with pytest.raises(PolicyEvalError, match=f"builtin {name} is refused"):
            engine.evaluate({}, "data.p.x")
    finally:
        engine.close()
    # the same bundle without the denial runs the builtin: the test above can fail
    plain = RegorusEngine(modules, {})
    assert plain.evaluate({}, "data.p.x") is not None


def test_every_refused_builtin_has_an_arity() -> None:
    assert sorted(ARITY) == sorted(ARGS)
    assert {d[0] for d in engine_denials()} == set(ARITY)
    assert "time.now_ns" not in {d[0] for d in engine_denials(("time.*",))}


@pytest.mark.parametrize(
    "imports",
    ["import data.time\n", "import data.lib as time\n"],
    ids=["import", "alias"],
)
def test_user_function_named_like_a_builtin_runs_and_is_not_refused(
    write_policies: Callable[..., Path], capsys: pytest.CaptureFixture[str], imports: str
) -> None:
    lib_pkg = "time" if "data.time" in imports else "lib"
    root = write_policies(
        {
            # one argument: OPA (v1.20) has no zero-argument functions (`f()` is a type error)
            "lib.rego": f"package {lib_pkg}\n\nimport rego.v1\n\nnow_ns(_) := 42\n",
            "t_test.rego": (
                f"package t_test\n\nimport rego.v1\n{imports}\n"
                "test_user_function if time.now_ns(0) == 42\n"
            ),
        }
    )
    rc = main(["policy", "test", str(root), "--format", "json"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert json.loads(out)["passed"] == 1
