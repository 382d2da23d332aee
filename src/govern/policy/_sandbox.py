"""Sandboxed regorus: the bundle lives in a child process that can be killed at a limit.

regorus has no timeout or cancellation API and evaluates in one native call, so the only
way to stop a runaway policy is to kill the process running it. The child (`_worker.py`
run with `python -I`) compiles the bundle once and then serves many evaluations over a
pipe. While waiting for an answer the parent polls the child's resident set size in
/proc and the wall clock; past either limit the child is killed, the caller gets a
PolicyLimitError (timeout / oom / crash), and the next evaluation starts a fresh child.

Why RSS polling and not RLIMIT_AS: an address-space limit also counts reserved virtual
memory, and some native allocators (snmalloc, used by rego-cpp) abort
at start-up under it; tests/policy/test_sandbox.py checks the RSS cap on a memory bomb.
The child runs with a cleared environment and an empty working directory, and its fd 1
goes to /dev/null, so a policy can neither read secrets from the environment nor write
into govern's output.
"""

from __future__ import annotations

import json
import math
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govern.errors import PolicyEvalError, PolicyLimitError, PolicyLoadError, UserInputError
from govern.policy import _worker
from govern.policy._ast import BundleInfo, analyse
from govern.policy._regorus import ENGINE_NAME, engine_version, first_value, located

_WORKER = Path(_worker.__file__).resolve()
_PAGE = os.sysconf("SC_PAGE_SIZE")
_POLL_S = 0.01

TIMEOUT_MSG = "{context}: the policy engine was stopped after {limit:g} s (time limit)"
OOM_MSG = "{context}: the policy engine was stopped at {rss} MiB resident (memory cap {limit} MiB)"
CRASH_MSG = "{context}: the policy engine process died ({how})"


@dataclass(frozen=True)
class Limits:
    """Wall-clock seconds and resident MiB allowed for one load or one evaluation."""

    timeout_s: float = 10.0
    memory_mb: int = 1024

    def __post_init__(self) -> None:
        # NaN compares false with everything: a NaN deadline would never be reached
        if not (math.isfinite(self.timeout_s) and self.timeout_s > 0):
            raise UserInputError(
                f"policy time limit must be finite seconds > 0, got {self.timeout_s!r}"
            )
        if not self.memory_mb > 0:
            raise UserInputError(f"policy memory limit must be MiB > 0, got {self.memory_mb!r}")


def _rss_mb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE // (1024 * 1024)
    except (OSError, IndexError, ValueError):
        return 0


WORKDIR_PREFIX = "govern-policy-"
_LEGACY_AGE_S = 24 * 3600  # directories named without their owner's pid (older govern)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def remove_stale_workdirs(tmp: str | None = None) -> list[str]:
    """Remove `govern-policy-<pid>-*` directories whose pid is dead; returns what was removed.

    Directories named the older way (no pid) are removed once a day old.

    A parent killed with SIGKILL cannot run its finaliser, so its child's working directory
    stays behind; each directory's name carries the pid of the govern process that made it.
    """
    removed = []
    root = Path(tmp or tempfile.gettempdir())
    for path in root.glob(f"{WORKDIR_PREFIX}*"):
        rest = path.name[len(WORKDIR_PREFIX) :]  # "<pid>-<random>", or "<random>" (older)
        owner = rest.split("-", 1)[0] if "-" in rest else ""
        try:
            if not path.is_dir() or path.is_symlink() or path.stat().st_uid != os.getuid():
                continue
            if owner.isdigit():
                stale = not _alive(int(owner))
            else:
                stale = time.time() - path.stat().st_mtime > _LEGACY_AGE_S
        except OSError:
            continue
        if stale:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(str(path))
    return removed


_cleaned = False


def _stop(proc: subprocess.Popen[bytes], workdir: str) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            stream.close()
    shutil.rmtree(workdir, ignore_errors=True)


