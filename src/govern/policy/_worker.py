r"""The regorus core, shared by the in-process adapter and the sandbox worker process.

This file is also run as a script (`python -I _worker.py`) inside the sandbox child, so it
imports nothing from govern: only the standard library and `regorus`. The child talks to the
parent over a private pipe with length-prefixed JSON frames; fd 1 is pointed at /dev/null
so that nothing a native library writes can corrupt the protocol or the parent's stdout.

Requests:  {"op": "load", "modules": [[path, source], ...], "data": JSON-text, "coverage": b,
            "ast": b (default true: answer with the AST),
            "deny": [[builtin, arity, message], ...] (builtins the engine may not run),
            "engine": "regorus" | "opa" (default regorus; "opa" evaluates with the real OPA
                      compiled in-process, package opa-golib-python-bindings, while regorus
                      still parses the bundle for its packages and AST),
            "opa_check": b (regorus: answer with "opa_error", OPA's compile error or null;
                      also compile the whole bundle with OPA when the
                      bindings are installed, so that a rule no query reaches is still
                      checked for safety and types as OPA would; regorus compiles lazily),
            "variants": {name: [[path, source], ...]} (optional, see Engines)}
           {"op": "variants", "variants": {name: [[path, source], ...]}}
           {"op": "eval", "input": JSON-text, "query": text, "variant": name|null}
           {"op": "eval_batch", "queries": [text, ...], "items": [[n, query index, variant],
            ...]} + "\n" + the items' inputs, n bytes of JSON each, back to back: one
                                         answer per item, {"ok": true, "doc": engine result}
                                         or an error. The inputs travel as the parent
                                         encoded them, never re-escaped inside a JSON string.
           {"op": "coverage"}            (coverage report of everything evaluated so far)
Responses: {"ok": true, ...} or {"ok": false, "stage": "load"|"eval", "error": text}

A frame is a 4-byte length and a JSON header; `eval_batch` frames add a newline and raw
bytes after the header (json.dumps never writes a raw newline, so the first one ends it).
"""

from __future__ import annotations

import json
import os
import re
import struct
import sys
from collections.abc import Sequence
from typing import Any

os.environ.setdefault("RUST_BACKTRACE", "0")
os.environ.setdefault("RUST_LIB_BACKTRACE", "0")

import regorus  # noqa: E402

_HEADER = struct.Struct("!I")
HEADER = _HEADER  # a frame: this length prefix, then the body (policy/_pool.py reads it too)


class CompileFailed(Exception):
    """A module or the data document was rejected by an engine (message is the engine's)."""


class OpaBundle:
    """The bundle compiled by real OPA (in-process bindings); evaluates like a regorus Engine.

    OPA compiles lazily, on the first query, so load() runs a trivial query to surface
    every compile error (unsafe variables, type errors, ...) at load time.
    """

    VALUE = "__govern_value__"
    AD_HOC_MAX = 24  # distinct ad-hoc queries (~10 MB each in the bindings' cache) per engine

    def __init__(self, modules: Any, data_json: str) -> None:
        from opa_bindings import OpaError

        self._error = OpaError
        self._modules, self._data = list(modules), json.loads(data_json)
        self._ad_hoc: set[str] = set()
        try:
            self.engine = self._compile()
        except OpaError as exc:
            raise CompileFailed(f"opa: {exc.message}") from exc

    def _compile(self) -> Any:
        from opa_bindings import OpaEngine

        engine = OpaEngine()
        engine.print_handler = _drop_print  # print() output is dropped, never written
        for path, source in self._modules:
            engine.add_policy(path, source)
        engine.add_data(self._data)
        engine.eval_query(f"{self.VALUE} := true")  # compiles every module now
        return engine

    def _ad_hoc_query(self, query: str) -> None:
        """Compile the engine anew past AD_HOC_MAX distinct ad-hoc queries.

        The bindings cache every distinct query and never evict (`govern policy test` asks
        one query per test rule).
        """
        if query not in self._ad_hoc and len(self._ad_hoc) >= self.AD_HOC_MAX:
            self.engine.close()
            self.engine = self._compile()
            self._ad_hoc.clear()
        self._ad_hoc.add(query)

    def close(self) -> None:
        """Release the Go engine."""
        self.engine.close()

    def evaluate(self, input_json: str, query: str) -> str:
        """Raw JSON result of `query` in regorus' shape ({"result": [{"expressions": ...}]}).

        govern's queries gather the rules of a varying list of packages (`[data.a.deny,
        data.b.warn]`); such a list is evaluated one document at a time: the bindings keep
        a prepared query (several MB) per distinct document, two per package this way
        instead of one per combination (which grew past the memory cap), and evaluating a
        prepared document costs a few ms where an ad-hoc query costs ~40 ms. Any other
        query (a test rule, a fixture) is evaluated ad hoc, so it leaves nothing behind.
        """
        from opa_bindings import OpaUndefinedError

        doc = json.loads(input_json)
        refs = _ref_list(query)
        try:
            if refs is None:
                self._ad_hoc_query(query)
                rows = self.engine.eval_query(f"{self.VALUE} := {query}", doc)
                result = [{"expressions": [{"value": r[self.VALUE]}]} for r in rows[:1]]
                return json.dumps({"result": result})
            values = [self.engine.eval_document(ref.removeprefix("data."), doc) for ref in refs]
        except OpaUndefinedError:  # one undefined element leaves the whole query undefined
            return json.dumps({"result": []})
        except self._error as exc:
            raise RuntimeError(f"opa: {exc.message}") from exc
        value: Any = values if query.startswith("[") else values[0]
        return json.dumps({"result": [{"expressions": [{"value": value}]}]})


