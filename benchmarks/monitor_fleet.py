"""`govern monitor --all` over a fleet: a first run, then a run with no new data.

    .venv/bin/python benchmarks/monitor_fleet.py --models 1000 --rows 500 --dir /tmp/gm-fleet

Set-up (not timed): N generated cards (copies of the sample credit-risk card under other
names, in production, each with its own `monitoring.source` folder), a baseline each, and
one small log file each; every `--drift-every`-th model's file is drifted into the PSI deny
band, so those models raise events (gate_denied and retraining_required).

Timed, each as the real command in its own process (interpreter start, policy load and
all): `govern monitor --all --sinks FILE` with one JSON-lines file sink,

1. the first run: every file is new;
2. a second run with no new data: the incremental scan reuses every stored file state
   (files_read must be 0) and no state changes, so no event is raised.

Per run: seconds, seconds per model, events raised, lines delivered, files read and reused
(from the scans' own provenance). Printed as one JSON object. The machine's load average
is printed too: on a shared machine the seconds move with it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow.parquet as pq

from govern._bundled import MODEL_CARDS
from govern.cards import load_card
from govern.clock import utcnow
from govern.lifecycle import ModelRef
from govern.runner.baseline import baseline as build_baseline
from govern.runner.demo import _MODELS, DEMO_IMPORT, SEED, _table, cards_as_of
from govern.runner.lifecycle import approve
from govern.store import Store
from govern.store.registry import upsert_card

GOVERN = [sys.executable, "-c", "from govern.cli import run; run()"]


def setup(root: Path, models: int, rows: int, drift_every: int) -> Path:
    """The registry: `models` production versions, baselined, one log file each."""
    if root.exists():
        shutil.rmtree(root)
    cards = cards_as_of(MODEL_CARDS, root / "sample", utcnow().date())
    text = (cards / "credit-risk.yaml").read_text(encoding="utf-8")
    text = text.replace("\nstage: deployment\n", "\nstage: production\n")
    _, features, _ = _MODELS["credit-risk"]
    base = root / "baseline.parquet"
    pq.write_table(_table(np.random.default_rng([SEED, 7]), features, {}), base)
    db = root / "g.duckdb"
    (root / "models").mkdir()
    with Store.open(db, create=True) as store:
        for i in range(models):
            name = f"fleet-{i:04d}"
            logs = root / "logs" / name
            logs.mkdir(parents=True)
            body = text.replace("name: credit-risk", f"name: {name}").replace(
                "  frequency_days: 30\n", f"  frequency_days: 30\n  source: {logs}\n"
            )
            card = root / "models" / f"{name}.yaml"
            card.write_text(body, encoding="utf-8")
            upsert_card(store, load_card(card), import_reason=DEMO_IMPORT)
            approve(store, ModelRef(name, "3"), stage="deployment", role="committee", by="mrc")
            build_baseline(store, ModelRef(name, "3"), data=[base])
            rng = np.random.default_rng([SEED, 1000 + i])
            shift = {"income": 0.5} if i % drift_every == 0 else {}
            pq.write_table(_table(rng, features, shift).slice(0, rows), logs / "day1.parquet")
    return db


def _counts(db: Path, since: Any) -> dict[str, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        events, read, reused, scans = con.execute(
            """SELECT (SELECT count(*) FROM events WHERE created_at >= ?),
                      coalesce(sum(CAST(params->>'$.files_read' AS BIGINT)), 0),
                      coalesce(sum(CAST(params->>'$.files_reused' AS BIGINT)), 0),
                      count(*)
               FROM scans WHERE started_at >= ?""",
            [since, since],
        ).fetchall()[0]
    finally:
        con.close()
    return {"events": events, "files_read": read, "files_reused": reused, "scans": scans}


def timed_run(db: Path, sinks: Path, log: Path, models: int) -> dict[str, Any]:
    """One `govern monitor --all` process; its wall time and what it did."""
    before = log.read_text(encoding="utf-8").count("\n") if log.exists() else 0
    since = utcnow()
    start = time.perf_counter()
    done = subprocess.run(
        [*GOVERN, "--db", str(db), "monitor", "--all", "--sinks", str(sinks), "--backoff", "0"],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"govern monitor exited {done.returncode}: {done.stderr[-2000:]}")
    after = log.read_text(encoding="utf-8").count("\n") if log.exists() else 0
    return {
        "seconds": round(seconds, 2),
        "seconds_per_model": round(seconds / models, 4),
        "models_per_s": round(models / seconds, 1),
        **_counts(db, since),
        "delivered_lines": after - before,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--drift-every", type=int, default=10)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/govern-bench-fleet"))
    args = parser.parse_args()
    t0 = time.perf_counter()
    db = setup(args.dir, args.models, args.rows, args.drift_every)
    setup_s = time.perf_counter() - t0
    log = args.dir / "events.jsonl"
    sinks = args.dir / "govern-sinks.yaml"
    sinks.write_text(f"sinks:\n  - name: log\n    type: jsonl\n    path: {log}\n", "utf-8")
    first = timed_run(db, sinks, log, args.models)
    second = timed_run(db, sinks, log, args.models)
    drifting = len(range(0, args.models, args.drift_every))
    print(
        json.dumps(
            {
                "models": args.models,
                "rows_per_file": args.rows,
                "drifting_models": drifting,
                "setup_seconds": round(setup_s, 1),
                "load_average": [round(x, 2) for x in os.getloadavg()],
                "first_run": first,
                "no_new_data": second,
            },
            indent=2,
        )
    )
    if second["files_read"] or second["events"]:
        raise SystemExit("the run with no new data read files or raised events")


if __name__ == "__main__":
    main()
