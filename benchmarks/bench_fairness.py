"""Fairness + performance + latency quantiles in one pass: govern vs fairlearn vs polars.

    .venv/bin/python benchmarks/bench_fairness.py --rows 10000000 --dir /tmp/govern-bench

Generates a seeded parquet log (1M-row row groups, zstd) if missing, then runs each method in
a fresh subprocess and prints wall time, peak RSS (VmHWM of the child) and ratios to govern.
"drift" is the product's scan engine (`scan_files`) with the DriftAccumulator alone over the
10 features + score against a reference profile built by `build_profiles`; "drift+fair" the
same call with the card's fairness/performance/operational accumulators added.
See benchmarks/README-fairness.md.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

SEED = 20240611
CHUNK = 1_000_000
GROUPS = np.array(["A", "B", "C", "D"])
FEATURES = [f"f{i}" for i in range(10)]
BASELINE_ROWS = 1_000_000
CARD: dict[str, Any] = {
    "monitoring": {
        "features": FEATURES,
        "prediction": "score",
        "label": "label",
        "protected": ["group"],
        "latency": "latency_ms",
    }
}
METHODS = ("govern", "fairlearn", "polars", "drift", "drift+fair")


def generate(path: Path, rows: int, *, seed: int = SEED) -> None:
    """Deterministic log: each chunk from default_rng([seed, chunk])."""
    writer = None
    for c, start in enumerate(range(0, rows, CHUNK)):
        n = min(CHUNK, rows - start)
        rng = np.random.default_rng([seed, c])
        g = rng.integers(0, 4, n)
        label = (rng.random(n) < 0.2 + 0.05 * g).astype(np.int8)
        score = np.clip(0.3 * label + 0.6 * rng.random(n) + 0.03 * g, 0, 1)
        cols: dict[str, Any] = {f: rng.normal(0, 1, n) for f in FEATURES}
        cols.update(
            score=score,
            label=pa.array(label, mask=rng.random(n) < 0.1),
            group=pa.array(GROUPS[g]),
            latency_ms=rng.lognormal(3, 0.7, n),
        )
        table = pa.table(cols)
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema, compression="zstd")
        writer.write_table(table, row_group_size=CHUNK)
    if writer is not None:
        writer.close()


def baseline_profiles(path: Path) -> Path:
    """The drift reference of the 10 features + score, cached as JSON next to the data.

    Built by the product's baseline code (`build_profiles`, decile bins) from a separate
    seeded file of min(rows, 1M) rows written next to the data; never inside a timed run.
    """
    from govern.runner.baseline import build_profiles

    cached = path.with_suffix(".profile.json")
    if cached.exists():
        return cached
    rows = min(pq.ParquetFile(path).metadata.num_rows, BASELINE_ROWS)
    ref = path.parent / f"baseline_{SEED + 1}_{rows}.parquet"
    if not ref.exists():
        generate(ref, rows, seed=SEED + 1)
    profiles, _ = build_profiles([ref], CARD)
    tmp = cached.with_suffix(".tmp")
    tmp.write_text(json.dumps(profiles.to_dict()))
    tmp.replace(cached)
    return cached


def _govern(path: Path, profiles: Any, *, drift: bool, fair: bool) -> dict[str, Any]:
    """The product's scan engine, as `govern scan` calls it (threads, dictionary columns)."""
    from govern.metrics import DriftAccumulator, accumulators_from_card, check_schema
    from govern.metrics._monitoring import parse_monitoring
    from govern.runner._engine import DEFAULT_THREADS, scan_files
    from govern.runner.scan import dictionary_columns

    extras = accumulators_from_card(CARD) if fair else []
    accs, expected, dictionary = list(extras), {}, []
    cfg = parse_monitoring(CARD) if fair else None
    if drift:
        d = DriftAccumulator(profiles)
        accs.insert(0, d)
        expected = {p.name: p.dtype for p in profiles.columns}
        dictionary = dictionary_columns(d, cfg)
    elif cfg is not None:  # what dictionary_columns adds for the card
        dictionary = [c for attr in cfg.protected for c in attr]
    (result,) = scan_files(
        [path],
        accs,
        expected=expected,
        dictionary=dictionary,
        threads=DEFAULT_THREADS,
        check_schema=(lambda schema, p: check_schema(CARD, schema, p)) if fair else None,
    )
    out: dict[str, Any] = {}
    if fair:
        merged = result.states[1:] if drift else result.states
        rows = {(r.subject, r.metric): r.value for a in merged for r in a.finalize()}
        out = {
            "selection_rate": {g: rows[(f"group={g}", "selection_rate")] for g in GROUPS},
            "tpr": {g: rows[(f"group={g}", "true_positive_rate")] for g in GROUPS},
            "dpd": rows[("group", "demographic_parity_difference")],
            "eod": rows[("group", "equalized_odds_difference")],
            "auc": rows[("", "auc")],
            "p99": rows[("latency_ms", "latency_p99")],
        }
    if drift:
        state = result.states[0]
        state.finalize()  # PSI etc. are part of the work measured
        out["drift_rows"] = sum(state.states[f].rows for f in FEATURES)
    return out