_REF = re.compile(r"data(\.[A-Za-z_][A-Za-z0-9_]*)+")


def _ref_list(query: str) -> list[str] | None:
    """The deny/warn references of a query `data.a.deny` or `[data.a.deny, data.b.warn]`."""
    inner = query[1:-1] if query.startswith("[") and query.endswith("]") else query
    parts = [p.strip() for p in inner.split(",")]
    if not parts or not all(_REF.fullmatch(p) for p in parts):
        return None
    return parts if all(p.rsplit(".", 1)[-1] in ("deny", "warn") for p in parts) else None


def _drop_print(message: str, location: str) -> None:
    del message, location


def opa_compile_error(modules: Any, data_json: str) -> str | None:
    """OPA's first compile error for the whole bundle, None if it compiles or OPA is absent.

    regorus compiles a rule only when a query reaches it; OPA compiles every rule, so an
    unsafe variable in a helper no gate calls is still refused, as `opa check` would.
    """
    import importlib.util

    if importlib.util.find_spec("opa_bindings") is None:
        return None
    try:
        OpaBundle(modules, data_json).close()
    except CompileFailed as exc:
        return str(exc)
    return None


class Refused(RuntimeError):
    """A denied builtin was called (raised inside regorus, which reports it as an error)."""


def _refuser(message: str) -> Any:
    def refuse(*_args: Any) -> Any:
        raise Refused(message)

    return refuse


def compile_bundle(
    modules: list[tuple[str, str]] | tuple[tuple[str, str], ...],
    data_json: str,
    *,
    coverage: bool = False,
    ast: bool = True,
    deny: Sequence[Sequence[Any]] = (),
) -> tuple[Any, list[str], str]:
    """An Engine holding `modules` and `data`, its packages, and its AST as JSON text.

    `ast=False` returns "" for the AST: a pool child only evaluates. Each `deny` builtin is
    replaced by an extension that raises: regorus looks extensions up before its builtins.
    """
    engine = regorus.Engine()
    engine.set_gather_prints(True)  # print() output is kept in the engine, never written out
    for name, arity, message in deny:
        engine.add_extension(str(name), int(arity), _refuser(str(message)))
    if coverage:
        engine.set_enable_coverage(True)
    for path, source in modules:
        try:
            engine.add_policy(path, source)
        except RuntimeError as exc:
            raise CompileFailed(str(exc)) from exc
    try:
        engine.add_data_json(data_json)
    except RuntimeError as exc:
        raise CompileFailed(f"policy data: {exc}") from exc
    packages = [p.removeprefix("data.") for p in engine.get_packages()]
    return engine, packages, engine.get_ast_as_json() if ast else ""


