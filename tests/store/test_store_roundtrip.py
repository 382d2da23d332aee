"""Registry, evidence and decisions survive a close and reopen of the real DuckDB file."""

from __future__ import annotations

from pathlib import Path

import pytest

from govern.cards import load_card, parse_card
from govern.errors import ModelCardError, ModelNotFoundError, StoreError
from govern.lifecycle import ModelRef
from govern.results import MetricRow, ScanResult, SourceFile
from govern.store import Store, evidence, registry

from ..conftest import CARDS

IMPORTED = "sample model already in deployment"


def test_register_and_read_back(db_path: Path) -> None:
    card = load_card(CARDS / "credit-risk.yaml")
    with Store.open(db_path, create=True) as store:
        assert registry.upsert_card(store, card, import_reason=IMPORTED) == "imported"
        assert registry.upsert_card(store, card) == "updated"
    with Store.open(db_path, read_only=True) as store:
        name, version = registry.resolve(store, ModelRef("credit-risk"))
        row = registry.get_version(store, name, version)
    assert (name, version) == ("credit-risk", "3")
    assert row["card"]["owner"] == card.data["owner"]
    assert row["stage"] == card.stage
    assert row["card_sha256"] == card.sha256


def test_unknown_model_names_the_registered_ones(db_path: Path) -> None:
    with Store.open(db_path, create=True) as store:
        registry.upsert_card(store, load_card(CARDS / "credit-risk.yaml"), import_reason=IMPORTED)
        with pytest.raises(ModelNotFoundError, match="credit-risk@3"):
            registry.resolve(store, ModelRef.parse("nope@1"))


def test_scan_evidence_roundtrip_and_atomicity(db_path: Path) -> None:
    with Store.open(db_path, create=True) as store:
        registry.upsert_card(store, load_card(CARDS / "credit-risk.yaml"), import_reason=IMPORTED)
        scan = ScanResult(
            "s1",
            "credit-risk",
            "3",
            10,
            (SourceFile("/x.parquet", 1, 2.0, 10),),
            (
                MetricRow("drift", "f", "psi", 0.12),
                MetricRow("drift", "g", "psi", None, "insufficient_data", "too few rows"),
            ),
            "2026-11-23T00:00:00Z",
        )
        evidence.write_scan(store, scan, kind="drift", params={})
        bad = ScanResult(
            "s2",
            "credit-risk",
            "3",
            10,
            (),
            (MetricRow("drift", "f", "psi", float("nan")),),
            "2026-11-23T00:00:00Z",
        )
        with pytest.raises(ValueError, match="no finite value"):
            evidence.write_scan(store, bad, kind="drift", params={})
    with Store.open(db_path, read_only=True) as store:
        latest = evidence.latest_scan(store, "credit-risk", "3", "drift")
        assert latest is not None and latest["scan_id"] == "s1"
        rows = evidence.scan_metrics(store, "s1")
        assert [(r.subject, r.value, r.status) for r in rows] == [
            ("f", 0.12, "ok"),
            ("g", None, "insufficient_data"),
        ]
        assert store.query("SELECT count(*) FROM scans")[0][0] == 1


def test_missing_database_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="govern init"):
        Store.open(tmp_path / "absent.duckdb")


def test_not_a_database(tmp_path: Path) -> None:
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"not a database" * 100)
    with pytest.raises(StoreError, match="not a DuckDB database"):
        Store.open(junk)


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("name: m\nversion: [unclosed\n", "invalid YAML", 3),
        ("- a list", "must be a YAML mapping", 1),
        (
            "name: m\nversion: 1\nowner: o\nrisk_tier: 1\n",
            "missing required field 'use_case'",
            None,
        ),
        (
            "name: m\nversion: 1\nowner: o\nrisk_tier: 1\nuse_case: u\nregulatory_scope: x\n",
            "field 'regulatory_scope': must be a list",
            6,
        ),
        (
            "name: m\nversion: 1\nowner: o\nrisk_tier: 1\nuse_case: u\nstage: prod\n",
            "field 'stage': unknown value 'prod'",
            6,
        ),
    ],
)
def test_card_errors_name_file_and_line(text: str, message: str, line: int | None) -> None:
    with pytest.raises(ModelCardError, match=message) as info:
        parse_card(text, "cards/m.yaml")
    assert info.value.path == "cards/m.yaml"
    assert info.value.line == line
