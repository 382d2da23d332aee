"""The regorus core, shared by the in-process adapter and the sandbox worker process.

This file is also run as a script (`python -I _worker.py`) inside the sandbox child, so it
imports nothing from govern: only the standard library and `regorus`. The child talks to the
parent over a private pipe with length-prefixed JSON frames; fd 1 is pointed at /dev/null
so that nothing a native library writes can corrupt the protocol or the parent's stdout.

Requests:  {"op": "load", "modules": [[path, source], ...], "data": JSON-text, "coverage": b,
            "ast": b (default true: answer with the AST),
            "deny": [[builtin, arity, message], ...] (builtins the engine may not run)}
           {"op": "eval", "input": JSON-text, "query": text}
           {"op": "eval_many", "items": [[JSON-text, query], ...]}   (one answer per item,
                                         {"ok": true, "doc": engine result} or an error)
           {"op": "coverage"}            (coverage report of everything evaluated so far)
Responses: {"ok": true, ...} or {"ok": false, "stage": "load"|"eval", "error": text}
"""

from __future__ import annotations

import json
import os
import struct
import sys
from collections.abc import Sequence
from typing import Any

os.environ.setdefault("RUST_BACKTRACE", "0")
os.environ.setdefault("RUST_LIB_BACKTRACE", "0")

import regorus  # noqa: E402

_HEADER = struct.Struct("!I")


class CompileFailed(Exception):
    """A module or the data document was rejected by regorus (message is the engine's)."""


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


def evaluate(engine: Any, input_json: str, query: str) -> str:
    """Raw JSON result of `query`; prints gathered during evaluation are discarded."""
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


def _eval_many(engine: Any, items: list[list[str]], fd_out: int) -> None:
    """One answer frame per [input, query] item, written as soon as it is evaluated.

    The engine's result text is embedded as is (`doc`), so it is parsed once, by the parent.
    Streaming lets the parent apply the time limit to each evaluation, not to the batch.
    """
    for input_json, query in items:
        try:
            result = evaluate(engine, input_json, query)
        except (RuntimeError, ValueError) as exc:
            write_frame(fd_out, {"ok": False, "stage": "eval", "error": str(exc)})
            continue
        write_raw_frame(fd_out, b'{"ok":true,"doc":' + result.encode() + b"}")


def _serve(fd_in: int, fd_out: int) -> None:
    engine: Any = None
    while True:
        try:
            req = read_frame(fd_in)
        except EOFError:
            return
        op = req.get("op")
        try:
            if op == "load":
                # pool children skip the AST (9 MB of JSON for the default library)
                engine, packages, ast = compile_bundle(
                    req["modules"],
                    req["data"],
                    coverage=bool(req.get("coverage")),
                    ast=bool(req.get("ast", True)),
                    deny=req.get("deny", []),
                )
                write_frame(fd_out, {"ok": True, "packages": packages, "ast": ast})
            elif op == "eval":
                result = evaluate(engine, req["input"], req["query"])
                write_frame(fd_out, {"ok": True, "result": result})
            elif op == "eval_many":
                _eval_many(engine, req["items"], fd_out)
            elif op == "coverage":
                write_frame(fd_out, {"ok": True, "report": engine.get_coverage_report_as_json()})
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
