"""A registry with the sample models in deployment, whose cards name a monitoring.source."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from govern._bundled import MODEL_CARDS
from govern.cards import load_card
from govern.clock import utcnow
from govern.lifecycle import ModelRef
from govern.runner.baseline import baseline as build_baseline
from govern.runner.demo import (
    _MODELS,
    DEMO_APPROVALS,
    DEMO_IMPORT,
    SEED,
    _table,
    cards_as_of,
)
from govern.runner.lifecycle import approve
from govern.store import Store
from govern.store.registry import upsert_card

MODEL = "credit-risk"
SAMPLES = ("credit-risk", "fraud-detect")  # the two demo models with float features only
REF = "credit-risk@3"


@dataclass
class Env:
    """The files of one monitored registry."""

    root: Path
    db: Path
    cards: Path
    logs: Path

    def write_logs(self, shift: dict[str, float], *, seed: int = 1) -> Path:
        """credit-risk's monitored log file, with features shifted by exp(shift)."""
        _, features, _ = _MODELS[MODEL]
        rng = np.random.default_rng([SEED, 100 + seed])
        path = self.logs / "credit-risk.parquet"
        pq.write_table(_table(rng, features, shift), path)
        return path


def make_env(
    root: Path, *, source: str = "../logs/credit-risk.parquet", card_extra: str = ""
) -> Env:
    """Register both sample models (deployment), baseline them; credit-risk gets a source."""
    cards = cards_as_of(MODEL_CARDS, root / "models", utcnow().date())
    card = cards / "credit-risk.yaml"
    text = card.read_text(encoding="utf-8")
    text = text.replace("  frequency_days: 30\n", f"  frequency_days: 30\n  source: {source}\n")
    text = text.replace("\nstage: deployment\n", "\nstage: production\n")
    card.write_text(text + card_extra)
    logs = root / "logs"
    logs.mkdir()
    db = root / "g.duckdb"
    env = Env(root, db, cards, logs)
    rng = np.random.default_rng([SEED, 0])
    with Store.open(db, create=True) as store:
        for name in SAMPLES:
            upsert_card(store, load_card(cards / f"{name}.yaml"), import_reason=DEMO_IMPORT)
        for name, stage, role, by in (a for a in DEMO_APPROVALS if a[0] in SAMPLES):
            approve(store, ModelRef(name, _MODELS[name][0]), stage=stage, role=role, by=by)
        for name in SAMPLES:
            version, features, _ = _MODELS[name]
            base = root / f"{name}-baseline.parquet"
            pq.write_table(_table(rng, features, {}), base)
            build_baseline(store, ModelRef(name, version), data=[base])
    env.write_logs({})
    return env


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return make_env(tmp_path)


def write_sinks(
    path: Path, rx_url: str, *, smtp_port: int | None, jsonl: Path | None, timeout: float = 2.0
) -> Path:
    """A sinks file: webhook (HMAC), Slack-compatible, SMTP and JSON lines, as given."""
    lines = [
        "sinks:",
        "  - name: hook",
        "    type: webhook",
        f"    url: {rx_url}/hook",
        "    secret_env: TEST_GOVERN_HOOK_SECRET",
        f"    timeout: {timeout}",
        "  - name: chat",
        "    type: slack",
        "    url_env: TEST_GOVERN_SLACK_URL",
        f"    timeout: {timeout}",
    ]
    if smtp_port is not None:
        lines += [
            "  - name: mail",
            "    type: smtp",
            "    host: 127.0.0.1",
            f"    port: {smtp_port}",
            "    from: govern@example.com",
            "    to: [owner@example.com]",
            f"    timeout: {timeout}",
        ]
    if jsonl is not None:
        lines += ["  - name: log", "    type: jsonl", f"    path: {jsonl}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