class _Child:
    """One worker process and the frames exchanged with it."""

    def __init__(self, extra_env: dict[str, str] | None = None) -> None:
        global _cleaned
        if not _cleaned:  # once per process: what earlier, killed runs left behind
            _cleaned = True
            remove_stale_workdirs()
        self.workdir = tempfile.mkdtemp(prefix=f"{WORKDIR_PREFIX}{os.getpid()}-")
        env = {"RUST_BACKTRACE": "0", "RUST_LIB_BACKTRACE": "0", "LC_ALL": "C.UTF-8"}
        env.update(extra_env or {})
        self.proc = subprocess.Popen(
            [sys.executable, "-I", str(_WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=self.workdir,
            close_fds=True,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.fd_in = self.proc.stdin.fileno()
        self.fd_out = self.proc.stdout.fileno()
        self._finalizer = weakref.finalize(self, _stop, self.proc, self.workdir)

    def close(self) -> None:
        self._finalizer()

    def request(self, message: dict[str, Any], limits: Limits, context: str) -> dict[str, Any]:
        """Send one request and wait for its answer within `limits`; kill the child if not."""
        try:
            _worker.write_frame(self.fd_in, message)
        except (BrokenPipeError, OSError):
            self.close()
            raise PolicyLimitError(
                CRASH_MSG.format(context=context, how="its pipe closed"), reason="crash"
            ) from None
        deadline = time.monotonic() + limits.timeout_s
        while True:
            ready, _, _ = select.select([self.fd_out], [], [], _POLL_S)
            if ready:
                try:
                    answer: dict[str, Any] = _worker.read_frame(self.fd_out)
                    return answer
                except (EOFError, ValueError):
                    code = self.proc.wait()
                    self.close()
                    how = f"signal {-code}" if code < 0 else f"exit status {code}"
                    raise PolicyLimitError(
                        CRASH_MSG.format(context=context, how=how), reason="crash"
                    ) from None
            rss = _rss_mb(self.proc.pid)
            if rss > limits.memory_mb:
                self.close()
                raise PolicyLimitError(
                    OOM_MSG.format(context=context, rss=rss, limit=limits.memory_mb),
                    reason="oom",
                )
            if time.monotonic() > deadline:
                self.close()
                raise PolicyLimitError(
                    TIMEOUT_MSG.format(context=context, limit=limits.timeout_s),
                    reason="timeout",
                )


class SandboxEngine:
    """An engine in a killable child process; same surface as RegorusEngine.

    `engine="opa"` evaluates with real OPA compiled in-process in the child (the package
    opa-golib-python-bindings, see `_opa.py`); regorus still reads the bundle's AST there.
    """

    def __init__(
        self,
        modules: tuple[tuple[str, str], ...],
        data: dict[str, Any],
        *,
        limits: Limits | None = None,
        coverage: bool = False,
        deny: Sequence[tuple[str, int, str]] = (),
        engine: str = ENGINE_NAME,
    ) -> None:
        self.name = engine
        self.limits = limits or Limits()
        # Go's collector (OPA): a quarter as often as by default (measured: -30% CPU), and
        # harder as its heap nears half the memory cap (regorus, which reads the AST, and
        # Python share the rest), so garbage waiting to be collected does not reach the cap.
        soft = self.limits.memory_mb // 2
        self.child_env = (
            {"GOGC": "400", "GOMEMLIMIT": f"{soft}MiB"} if engine != ENGINE_NAME else {}
        )
        self._sources = {path: source for path, source in modules}
        self._load = {
            "op": "load",
            "modules": [list(m) for m in modules],
            "data": json.dumps(data),
            "coverage": coverage,
            "deny": [list(d) for d in deny],
            "engine": engine,
            "opa_check": True,
        }
        self._child: _Child | None = None
        self._extra: list[_Child] = []  # pool children (evaluate_many with workers > 1)
        answer = self._start()
        self.packages: set[str] = set(answer["packages"])
        self.info: BundleInfo = analyse(answer["ast"])
        # raised by PreparedPolicies after the capability check (refused builtins first)
        self.deferred_error: PolicyLoadError | None = None
        if answer.get("opa_error"):
            err = self.locate(answer["opa_error"], PolicyLoadError, "compile policy")
            assert isinstance(err, PolicyLoadError)
            self.deferred_error = err

    def _start(self) -> dict[str, Any]:
        child = _Child(self.child_env)
        answer = child.request(self._load, self.limits, "compile policy")
        if not answer["ok"]:
            child.close()
            raise self.locate(answer["error"], PolicyLoadError, "compile policy")
        self._child = child
        return answer

    @property
    def version(self) -> str:
        """Engine version string."""
        if self.name == ENGINE_NAME:
            return engine_version()
        from govern.policy._opa import bindings_version

        return bindings_version()

    def locate(
        self, text: str, cls: type[PolicyLoadError] | type[PolicyEvalError], context: str
    ) -> PolicyLoadError | PolicyEvalError:
        """The engine's error text as a located error (file:line:col where known)."""
        if not text.startswith("opa: "):
            return located(text, cls, context)
        from govern.policy._opa import opa_located

        return opa_located(text, cls, context, self._sources)

    @property
    def load_request(self) -> dict[str, Any]:
        """The request that compiles this bundle in a child (for pool children)."""
        return self._load

    def set_variants(self, variants: dict[str, tuple[tuple[str, str], ...]]) -> None:
        """Per-stage copies of the bundle (policy/_index.py), for every child now and later."""
        self._load["variants"] = {k: [list(m) for m in v] for k, v in variants.items()}
        for child in (self._child, *self._extra):
            if child is not None and child.proc.poll() is None:
                message = {"op": "variants", "variants": self._load["variants"]}
                answer = child.request(message, self.limits, "compile policy")
                if not answer["ok"]:
                    raise located(answer["error"], PolicyLoadError, "compile policy")

    def child(self) -> _Child:
        """The main child, restarted if a limit killed it."""
        if self._child is None or self._child.proc.poll() is not None:
            self._start()
        assert self._child is not None
        return self._child

    def adopt(self, child: _Child) -> _Child:
        """Keep an extra child for evaluate_many; it is stopped by close()."""
        self._extra.append(child)
        return child

    def live_extras(self) -> list[_Child]:
        """Extra children still running (their bundle is compiled)."""
        self._extra = [c for c in self._extra if c.proc.poll() is None]
        return list(self._extra)

    def evaluate_json_many(
        self,
        jobs: list[tuple[str, str, str | None]],
        *,
        workers: int = 1,
        feed: Callable[[], bool] | None = None,
        expected: int | None = None,
        on_result: Callable[[int, Any], None] | None = None,
        idle: Callable[[], bool] | None = None,
    ) -> list[Any]:
        """Value or PolicyEvalError per (input_json, query, variant), over `workers` children.

        `feed` appends more jobs while the children evaluate, `on_result` hears each value
        as it arrives and `idle` works on them meanwhile (policy/_pool.py). Raises
        LimitReached naming the job that reached a limit.
        """
        from govern.policy._pool import evaluate_many

        return evaluate_many(
            self,
            jobs,
            workers=workers,
            feed=feed,
            expected=expected,
            on_result=on_result,
            idle=idle,
        )

    def evaluate_json(self, input_json: str, query: str, variant: str | None = None) -> Any:
        """Value of `query` (on a per-stage variant, if named); a killed child restarts."""
        if self._child is None or self._child.proc.poll() is not None:
            self._start()
        assert self._child is not None
        context = f"evaluate {query}"
        try:
            answer = self._child.request(
                {"op": "eval", "input": input_json, "query": query, "variant": variant},
                self.limits,
                context,
            )
        except PolicyLimitError:
            self._child = None
            raise
        if not answer["ok"]:
            raise self.locate(answer["error"], PolicyEvalError, context)
        return first_value(answer["result"], query)

    def evaluate(self, input_doc: dict[str, Any], query: str) -> Any:
        """Value of `query` for `input_doc` (NaN/inf refused)."""
        try:
            text = json.dumps(input_doc, allow_nan=False)
        except ValueError as exc:
            raise PolicyEvalError(f"policy input is not valid JSON: {exc}") from exc
        return self.evaluate_json(text, query)

    def coverage_json(self) -> str:
        """Coverage report of the current child (JSON text)."""
        if self._child is None:
            raise PolicyEvalError("coverage: the policy engine process is not running")
        answer = self._child.request({"op": "coverage"}, self.limits, "coverage report")
        return str(answer["report"])

    def close(self) -> None:
        """Stop the child process."""
        if self._child is not None:
            self._child.close()
            self._child = None
        for child in self._extra:
            child.close()
        self._extra = []