PREPARED_PACKAGE = "__govern_prepared_"
PREPARED_MAX = 64  # distinct queries per variant (packs applying to a stage's scopes)
UNDEFINED = '"<undefined>"'  # eval_rule_as_json's text for an undefined rule


class Engines:
    """The full bundle's engine plus named variants (policy/_index.py), compiled on first use.

    A variant is a copy of the bundle with rules that cannot apply left out; it shares the
    data document. Compiling one costs about as much as compiling the bundle (~10 ms), so
    only the variants a batch actually names are compiled.
    """

    def __init__(
        self,
        full: Any,
        data_json: str,
        *,
        coverage: bool = False,
        deny: Sequence[Sequence[Any]] | None = None,
    ) -> None:
        self.full = full
        self._data_json = data_json
        self._coverage = coverage
        self._deny = list(deny or [])  # refused builtins: every variant refuses them too
        self._sources: dict[str, Any] = {}
        self._compiled: dict[str, Any] = {}
        self._prepared: dict[str, dict[str, str]] = {}  # variant -> query -> rule path

    def set_variants(self, variants: dict[str, Any]) -> None:
        """Replace the variants' module lists (each compiled when first used)."""
        self._sources = dict(variants)
        self._compiled = {}
        self._prepared = {}

    def evaluate(self, name: str | None, input_json: str, query: str) -> str:
        """Raw JSON result of `query` on variant `name`, in eval_query's shape.

        On a variant, a query gathering deny/warn rules is compiled once into a rule of
        its own (a prepared query: regorus then neither parses nor plans it again per
        input, 7-20% less CPU a decision in-process) and read with eval_rule; anything
        else, and the full bundle (coverage, policy tests), goes through eval_query.
        """
        engine = self.get(name)
        rule = self._rule(name, engine, query) if engine is not self.full else None
        if rule is None:
            return evaluate(engine, input_json, query)
        try:
            engine.set_input_json(input_json)
            value = str(engine.eval_rule_as_json(rule))
        finally:
            engine.take_prints()
        if value == UNDEFINED:  # a defined value of these rules is always a list
            return '{"result":[]}'
        return '{"result":[{"expressions":[{"value":' + value + "}]}]}"

    def _rule(self, name: str | None, engine: Any, query: str) -> str | None:
        assert name is not None
        rules = self._prepared.setdefault(name, {})
        rule = rules.get(query)
        if rule is None and len(rules) < PREPARED_MAX and _ref_list(query) is not None:
            package = f"{PREPARED_PACKAGE}{len(rules)}"
            engine.add_policy(
                f"<prepared query {len(rules)}>", f"package {package}\n\nvalue := {query}\n"
            )
            rule = rules[query] = f"data.{package}.value"
        return rule

    def get(self, name: str | None) -> Any:
        """The engine of variant `name` (the full one for None or an unknown name)."""
        if name is None or name not in self._sources:
            return self.full
        engine = self._compiled.get(name)
        if engine is None:
            engine, _, _ = compile_bundle(
                self._sources[name],
                self._data_json,
                coverage=self._coverage,
                ast=False,
                deny=self._deny,
            )
            self._compiled[name] = engine
        return engine


def evaluate(engine: Any, input_json: str, query: str) -> str:
    """Raw JSON result of `query`; prints gathered during evaluation are discarded."""
    if isinstance(engine, OpaBundle):
        return engine.evaluate(input_json, query)
    try:
        engine.set_input_json(input_json)
        return str(engine.eval_query_as_json(query))
    finally:
        engine.take_prints()


def _read_exact(fd: int, n: int) -> bytes:
    chunks = []
    while n:
        chunk = os.read(fd, n)
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int) -> Any:
    """One length-prefixed JSON message from `fd`."""
    (size,) = _HEADER.unpack(_read_exact(fd, _HEADER.size))
    return json.loads(_read_exact(fd, size))


def read_frame_parts(fd: int) -> tuple[Any, bytes]:
    """One frame: its JSON header and the raw bytes after the first newline (if any)."""
    (size,) = _HEADER.unpack(_read_exact(fd, _HEADER.size))
    body = _read_exact(fd, size)
    header, _, payload = body.partition(b"\n")
    return json.loads(header), payload