def _fairlearn(path: Path) -> dict[str, Any]:
    from fairlearn.metrics import (
        MetricFrame,
        demographic_parity_difference,
        equalized_odds_difference,
        selection_rate,
        true_positive_rate,
    )
    from sklearn.metrics import roc_auc_score

    t = pq.read_table(path, columns=["score", "label", "group", "latency_ms"])
    score = t["score"].to_numpy()
    y_pred = (score >= 0.5).astype(np.int8)
    group = t["group"].to_numpy()
    labelled = t["label"].is_valid().to_numpy(zero_copy_only=False)
    y = t["label"].to_numpy(zero_copy_only=False)[labelled].astype(np.int8)
    sel = MetricFrame(
        metrics=selection_rate, y_true=y_pred, y_pred=y_pred, sensitive_features=group
    )
    tpr = MetricFrame(
        metrics=true_positive_rate,
        y_true=y,
        y_pred=y_pred[labelled],
        sensitive_features=group[labelled],
    )
    return {
        "selection_rate": sel.by_group.to_dict(),
        "tpr": tpr.by_group.to_dict(),
        "dpd": demographic_parity_difference(y_pred, y_pred, sensitive_features=group),
        "eod": equalized_odds_difference(y, y_pred[labelled], sensitive_features=group[labelled]),
        "auc": roc_auc_score(y, score[labelled]),
        "p99": float(np.quantile(t["latency_ms"].to_numpy(), 0.99, method="lower")),
    }


def _polars(path: Path) -> dict[str, Any]:
    import polars as pl

    lf = pl.scan_parquet(path).select("score", "label", "group", "latency_ms")
    lf = lf.with_columns(pred=(pl.col("score") >= 0.5).cast(pl.Int8))
    g = (
        lf.group_by("group")
        .agg(
            sel=pl.col("pred").mean(),
            tp=((pl.col("pred") == 1) & (pl.col("label") == 1)).sum(),
            fp=((pl.col("pred") == 1) & (pl.col("label") == 0)).sum(),
            pos=(pl.col("label") == 1).sum(),
            neg=(pl.col("label") == 0).sum(),
        )
        .with_columns(tpr=pl.col("tp") / pl.col("pos"), fpr=pl.col("fp") / pl.col("neg"))
        .collect()
    )
    lab = lf.filter(pl.col("label").is_not_null()).select(
        r=pl.col("score").rank("average"), y=pl.col("label")
    )
    a = lab.select(
        s=pl.col("r").filter(pl.col("y") == 1).sum(),
        p=(pl.col("y") == 1).sum().cast(pl.Float64),
        n=(pl.col("y") == 0).sum().cast(pl.Float64),
    ).collect()
    p, n = a["p"][0], a["n"][0]
    auc = (a["s"][0] - p * (p + 1) / 2) / (p * n)
    p99 = lf.select(pl.col("latency_ms").quantile(0.99, "lower")).collect().item()
    rows = {r["group"]: r for r in g.to_dicts()}
    return {
        "selection_rate": {k: v["sel"] for k, v in rows.items()},
        "tpr": {k: v["tpr"] for k, v in rows.items()},
        "dpd": g["sel"].max() - g["sel"].min(),
        "eod": max(g["tpr"].max() - g["tpr"].min(), g["fpr"].max() - g["fpr"].min()),
        "auc": auc,
        "p99": p99,
    }


