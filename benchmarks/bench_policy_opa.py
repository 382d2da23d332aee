"""`govern check --all` against real OPA, single-threaded, on the very same recorded inputs.

Run: .venv/bin/python benchmarks/bench_policy_opa.py [--models 1000] [--rounds 5]

Needs the in-process OPA bindings (OPA v1.20.2 compiled Go, through ctypes):
    .venv/bin/pip install --ignore-requires-python opa-golib-python-bindings==0.4.4
(the wheel's metadata asks for Python 3.14; it runs on 3.11).

Registers N generated versions (bench_policy.register: six stages, five scope mixes, drift
scans and approvals), runs `check_all` once to record the decisions, and reads back the
exact input documents stored with them (their input hashes are checked). Then, in each
round, in the same process and on the same inputs:

  govern check --all   check_all(): build the inputs from the registry, decide them over
                       two sandbox workers (the default), record decisions and audit chain
  govern decide        decide_many on the recorded inputs (two sandbox workers)
  govern decide/1      the same with one sandbox worker
  opa                  one OPA engine, one thread: for each recorded input, the same query
                       govern asks (every deny/warn of the gate and the applicable packs),
                       `eval_query("x := " + query, input)`; the library's modules
                       without test files and its data document at `data.govern`

Rounds alternate the methods (rep-major), so each round's ratios compare runs made
seconds apart on a shared machine; the median and the range over rounds are printed.
Each method also reports CPU ms a decision, summed over this process and the sandbox
children (for OPA: this process, Go runtime threads included). CPU time moves far less
than wall time when other jobs share the cores. The CPU ceiling is what the CPU a
decision allows on this machine's cores if nothing ever waited: for govern
1 / max(parent CPU, children CPU / workers, all CPU / cores) (the parent builds inputs,
turns answers into decisions and prepares their rows while its children evaluate, so
all of it can overlap), 1 / CPU for OPA on one thread. It is a
bound, printed as such, not a measurement.
It also counts the inputs on which OPA's violations differ from govern's (parity is
tests/policy's business; the count says whether the two did the same work).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_policy import NOW, _children_cpu, register  # noqa: E402

from govern.policy import DecideItem, EngineOptions, input_hash, load  # noqa: E402
from govern.results import Decision  # noqa: E402
from govern.runner.check import check_all  # noqa: E402
from govern.store import Store  # noqa: E402
from govern.store.decisions import get_decision  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
INSTALL = "pip install --ignore-requires-python opa-golib-python-bindings==0.4.4"


def _opa_engine(prepared: Any) -> Any:
    try:
        from opa_bindings import OpaEngine
    except ImportError:
        sys.exit(f"the OPA bindings are not installed: .venv/bin/{INSTALL}")
    engine = OpaEngine()
    for path, source in prepared.bundle.modules:
        if not path.endswith("_test.rego"):
            engine.add_policy(path, source)
    engine.add_data(prepared.bundle.data)
    return engine


def _violations(values: list[Any]) -> list[tuple[str, str]]:
    out = []
    for value in values:
        for v in value:
            out.append((v["control"], v["msg"]) if isinstance(v, dict) else ("", str(v)))
    return sorted(out)


def _recorded(store: Store, decided: list[Any]) -> list[DecideItem]:
    items = []
    for o in decided:
        assert o.decision is not None, o.error
        row = get_decision(store, o.decision.decision_id)
        assert row is not None
        doc = row["input"]
        assert input_hash(doc) == o.decision.input_hash, "stored input differs"
        items.append(DecideItem(doc, o.model, o.version, o.stage))
    return items


def _load() -> float:
    return os.getloadavg()[0]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--policies", type=Path, default=REPO / "policies")
    args = ap.parse_args()
    print(f"cpus: {os.cpu_count()}; load average {_load():.2f}; models: {args.models}")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        register(db, Path(tmp) / "cards", args.models)
        start = time.perf_counter()
        loaded = load(args.policies, options=EngineOptions())
        print(
            f"fixed cost, once per command: load the bundle (sandbox child, compile, syntax "
            f"tree, OPA whole-bundle check) {time.perf_counter() - start:.2f} s"
        )
        with (
            loaded as prepared,
            load(args.policies, options=EngineOptions()) as prepared1,
            Store.open(db) as store,
        ):
            first = check_all(store, prepared, now=NOW)
            items = _recorded(store, first)
            opa = _opa_engine(prepared)
            queries = []
            for item in items:
                scopes = item.input_doc["model"].get("regulatory_scope") or []
                query = prepared._query(prepared.packages_for(item.stage, scopes))
                text = query[0] if isinstance(query, tuple) else query.text  # older govern
                queries.append(f"x := {text}")  # a binding carries the value back
            rates: dict[str, list[float]] = {}
            cpus: dict[str, list[tuple[float, float]]] = {}

            def cpu() -> tuple[float, float]:  # (this process, sandbox children)
                return time.process_time(), _children_cpu(prepared) + _children_cpu(prepared1)

            def spent(c0: tuple[float, float]) -> tuple[float, float]:
                c1 = cpu()
                return c1[0] - c0[0], c1[1] - c0[1]

            differ = errors = 0
            for r in range(args.rounds):
                load_avg = _load()
                row: dict[str, float] = {}
                used: dict[str, tuple[float, float]] = {}

                start, c0 = time.perf_counter(), cpu()
                outcomes = check_all(store, prepared, now=NOW)
                row["govern check --all"] = len(outcomes) / (time.perf_counter() - start)
                used["govern check --all"] = spent(c0)

                start, c0 = time.perf_counter(), cpu()
                decided = prepared.decide_many(items, workers=2)
                row["govern decide"] = len(items) / (time.perf_counter() - start)
                used["govern decide"] = spent(c0)

                start, c0 = time.perf_counter(), cpu()
                prepared1.decide_many(items, workers=1)
                row["govern decide/1"] = len(items) / (time.perf_counter() - start)
                used["govern decide/1"] = spent(c0)

                opa_values: list[Any] = []
                start, c0 = time.perf_counter(), cpu()
                for item, query in zip(items, queries, strict=True):
                    try:
                        opa_values.append(opa.eval_query(query, item.input_doc))
                    except Exception as exc:  # an OPA runtime error is still a decision made
                        opa_values.append(exc)
                row["opa (1 thread)"] = len(items) / (time.perf_counter() - start)
                used["opa (1 thread)"] = spent(c0)

                if r == 0:
                    for d, value in zip(decided, opa_values, strict=True):
                        if not isinstance(d, Decision) or isinstance(value, Exception):
                            errors += 1
                            continue
                        ours = sorted((v.control, v.msg) for v in d.violations)
                        theirs = _violations(value[0]["x"]) if value else []
                        differ += ours != theirs
                for k, v in row.items():
                    rates.setdefault(k, []).append(v)
                    cpus.setdefault(k, []).append(used[k])
                ratio = row["govern check --all"] / row["opa (1 thread)"]
                print(
                    f"round {r + 1} (load {load_avg:.2f}): "
                    + ", ".join(f"{k} {v:,.0f}/s" for k, v in row.items())
                    + f"; check --all / opa = {ratio:.2f}x"
                )
            print(f"\n{len(items)} recorded inputs; rounds: {args.rounds}; load now {_load():.2f}")
            print(
                f"{'method':<20} {'median/s':>10} {'min/s':>8} {'max/s':>8} {'x opa':>6} "
                f"{'CPU ms':>7} {'parent':>7} {'CPU ceiling/s':>14}"
            )
            opa_median = statistics.median(rates["opa (1 thread)"])
            for k, v in rates.items():
                med = statistics.median(v)
                parent = statistics.median(p for p, _ in cpus[k]) / len(items)
                children = statistics.median(c for _, c in cpus[k]) / len(items)
                # OPA: one thread. govern: the parent overlaps its children, who share
                # `workers` processes, on every core
                if k == "opa (1 thread)":
                    projected = 1 / (parent + children)
                else:
                    cores = os.cpu_count() or 1
                    workers = 1 if k == "govern decide/1" else 2
                    projected = 1 / max(parent, children / workers, (parent + children) / cores)
                print(
                    f"{k:<20} {med:>10,.0f} {min(v):>8,.0f} {max(v):>8,.0f} "
                    f"{med / opa_median:>6.2f} {1000 * (parent + children):>7.2f} "
                    f"{1000 * parent:>7.2f} {projected:>14,.0f}"
                )
            per_round = [
                g / o
                for g, o in zip(rates["govern check --all"], rates["opa (1 thread)"], strict=True)
            ]
            print(
                f"check --all / opa per round: min {min(per_round):.2f}x, "
                f"median {statistics.median(per_round):.2f}x, max {max(per_round):.2f}x"
            )
            print(
                f"inputs where OPA's violations differ from govern's: {differ}; "
                f"errors on either side: {errors}"
            )
            opa.close()


if __name__ == "__main__":
    main()
