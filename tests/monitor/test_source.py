"""monitoring.source: `{date}` filled in with the run's UTC day, relative to the card."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from govern.cards import load_card
from govern.runner.monitor import resolve_source

DAY = datetime(2026, 12, 2, 23, 59)


def _row(source: str | None, card_path: str | None = "/srv/models/fraud.yaml") -> dict[str, Any]:
    monitoring = {} if source is None else {"source": source}
    return {"card": {"monitoring": monitoring}, "card_path": card_path}


@pytest.mark.parametrize(
    ("source", "card_path", "expected"),
    [
        ("logs/dt={date}/", "/srv/models/fraud.yaml", "/srv/models/logs/dt=2026-12-02"),
        (
            "/lake/fraud/dt={date}/*.parquet",
            "/srv/models/f.yaml",
            "/lake/fraud/dt=2026-12-02/*.parquet",
        ),
        ("s3://lake/fraud/dt={date}/", "/srv/models/f.yaml", "s3://lake/fraud/dt=2026-12-02/"),
        ("logs/current.parquet", None, "logs/current.parquet"),
        ("../logs/{date}.parquet", "m/c.yaml", "m/../logs/2026-12-02.parquet"),
    ],
)
def test_source_is_resolved(source: str, card_path: str | None, expected: str) -> None:
    got = resolve_source(_row(source, card_path), DAY)
    assert got is not None and (got == expected or Path(got) == Path(expected))


def test_no_source() -> None:
    assert resolve_source(_row(None), DAY) is None


def test_card_schema_accepts_source_and_rejects_a_non_string(tmp_path: Path) -> None:
    from govern.errors import ModelCardError

    base = (
        "name: m\nversion: 1\nowner: o\nrisk_tier: 2\nuse_case: u\n"
        "monitoring:\n  features: [x]\n  source: {value}\n"
    )
    ok = tmp_path / "ok.yaml"
    ok.write_text(base.format(value="logs/dt={date}/"))
    card = load_card(ok)
    assert card.data["monitoring"]["source"] == "logs/dt={date}/" and not card.warnings
    bad = tmp_path / "bad.yaml"
    bad.write_text(base.format(value="[a, b]"))
    with pytest.raises(ModelCardError, match="monitoring.source"):
        load_card(bad)
