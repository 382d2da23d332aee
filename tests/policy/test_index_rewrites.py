"""The per-stage copies' rewrites (policy/_index.py): guards to `true`, aliases to paths.

Each case is a small bundle evaluated by regorus on the full modules and on the stage's
copy; the values must be identical, and the copy must be rewritten exactly when the
rewrite is provably exact (otherwise the module is left as it is).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from govern.policy._ast import analyse
from govern.policy._index import build_index
from govern.policy._worker import compile_bundle

LIB = """package govern.lib

import rego.v1

applies(id) if input.stage in data.govern.control_stages[id]

m := object.get(input, "model", {})

params := {"x": 1, "y": {"z": 2}}

f(x) := x + 1

g(x, y) := [x, y]
"""

DATA = {"govern": {"control_stages": {"C1": ["s1"], "C2": ["s2"]}}}

HEAD = "package t\n\nimport rego.v1\n"

# name, imports, rules, rewritten (aliases replaced), an extra module of package t or ""
CASES: list[tuple[str, str, str, bool, str]] = [
    (
        "nested refs and calls",
        "import data.govern.lib",
        'deny contains x if {\n\tlib.applies("C1")\n\tx := lib.params.y.z + lib.f(lib.params.x)\n}',
        True,
        "",
    ),
    (
        "alias with as, bracket with a variable",
        "import data.govern.lib as L",
        'deny contains [k, v] if {\n\tL.applies("C1")\n\tsome k\n\tv := L.params[k]\n}',
        True,
        "",
    ),
    (
        "string brackets, a comprehension, two arguments",
        "import data.govern.lib",
        'deny contains x if {\n\tlib.applies("C1")\n\t'
        'x := [y | some y in lib.g(lib["params"]["x"], '
        "lib.m.name)]\n}",
        True,
        "",
    ),
    (
        "import input.model, with and without as",
        "import data.govern.lib\nimport input.model\nimport input.model as mm",
        'deny contains x if {\n\tlib.applies("C1")\n\tx := [model.name, mm.name, lib.m.name]\n}',
        True,
        "",
    ),
    (
        "a rule value and a default",
        "import data.govern.lib",
        'default d := 0\n\nd := lib.params.x if lib.m.name\n\ndeny contains d if lib.applies("C1")',
        True,
        "",
    ),
    (
        "shadowed by some ... in",
        "import data.govern.lib",
        'deny contains x if {\n\tlib.applies("C1")\n\t'
        'some lib in [{"params": 5}]\n\tx := lib.params\n}',
        False,
        "",
    ),
    (
        "shadowed by an assignment",
        "import data.govern.lib as L",
        'deny contains x if {\n\tL.applies("C1")\n\tL := {"params": 7}\n\tx := L.params\n}',
        False,
        "",
    ),
    (
        "a function argument named like the alias",
        "import data.govern.lib",
        "h(lib) := lib.params\n\n"
        'deny contains x if {\n\tlib.applies("C1")\n\tx := h({"params": 3})\n}',
        False,
        "",
    ),
    (
        "the bare alias",
        "import data.govern.lib",
        'deny contains x if {\n\tlib.applies("C1")\n\tx := count(lib)\n}',
        False,
        "",
    ),
    (
        "a builtin called through the alias",
        "import data.govern.lib as strings",
        'deny contains x if {\n\tstrings.applies("C1")\n\tx := strings.reverse("ab")\n}',
        False,
        "",
    ),
    (
        "a with modifier",
        "import data.govern.lib",
        'deny contains x if {\n\tlib.applies("C1")\n\t'
        'x := lib.m.name with input.model as {"name": "w"}\n}',
        False,
        "",
    ),
    (
        "a rule of the package named like the alias",
        "import data.govern.lib as L",
        'deny contains x if {\n\tL.applies("C1")\n\tx := L.params.x\n}',
        False,
        'package t\n\nimport rego.v1\n\nL := {"params": {"x": 9}}\n',
    ),
    (
        "a package below named like the alias",
        "import data.govern.lib",
        'deny contains x if {\n\tlib.applies("C1")\n\tx := lib.params.x\n}',
        False,
        'package t.lib\n\nimport rego.v1\n\nparams := {"x": 9}\n',
    ),
]

INPUTS: list[dict[str, Any]] = [
    {"stage": "s1", "model": {"name": "a"}},
    {"stage": "s1", "model": {"name": 3}},
    {"stage": "s1"},
]


def _evaluate(modules: list[tuple[str, str]], doc: dict[str, Any]) -> Any:
    engine, _, _ = compile_bundle(modules, json.dumps(DATA), ast=False)
    engine.set_input_json(json.dumps(doc))
    try:
        return json.loads(engine.eval_query_as_json("data.t"))
    except RuntimeError as exc:
        return ("error", str(exc).split(":")[0])


@pytest.mark.parametrize(("name", "imports", "rules", "rewritten", "extra"), CASES)
def test_a_stage_copy_decides_as_the_full_bundle(
    name: str, imports: str, rules: str, rewritten: bool, extra: str
) -> None:
    del name
    modules = [("lib.rego", LIB), ("t.rego", f"{HEAD}{imports}\n\n{rules}\n")]
    if extra:
        modules.append(("extra.rego", extra))
    _, _, ast = compile_bundle(modules, json.dumps(DATA))
    index = build_index(tuple(modules), DATA, analyse(ast), ("s1",))
    assert index is not None
    copy = dict(index.modules["s1"])
    assert 'applies("C1")' not in copy["t.rego"]  # a kept guard always becomes true
    assert copy["t.rego"].count("\n") == modules[1][1].count("\n")  # lines kept
    for doc in INPUTS:
        assert _evaluate(list(copy.items()), doc) == _evaluate(modules, doc)
    rules_text = "\n".join(x for x in copy["t.rego"].splitlines() if not x.startswith("import"))
    assert ("data.govern.lib" in rules_text) is rewritten
