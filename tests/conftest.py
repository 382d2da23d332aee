"""Shared fixtures: repository paths and a fresh database per test."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
POLICIES = REPO / "policies"
CARDS = REPO / "data" / "models"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "govern.duckdb"
