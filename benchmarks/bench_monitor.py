"""`govern monitor --all` over N production models with one new log file each.

    .venv/bin/python benchmarks/bench_monitor.py --models 1000 --rows 2000 --dir /tmp/gm

Set-up (not timed): N copies of the sample credit-risk card in production, each with its own
`monitoring.source` folder, a baseline each, one log file each, and a first monitor run.
Then one new log file per model (every 10th drifted, so events are raised) and the timed
run: models/s and the share of time in scanning, evaluating, recording (decision, states,
events in one transaction), delivering (a JSON-lines sink) and the rest (the monitor's own
loop: targets, comparing states). Printed as one JSON object.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from govern._bundled import MODEL_CARDS, POLICIES
from govern.alerts import SinkConfig
from govern.cards import load_card
from govern.clock import utcnow
from govern.lifecycle import ModelRef
from govern.policy import load
from govern.runner.baseline import baseline as build_baseline
from govern.runner.demo import _MODELS, DEMO_IMPORT, SEED, _table, cards_as_of
from govern.runner.lifecycle import approve
from govern.runner.monitor import MonitorRun, deliver, monitor
from govern.store import Store
from govern.store.registry import upsert_card


def setup(root: Path, models: int, rows: int) -> tuple[Path, list[str]]:
    """Registry with `models` production versions, baselined, one log file each."""
    if root.exists():
        shutil.rmtree(root)
    cards = cards_as_of(MODEL_CARDS, root / "sample", utcnow().date())
    text = (cards / "credit-risk.yaml").read_text(encoding="utf-8")
    text = text.replace("\nstage: deployment\n", "\nstage: production\n")
    _, features, _ = _MODELS["credit-risk"]
    rng = np.random.default_rng([SEED, 7])
    base = root / "baseline.parquet"
    pq.write_table(_table(rng, features, {}), base)
    db = root / "g.duckdb"
    names = []
    with Store.open(db, create=True) as store:
        for i in range(models):
            name = f"m{i:04d}"
            logs = root / "logs" / name
            logs.mkdir(parents=True)
            card = root / "models" / f"{name}.yaml"
            card.parent.mkdir(exist_ok=True)
            body = text.replace("name: credit-risk", f"name: {name}").replace(
                "  frequency_days: 30\n", f"  frequency_days: 30\n  source: {logs}\n"
            )
            card.write_text(body, encoding="utf-8")
            upsert_card(store, load_card(card), import_reason=DEMO_IMPORT)
            approve(store, ModelRef(name, "3"), stage="deployment", role="committee", by="mrc")
            build_baseline(store, ModelRef(name, "3"), data=[base])
            write_log(logs / "day1.parquet", rows, i, drift=False)
            names.append(name)
    return db, names


def write_log(path: Path, rows: int, seed: int, *, drift: bool) -> None:
    _, features, _ = _MODELS["credit-risk"]
    rng = np.random.default_rng([SEED, 1000 + seed])
    table = _table(rng, features, {"income": 0.5} if drift else {})
    pq.write_table(table.slice(0, rows), path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", type=int, default=200)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/govern-bench-monitor"))
    args = parser.parse_args()
    db, names = setup(args.dir, args.models, args.rows)
    sink = SinkConfig("log", "jsonl", {"path": str(args.dir / "events.jsonl")})
    prepared = load(POLICIES)
    try:
        with Store.open(db) as store:
            monitor(store, prepared)  # first run: states recorded
            deliver(store, [sink])
            for i, name in enumerate(names):
                write_log(
                    args.dir / "logs" / name / "day2.parquet",
                    args.rows,
                    10**6 + i,
                    drift=i % 10 == 0,
                )
            start = time.perf_counter()
            run = monitor(store, prepared, result=MonitorRun())
            t0 = time.perf_counter()
            run.deliveries = deliver(store, [sink])
            run.timings.deliver = time.perf_counter() - t0
            total = time.perf_counter() - start
    finally:
        prepared.close()
    t = run.timings
    rest = total - t.scan - t.evaluate - t.decision - t.record - t.deliver
    events = sum(len(r.events) for r in run.runs)
    print(
        json.dumps(
            {
                "models": len(run.runs),
                "rows_per_file": args.rows,
                "events": events,
                "delivered": sum(d.delivered for d in run.deliveries),
                "seconds": round(total, 2),
                "models_per_s": round(len(run.runs) / total, 1),
                "monitor_overhead": round((t.record + rest) / total, 3),
                "share": {
                    k: round(v / total, 3)
                    for k, v in (
                        ("scan", t.scan),
                        ("evaluate", t.evaluate),
                        ("record_decision", t.decision),
                        ("states_events", t.record),
                        ("deliver", t.deliver),
                        ("monitor_loop", rest),
                    )
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
