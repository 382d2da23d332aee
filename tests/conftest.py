"""Shared fixtures: repository paths, the sample cards as of today, a fresh database per test.

The sample cards in data/models carry dates (validation, approvals, go-live) written as of
2026-11-23; policies judge recency against the evaluation clock. Tests read copies whose dates
are moved to today (govern.runner.demo.cards_as_of), so they pass on any day, and tests
that pin the clock use TODAY_NOON, not a fixed date.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from govern.clock import rfc3339
from govern.runner.demo import DEMO_APPROVALS, DEMO_IMPORT, DEMO_VERSIONS, cards_as_of

REPO = Path(__file__).resolve().parents[1]
POLICIES = REPO / "policies"
SAMPLE_CARDS = REPO / "data" / "models"

_TODAY = datetime.now(UTC).replace(tzinfo=None)
TODAY_NOON = rfc3339(_TODAY.replace(hour=12, minute=0, second=0, microsecond=0))
YESTERDAY_NOON = rfc3339(
    _TODAY.replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=1)
)

_cards_dir = Path(tempfile.mkdtemp(prefix="govern-cards-"))
atexit.register(shutil.rmtree, _cards_dir, ignore_errors=True)
CARDS = cards_as_of(SAMPLE_CARDS, _cards_dir, _TODAY.date())


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "govern.duckdb"


# The sample cards declare `stage: deployment`: a new version only lands there through its
# gates or as an audited import. Tests import them (as the demo does) and record the
# approvals their cards claim with `govern approve` (a card's own `approvals:` never count).
IMPORT = ("--import-existing", "--reason", DEMO_IMPORT)


def register_samples(db: str | Path, *cards: str | Path) -> None:
    """`govern register --import-existing` the sample cards, then approve them as the demo."""
    from govern.cli import main

    assert main(["--db", str(db), "register", *IMPORT, *map(str, cards)]) == 0
    names = {Path(c).stem for c in cards}
    for name, stage, role, by in DEMO_APPROVALS:
        if name in names:
            version = DEMO_VERSIONS[name]
            argv = ["--db", str(db), "approve", f"{name}@{version}", "--stage", stage]
            assert main([*argv, "--role", role, "--by", by]) == 0


# What `input.approvals` holds for credit-risk once the demo's approval is recorded, for
# tests that build policy inputs without a database.
REGISTRY_APPROVALS = [
    {
        "stage": "deployment",
        "role": "committee",
        "by": "mrc@example.com",
        "at": YESTERDAY_NOON,
        "note": None,
    }
]
