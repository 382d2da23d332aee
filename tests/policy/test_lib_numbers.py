"""The library's number formatting and blank test, rewritten for speed, answer as before.

`fixed` (one definition with `else` branches instead of four definitions, scales as a
rule), `num` (whole numbers printed directly) and `blank` (one membership test instead of
five definitions) are compared with the previous definitions, kept here verbatim as the
oracle, over a grid of values on regorus and on real OPA.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import regorus

from govern.policy import _opa

from ..conftest import POLICIES

COMMON = POLICIES / "lib" / "common.rego"

ORACLE = """package oracle

import rego.v1

blank(x) if x == null

blank(x) if x == ""

blank(x) if x == []

blank(x) if x == {}

blank(x) if x == false

missing(obj, path) if blank(object.get(obj, split(path, "."), null))

fixed(x, d) := s if {
	is_number(x)
	abs(x) < 1000000000
	scale := [1, 10, 100, 1000, 10000, 100000, 1000000][d]
	n := round(abs(x) * scale)
	whole := floor(n / scale)
	frac := substring(sprintf("%d", [(n - (whole * scale)) + scale]), 1, d)
	s := concat("", [sign(x, n), sprintf("%d", [whole]), dot(frac), frac])
}

fixed(x, _) := sprintf("%d", [round(x)]) if {
	is_number(x)
	abs(x) >= 1000000000
	abs(x) < 1000000000000000
}

fixed(x, _) := ">= 1e15" if {
	is_number(x)
	x >= 1000000000000000
}

fixed(x, _) := "<= -1e15" if {
	is_number(x)
	x <= -1000000000000000
}

num(x) := trim_suffix(trim_right(s, "0"), ".") if {
	s := fixed(x, 6)
	contains(s, ".")
} else := fixed(x, 6)

sign(x, n) := "-" if {
	x < 0
	n > 0
} else := ""

dot(frac) := "." if frac != "" else := ""

show(x) := num(x) if is_number(x) else := sprintf("%v", [x])
"""

WHOLE = [0, 1, -1, 7, 25, -25, 365, 999_999_999, -999_999_999, 1_000_000_000, -1_000_000_000]
WHOLE += [123_456_789_012, 999_999_999_999_999, 10**15, -(10**15), 10**20, 2**53 + 1]
FRACTIONS = [0.25, -0.25, 0.5, -0.5, 1.5, 2.5, -2.5, 0.1, 0.3, 0.1 + 0.2, 1 / 3, -2 / 3]
FRACTIONS += [0.0000005, 0.0000004999, 0.0000015, -0.0000001, 1e-7, 1e-12, 0.9999995]
FRACTIONS += [0.9999994, 12.3456785, 123456789.123456, 999999999.9999999, 999999999.4]
FLOAT_WHOLE = [-0.0, 0.0, 25.0, -25.0, 1e9, 3.0e8, -7.0, 1e15, 1e16]
OTHER: list[Any] = ["x", "", "0", None, True, False, [], {}, [None], {"a": 1}, " ", [0]]
VALUES = WHOLE + FRACTIONS + FLOAT_WHOLE + OTHER
OBJ = {"a": {"b": 1, "e": "", "n": None, "l": [], "o": {}, "f": False, "z": 0}, "s": "t"}
PATHS = ["a.b", "a.e", "a.n", "a.l", "a.o", "a.f", "a.z", "a.x", "s", "s.t", "x.y", "a"]


def _queries(lib: str) -> dict[str, str]:
    return {
        "num": f"{{i: {lib}.num(v) | some i, v in input.v}}",
        "show": f"{{i: {lib}.show(v) | some i, v in input.v}}",
        "fixed": (
            f"{{[i, d]: {lib}.fixed(v, d) | some i, v in input.v; some d in numbers.range(0, 6)}}"
        ),
        "blank": f"{{i | some i, v in input.v; {lib}.blank(v)}}",
        "missing": f"{{p | some p in input.p; {lib}.missing(input.o, p)}}",
    }


def _query(lib: str) -> str:
    parts = ", ".join(f'"{k}": {q}' for k, q in _queries(lib).items())
    return f"x := {{{parts}}}"


INPUT = {"v": VALUES, "o": OBJ, "p": PATHS}


def _regorus(query: str) -> Any:
    engine = regorus.Engine()
    engine.add_policy(str(COMMON), COMMON.read_text(encoding="utf-8"))
    engine.add_policy("oracle.rego", ORACLE)
    engine.set_input_json(json.dumps(INPUT))
    return json.loads(engine.eval_query_as_json(query))["result"][0]["bindings"]["x"]


def _opa_eval(query: str) -> Any:
    from opa_bindings import OpaEngine

    engine = OpaEngine()
    try:
        engine.add_policy(str(COMMON), COMMON.read_text(encoding="utf-8"))
        engine.add_policy("oracle.rego", ORACLE)
        return engine.eval_query(query, INPUT)[0]["x"]
    finally:
        engine.close()


ENGINES = [
    pytest.param(_regorus, id="regorus"),
    pytest.param(
        _opa_eval,
        id="opa",
        marks=pytest.mark.skipif(
            not _opa.bindings_available(),
            reason="opa-golib-python-bindings not installed (make install adds it)",
        ),
    ),
]


@pytest.mark.parametrize("evaluate", ENGINES)
def test_rewritten_helpers_answer_as_the_previous_definitions(evaluate: Any) -> None:
    new = evaluate(_query("data.govern.lib"))
    old = evaluate(_query("data.oracle"))
    for key in _queries(""):
        assert new[key] == old[key], key
    # the grid reaches every branch: whole, fractional, large, capped, blank or not
    shown = set(new["num"].values() if isinstance(new["num"], dict) else new["num"])
    assert {"25", "-25", "0.25", "1000000000", ">= 1e15", "<= -1e15"} <= shown
    assert len(new["blank"]) >= 5 and len(new["missing"]) >= 5
