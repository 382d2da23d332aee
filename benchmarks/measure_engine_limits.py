"""What regorus does, alone and unsandboxed, with the malformed corpus and blow-up inputs.

Run: .venv/bin/python benchmarks/measure_engine_limits.py [--kill-after 30]

Each case runs in its own `python -c` process (a case may hang or SIGSEGV) under a
wall-clock kill, and prints: outcome, seconds, peak RSS. Three groups:
  corpus   tests/policy/corpus/*.rego: add_policy, then eval_query_as_json("data")
  nesting  `x := [[...N...]]` for N = 10..20: compile time per depth (exponential parser)
  chain    `r_i := r_{i-1} + 1`, N rules, query a rule depending on the last one
  memory   the shipped library in one sandbox worker: RSS after 300/1,300/2,300/3,300
           decisions (RELIABILITY.md C10)
Figures are recorded in docs/policy-engine.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from govern.cards import load_card
from govern.policy import load
from govern.runner.check import card_input

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "policy" / "corpus"

PROBE = r"""
import json, resource, sys, time
import regorus
path, query = sys.argv[1], sys.argv[2]
raw = open(path, "rb").read()
t = time.monotonic()
try:
    src = raw.decode("utf-8")
except UnicodeDecodeError as exc:
    out = "not utf-8: " + exc.reason
else:
    e = regorus.Engine()
    try:
        e.add_policy(path, src)
    except RuntimeError as exc:
        lines = [ln for ln in str(exc).splitlines() if ln.strip()]
        out = "load error " + " / ".join(lines[:1] + [ln for ln in lines if "error:" in ln][:1])
    else:
        try:
            e.eval_query_as_json(query)
            out = "evaluated"
        except RuntimeError as exc:
            out = "eval error " + str(exc).strip().splitlines()[0]
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(json.dumps({"outcome": out[:160], "s": round(time.monotonic() - t, 2), "rss_mb": rss}))
"""


def probe(path: Path, query: str, kill_after: float) -> dict[str, object]:
    """Run one case in a fresh interpreter; a hang or a signal is an outcome too."""
    try:
        proc = subprocess.run(
            [sys.executable, "-c", PROBE, str(path), query],
            capture_output=True,
            text=True,
            timeout=kill_after,
        )
    except subprocess.TimeoutExpired:
        return {"outcome": f"no answer after {kill_after:g} s (killed)"}
    if proc.returncode < 0:
        return {"outcome": f"killed by signal {-proc.returncode}"}
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def memory() -> None:
    """Worker RSS over 3,300 decisions of the shipped library (new input each time)."""
    page = os.sysconf("SC_PAGE_SIZE")
    card = load_card(REPO / "data" / "models" / "credit-risk.yaml")
    with load(REPO / "policies") as prepared:
        pid = prepared.engine._child.proc.pid  # type: ignore[attr-defined]

        def rss() -> float:
            return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page / 2**20

        print("memory  after load", f"{rss():.1f} MiB")
        start = time.monotonic()
        for i in range(3300):
            doc = card_input(card, "production", {}, now="2026-11-23T12:00:00Z")
            doc["model"]["owner"] = f"owner-{i}@example.com"
            prepared.decide(doc, model=card.name, version=card.version, stage="production")
            if (i + 1) % 1000 == 300:
                took = time.monotonic() - start
                print("memory ", i + 1, f"{rss():.1f} MiB", f"{(i + 1) / took:.0f} decisions/s")


def main() -> None:
    """Print one line per case."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kill-after", type=float, default=30.0)
    args = parser.parse_args()
    tmp = Path(sys.argv[0]).resolve().parent / ".measure-tmp"
    tmp.mkdir(exist_ok=True)
    for path in sorted(CORPUS.glob("*.rego")):
        print("corpus ", path.name, probe(path, "data", args.kill_after))
    for depth in range(10, 21, 2):
        case = tmp / f"nest{depth}.rego"
        case.write_text("package p\n\nx := " + "[" * depth + "1" + "]" * depth + "\n")
        print("nesting", depth, probe(case, "data.p.x", args.kill_after))
    for n in (1000, 2000, 4000, 6000):
        case = tmp / f"chain{n}.rego"
        rules = [f"r{i} := r{i - 1} + 1" for i in range(1, n)]
        case.write_text("\n".join(["package p", "r0 := 1", *rules, f"top if r{n - 1} > 0"]))
        print("chain  ", n, probe(case, "data.p.top", args.kill_after))
    for p in tmp.iterdir():
        p.unlink()
    tmp.rmdir()
    memory()


if __name__ == "__main__":
    main()