def batch_frame(queries: list[str], items: list[tuple[bytes, int, str | None]]) -> bytes:
    """The body of an `eval_batch` request: header, newline, the inputs back to back."""
    header = {
        "op": "eval_batch",
        "queries": queries,
        "items": [[len(raw), q, variant] for raw, q, variant in items],
    }
    return json.dumps(header).encode() + b"\n" + b"".join(raw for raw, _, _ in items)


def write_frame(fd: int, message: Any) -> None:
    """Write one length-prefixed JSON message to `fd`."""
    body = json.dumps(message).encode()
    view = memoryview(_HEADER.pack(len(body)) + body)
    while view:
        view = view[os.write(fd, view) :]


def write_raw_frame(fd: int, body: bytes) -> None:
    """Write one length-prefixed frame whose JSON body is already encoded."""
    view = memoryview(_HEADER.pack(len(body)) + body)
    while view:
        view = view[os.write(fd, view) :]


def _eval_batch(engines: Engines, req: Any, payload: bytes, fd_out: int) -> None:
    """One answer frame per item, written as soon as it is evaluated.

    The engine's result text is embedded as is (`doc`), so it is parsed once, by the parent.
    Streaming lets the parent apply the time limit to each evaluation, not to the batch.
    """
    queries = req["queries"]
    pos = 0
    for size, q, variant in req["items"]:
        input_json = payload[pos : pos + size].decode()
        pos += size
        try:
            result = engines.evaluate(variant, input_json, queries[q])
        except (RuntimeError, ValueError, CompileFailed) as exc:
            write_frame(fd_out, {"ok": False, "stage": "eval", "error": str(exc)})
            continue
        write_raw_frame(fd_out, b'{"ok":true,"doc":' + result.encode() + b"}")


def _serve(fd_in: int, fd_out: int) -> None:
    engines: Any = None
    while True:
        try:
            req, payload = read_frame_parts(fd_in)
        except EOFError:
            return
        op = req.get("op")
        try:
            if op == "load":
                # pool children skip the AST (9 MB of JSON for the default library)
                coverage = bool(req.get("coverage"))
                engine, packages, ast = compile_bundle(
                    req["modules"],
                    req["data"],
                    coverage=coverage,
                    ast=bool(req.get("ast", True)),
                    deny=req.get("deny", []),
                )
                opa_error = None
                if req.get("engine") == "opa":  # variants are regorus bundles: not used
                    engines = Engines(OpaBundle(req["modules"], req["data"]), req["data"])
                else:
                    if req.get("opa_check"):
                        opa_error = opa_compile_error(req["modules"], req["data"])
                    engines = Engines(engine, req["data"], coverage=coverage, deny=req.get("deny"))
                    engines.set_variants(req.get("variants") or {})
                answer = {"ok": True, "packages": packages, "ast": ast, "opa_error": opa_error}
                write_frame(fd_out, answer)
            elif op == "variants":
                if not isinstance(engines.full, OpaBundle):
                    engines.set_variants(req["variants"])
                write_frame(fd_out, {"ok": True})
            elif op == "eval":
                result = engines.evaluate(req.get("variant"), req["input"], req["query"])
                write_frame(fd_out, {"ok": True, "result": result})
            elif op == "eval_batch":
                _eval_batch(engines, req, payload, fd_out)
            elif op == "coverage" and isinstance(engines.full, OpaBundle):
                write_frame(fd_out, {"ok": False, "stage": op, "error": "opa: no coverage"})
            elif op == "coverage":
                report = engines.full.get_coverage_report_as_json()
                write_frame(fd_out, {"ok": True, "report": report})
            else:
                write_frame(fd_out, {"ok": False, "stage": "protocol", "error": f"bad op {op!r}"})
        except CompileFailed as exc:
            write_frame(fd_out, {"ok": False, "stage": "load", "error": str(exc)})
        except (RuntimeError, ValueError) as exc:
            write_frame(fd_out, {"ok": False, "stage": op, "error": str(exc)})


def main() -> None:
    """Serve requests on stdin, answering on a private copy of stdout; fd 1 -> /dev/null."""
    fd_out = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (lives as long as the process)
    _serve(0, fd_out)


if __name__ == "__main__":
    main()