def run(method: str, path: Path) -> dict[str, Any]:
    """Run one method in this process; returns its numbers and wall time."""
    t0, c0 = time.perf_counter(), time.process_time()
    profiles = None
    if method.startswith("drift"):  # loaded like `govern scan` loads the stored profile
        from govern.metrics import ProfileSet

        profiles = ProfileSet.from_dict(json.loads(baseline_profiles(path).read_text()))
    if method == "govern":
        out = _govern(path, profiles, drift=False, fair=True)
    elif method == "drift":
        out = _govern(path, profiles, drift=True, fair=False)
    elif method == "drift+fair":
        out = _govern(path, profiles, drift=True, fair=True)
    elif method == "fairlearn":
        out = _fairlearn(path)
    elif method == "polars":
        out = _polars(path)
    else:
        raise SystemExit(f"unknown method {method!r}; valid methods are: {', '.join(METHODS)}")
    out["wall_s"] = time.perf_counter() - t0
    out["cpu_s"] = time.process_time() - c0
    out["peak_rss_mb"] = _peak_rss_mb()
    return out


def _peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM). ru_maxrss is not used: Linux carries the parent's
    high-water mark into a forked-and-exec'd child, so every method showed the generator's peak.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/govern-bench"))
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    path = args.dir / f"fair_{args.rows}.parquet"
    if args.child:
        print(json.dumps(run(args.child, path), default=float))
        return
    args.dir.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        t0 = time.perf_counter()
        generate(path, args.rows)
        print(f"generated {path} in {time.perf_counter() - t0:.1f} s")
    if any(m.startswith("drift") for m in args.methods.split(",")):
        baseline_profiles(path)  # built (once) outside the timed children
    pq.read_table(path)  # warm the page cache
    results: dict[str, list[dict[str, Any]]] = {}
    for _ in range(args.reps):
        for m in args.methods.split(","):
            cmd = [
                sys.executable,
                __file__,
                "--rows",
                str(args.rows),
                "--dir",
                str(args.dir),
                "--child",
                m,
            ]
            proc = subprocess.run(cmd, check=True, capture_output=True, text=True)
            results.setdefault(m, []).append(json.loads(proc.stdout))
    base = min(r["wall_s"] for r in results.get("govern", [{"wall_s": float("nan")}]))
    print(
        f"{'method':<12}{'wall s (min)':>14}{'(median)':>10}{'cpu s (min)':>13}"
        f"{'peak RSS MB':>13}{'x govern':>10}{'dpd':>12}{'eod':>12}{'auc':>12}{'p99':>10}"
    )
    for m, rs in results.items():
        best = min(r["wall_s"] for r in rs)
        r = rs[0]
        print(
            f"{m:<12}{best:>14.2f}{statistics.median(x['wall_s'] for x in rs):>10.2f}"
            f"{min(x['cpu_s'] for x in rs):>13.2f}"
            f"{max(x['peak_rss_mb'] for x in rs):>13.0f}"
            f"{best / base:>10.2f}{r.get('dpd', float('nan')):>12.6f}"
            f"{r.get('eod', float('nan')):>12.6f}{r.get('auc', float('nan')):>12.6f}"
            f"{r.get('p99', float('nan')):>10.3f}"
        )
    if "drift" in results and "drift+fair" in results:
        # Ratios of the runs made one after the other in the same rep (same machine state).
        pairs = list(zip(results["drift"], results["drift+fair"], strict=True))
        wall = sorted(f["wall_s"] / d["wall_s"] for d, f in pairs)
        cpu = sorted(f["cpu_s"] / d["cpu_s"] for d, f in pairs)
        d = min(r["wall_s"] for r in results["drift"])
        df = min(r["wall_s"] for r in results["drift+fair"])
        print(
            f"drift+fair / drift alone: {df / d:.2f}x (min over min); per rep wall "
            f"min {wall[0]:.2f}x median {statistics.median(wall):.2f}x, "
            f"cpu median {statistics.median(cpu):.2f}x"
        )


if __name__ == "__main__":
    main()
