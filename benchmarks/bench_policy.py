"""Decisions per second for `check --all` (prepare once) vs re-loading the bundle per model.

Run: .venv/bin/python benchmarks/bench_policy.py [--models 1000] [--policies policies]

Registers N generated model versions (spread over the six stages and several regulatory
scopes) in a fresh DuckDB file, then times:
  check-all/sandbox      check_all(): build inputs, evaluate in the sandbox, record decisions
  check-all/in-process   the same with the in-process engine (no limits)
  decide-only/sandbox    evaluation alone, inputs built beforehand
  reload-per-model/*     load(policies) + decide for each model (on a sample of models)
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from govern.cards import load_card
from govern.lifecycle import STAGES
from govern.policy import EngineOptions, load
from govern.runner.check import build_input, check_all, target_stage
from govern.store import Store
from govern.store.registry import list_versions, upsert_card

REPO = Path(__file__).resolve().parents[1]
SCOPES = [["us_sr26_2"], ["us_sr26_2", "ecoa_reg_b"], ["eu_ai_act"], ["nyc_ll144"], []]

CARD = """name: model-{i:04d}
version: "1"
owner: team-{i}@example.com
risk_tier: {tier}
use_case: generated use case {i}
regulatory_scope: {scope}
stage: {stage}
lineage:
  training_data: s3://bench/{i}.parquet
monitoring:
  features: [a, b, c]
"""


def _register(db: Path, cards: Path, n: int) -> None:
    cards.mkdir(parents=True, exist_ok=True)
    with Store.open(db, create=True) as store:
        for i in range(n):
            stage = STAGES[i % (len(STAGES) - 1)]  # retired models are not re-checked often
            p = cards / f"model-{i:04d}.yaml"
            p.write_text(
                CARD.format(i=i, tier=1 + i % 3, scope=SCOPES[i % len(SCOPES)], stage=stage)
            )
            upsert_card(store, load_card(p))


def _rate(label: str, n: int, seconds: float) -> float:
    rate = n / seconds
    print(f"{label:<28} {n:>6} decisions in {seconds:7.3f} s  {rate:9.0f} decisions/s")
    return rate


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", type=int, default=1000)
    ap.add_argument("--reload-sample", type=int, default=100)
    ap.add_argument("--policies", type=Path, default=REPO / "policies")
    args = ap.parse_args()
    print(f"cpus: {os.cpu_count()} (other jobs may share them); policies: {args.policies}")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        _register(db, Path(tmp) / "cards", args.models)
        rates = {}
        for label, sandbox in (("check-all/sandbox", True), ("check-all/in-process", False)):
            options = EngineOptions(sandbox=sandbox)
            with load(args.policies, options=options) as prepared, Store.open(db) as store:
                start = time.perf_counter()
                outcomes = check_all(store, prepared)
                elapsed = time.perf_counter() - start
            errors = [o for o in outcomes if o.error]
            if errors:
                print(f"  {len(errors)} errors, first: {errors[0].error}")
            rates[label] = _rate(label, len(outcomes), elapsed)

        with Store.open(db) as store:
            rows = list_versions(store)
            jobs = []
            for r in rows:
                stage = target_stage(str(r["stage"]))
                doc = build_input(store, r["name"], r["version"], stage, now="2026-11-23T00:00:00Z")
                jobs.append((r["name"], r["version"], stage, doc))
        with load(args.policies) as prepared:
            start = time.perf_counter()
            for name, version, stage, doc in jobs:
                prepared.decide(doc, model=name, version=version, stage=stage)
            rates["decide-only/sandbox"] = _rate(
                "decide-only/sandbox", len(jobs), time.perf_counter() - start
            )

        sample = jobs[: args.reload_sample]
        for label, sandbox in (
            ("reload-per-model/sandbox", True),
            ("reload-per-model/in-process", False),
        ):
            start = time.perf_counter()
            for name, version, stage, doc in sample:
                with load(args.policies, options=EngineOptions(sandbox=sandbox)) as prepared:
                    prepared.decide(doc, model=name, version=version, stage=stage)
            rates[label] = _rate(label, len(sample), time.perf_counter() - start)

        print(
            "prepare-once speed-up (sandbox): "
            f"{rates['check-all/sandbox'] / rates['reload-per-model/sandbox']:.0f}x; "
            "(in-process): "
            f"{rates['check-all/in-process'] / rates['reload-per-model/in-process']:.0f}x; "
            f"sandbox overhead on check --all: "
            f"{100 * (1 - rates['check-all/sandbox'] / rates['check-all/in-process']):.0f}%"
        )


if __name__ == "__main__":
    main()
