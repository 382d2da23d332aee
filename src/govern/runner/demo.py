"""`govern demo`: deterministic sample data, then init → register → baseline → scan → check.

Three models: `credit-risk` (stable inference data, passes its production gate),
`fraud-detect` (two features shifted, fails on drift) and `loan-approval` (a categorical
risk band and a "yes"/"no" outcome mapped by its card, with protected attributes, so the
scan stores fairness and performance evidence beside drift). Everything is seeded, so every
run writes the same parquet files and reaches the same decisions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from govern._bundled import MODEL_CARDS, POLICIES
from govern.cards import load_card
from govern.clock import utcnow
from govern.lifecycle import ModelRef
from govern.policy import load
from govern.results import Decision
from govern.runner.baseline import baseline as build_baseline
from govern.runner.check import check
from govern.runner.lifecycle import approve
from govern.runner.scan import scan
from govern.store import Store
from govern.store.registry import upsert_card

SEED = 20261123
# The sample cards' dates (validations, approvals, go-live, ...) are written as of this day;
# the demo moves them by (today - CARDS_AS_OF) so that the same story holds on any day.
CARDS_AS_OF = date(2026, 11, 23)
_DATE = re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?![\d])")
ROWS = 20_000
# The sample models are already in deployment when govern is adopted: an audited import,
# then the approvals their cards claim, recorded as `govern approve` would (a card's own
# `approvals:` list is a claim and never counts).
DEMO_IMPORT = "demo: sample models already in deployment before govern was adopted"
DEMO_APPROVALS = (
    ("credit-risk", "deployment", "committee", "mrc@example.com"),
    ("fraud-detect", "deployment", "owner", "ops-ml@example.com"),
    ("loan-approval", "deployment", "committee", "mrc@example.com"),
)

# name -> (version, feature generators, shift applied to the current window per feature)
_MODELS: dict[str, tuple[str, list[str], dict[str, float]]] = {
    "credit-risk": (
        "3",
        ["income", "debt_ratio", "utilisation", "age_of_file", "inquiries"],
        {},
    ),
    "fraud-detect": (
        "7",
        ["amount", "merchant_risk", "velocity_1h", "distance_km", "account_age_days"],
        {"amount": 0.35, "velocity_1h": 0.2},
    ),
    "loan-approval": (
        "2",
        ["income", "debt_ratio", "utilisation", "age_of_file", "inquiries"],
        {},
    ),
}
DEMO_VERSIONS = {name: version for name, (version, _, _) in _MODELS.items()}
# Models whose logs also hold decisions, outcomes and protected attributes.
_LENDING = {"loan-approval"}
AGE_BANDS = np.array(["18-24", "25-44", "45-64", "65+"])


@dataclass(frozen=True)
class DemoResult:
    """What the demo produced."""

    db: Path
    decisions: tuple[Decision, ...]
    files: tuple[Path, ...]


def _table(rng: np.random.Generator, features: list[str], shift: dict[str, float]) -> pa.Table:
    cols: dict[str, pa.Array] = {}
    for i, f in enumerate(features):
        values = rng.lognormal(mean=1.0 + 0.2 * i, sigma=0.5, size=ROWS)
        values = values * np.exp(shift.get(f, 0.0))
        mask = rng.random(ROWS) < 0.01  # 1% nulls, as real logs have
        cols[f] = pa.array(values, mask=mask, type=pa.float64())
    logits = sum(np.log(np.nan_to_num(np.asarray(cols[f]), nan=1.0)) for f in features[:2])
    cols["score"] = pa.array(1.0 / (1.0 + np.exp(-(logits - np.mean(logits)))), type=pa.float64())
    return pa.table(cols)


def _lending(rng: np.random.Generator, table: pa.Table) -> pa.Table:
    """Add a risk band, a "yes"/"no" default outcome and two protected attributes.

    The band follows the table's score; the outcome follows the score with noise, so the band
    ranks outcomes (AUC about 0.7) and both sexes and all age bands see similar band shares.
    """
    score = table.column("score").to_numpy()
    n = table.num_rows
    band = np.where(score < 0.55, "Low", np.where(score < 0.8, "Medium", "High"))
    defaulted = rng.random(n) < 0.04 + 0.3 * score**3
    return (
        table.append_column("risk_band", pa.array(band.tolist(), type=pa.string()))
        .append_column("defaulted", pa.array(np.where(defaulted, "yes", "no").tolist()))
        .append_column("sex", pa.array(rng.choice(["F", "M"], n).tolist()))
        .append_column(
            "age_band", pa.array(rng.choice(AGE_BANDS, n, p=[0.1, 0.4, 0.35, 0.15]).tolist())
        )
    )


def write_sample_data(out: Path) -> dict[str, tuple[Path, Path]]:
    """Baseline and current parquet per demo model: {name: (baseline, current)}."""
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    for k, (name, (_, features, shift)) in enumerate(sorted(_MODELS.items())):
        rng = np.random.default_rng([SEED, k])
        baseline = out / f"{name}-baseline.parquet"
        current = out / f"{name}-2026-11.parquet"
        train, now = _table(rng, features, {}), _table(rng, features, shift)
        if name in _LENDING:
            train, now = _lending(rng, train), _lending(rng, now)
        pq.write_table(train, baseline, compression="zstd")
        pq.write_table(now, current, compression="zstd")
        files[name] = (baseline, current)
    return files


def shift_dates(text: str, days: int) -> str:
    """Move every YYYY-MM-DD date in a card's text by `days` (times of day are kept)."""
    if days == 0:
        return text

    def move(m: re.Match[str]) -> str:
        d = date(int(m[1]), int(m[2]), int(m[3])) + timedelta(days=days)
        return d.isoformat()

    return _DATE.sub(move, text)


def cards_as_of(source: Path, dest: Path, today: date) -> Path:
    """Copy the sample cards into `dest` with their dates moved to hold as of `today`."""
    dest.mkdir(parents=True, exist_ok=True)
    days = (today - CARDS_AS_OF).days
    for card in sorted(source.glob("*.yaml")):
        (dest / card.name).write_text(shift_dates(card.read_text(encoding="utf-8"), days))
    return dest


def run_demo(out: Path, *, policies: Path | None = None, cards: Path | None = None) -> DemoResult:
    """Run the whole flow in `out` (created; an existing demo database is replaced)."""
    out.mkdir(parents=True, exist_ok=True)
    db = out / "govern.duckdb"
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
    data = write_sample_data(out / "data")
    card_dir = cards or cards_as_of(MODEL_CARDS, out / "models", utcnow().date())
    prepared = load(policies or POLICIES)
    decisions = []
    with Store.open(db, create=True) as store:
        for name in sorted(_MODELS):
            upsert_card(store, load_card(card_dir / f"{name}.yaml"), import_reason=DEMO_IMPORT)
        for name, stage, role, by in DEMO_APPROVALS:
            approve(store, ModelRef(name, _MODELS[name][0]), stage=stage, role=role, by=by)
        for name, (version, _, _) in sorted(_MODELS.items()):
            baseline, current = data[name]
            ref = ModelRef(name, version)
            build_baseline(store, ref, data=[baseline])
            scan(store, ref, data=[current])
            decision, _ = check(store, prepared, ref, "production")
            decisions.append(decision)
    files = tuple(p for pair in data.values() for p in pair)
    return DemoResult(db, tuple(decisions), files)
