"""Promote, retire, approve and the inventory, against a real DuckDB file and regorus."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from govern.cards import parse_card
from govern.errors import UnknownStageError, UserInputError
from govern.lifecycle import ModelRef
from govern.policy import load
from govern.runner import lifecycle
from govern.runner.check import build_input
from govern.store import Store, audit
from govern.store import lifecycle as lifecycle_store
from govern.store.registry import upsert_card

from ..conftest import POLICIES

CARD = """name: m
version: "1"
owner: dev@example.com
risk_tier: 2
use_case: testing
stage: {stage}
roles:
  developers: [dev@example.com, alice@example.com]
lineage:
  training_data:
    value: s3://bucket/train.parquet
    asserted_by: alice@example.com
    asserted_at: 2026-01-01
    expires: {expires}
monitoring:
  features: [a]
"""

# Separation of duties as a policy: the validation gate needs a validator's approval by
# someone who is not one of the model's developers.
SOD = """package govern.gates.validation

import rego.v1

deny contains {"control": "MRM-VAL-03", "msg": "no independent validator approval"} if {
	count(independent) == 0
}

independent contains a if {
	some a in input.approvals
	a.stage == "validation"
	a.role == "validator"
	not a.by in input.model.roles.developers
}

deny contains {"control": "MRM-DEV-02", "msg": "training data lineage is not declared"} if {
	not input.model.lineage.training_data
}
"""


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    root = tmp_path / "policies"
    for p in POLICIES.rglob("*"):
        if p.is_file():
            dest = root / p.relative_to(POLICIES)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(p.read_text())
    (root / "gates" / "validation.rego").write_text(SOD)
    return root


def _store(db: Path, stage: str = "development", expires: str = "2099-01-01") -> Store:
    store = Store.open(db, create=True)
    card = parse_card(CARD.format(stage=stage, expires=expires), "m.yaml")
    upsert_card(store, card, import_reason=None if stage == "proposed" else "test fixture")
    return store


REF = ModelRef("m", "1")


def _stage(store: Store) -> str:
    return str(store.query("SELECT stage FROM model_versions")[0][0])


def test_skipping_a_stage_is_refused(db_path: Path, policies: Path) -> None:
    with _store(db_path, "proposed") as store:
        with pytest.raises(UserInputError) as info:
            lifecycle.promote(store, load(policies), REF, "validation")
        assert str(info.value) == lifecycle.SKIP.format(
            model="m@1", current="proposed", target="validation", next="development"
        )
        with pytest.raises(UserInputError, match="already in proposed"):
            lifecycle.promote(store, load(policies), REF, "proposed")
        with pytest.raises(UnknownStageError, match="valid stages are"):
            lifecycle.promote(store, load(policies), REF, "staging")
        with pytest.raises(UserInputError, match="govern retire"):
            lifecycle.promote(store, load(policies), REF, "retired")
        assert _stage(store) == "proposed"


def test_promotion_never_moves_backward(db_path: Path, policies: Path) -> None:
    with _store(db_path, "validation") as store:
        with pytest.raises(UserInputError) as info:
            lifecycle.promote(store, load(policies), REF, "development")
        assert str(info.value) == lifecycle.BACKWARD.format(
            model="m@1", current="validation", target="development", next="deployment"
        )


def test_separation_of_duties_is_a_policy(db_path: Path, policies: Path) -> None:
    prepared = load(policies)
    with _store(db_path) as store:
        lifecycle.approve(store, REF, stage="validation", role="validator", by="alice@example.com")
        denied = lifecycle.promote(store, prepared, REF, "validation", actor="ops")
        assert not denied.applied and not denied.decision.allowed
        assert [v.control for v in denied.decision.denials] == ["MRM-VAL-03"]
        assert _stage(store) == "development"
        # the denied attempt is recorded as a decision, not as a transition
        assert store.query("SELECT result FROM decisions") == [("deny",)]
        assert store.query("SELECT count(*) FROM lifecycle_events WHERE action='promote'") == [(0,)]

        lifecycle.approve(store, REF, stage="validation", role="validator", by="val@example.com")
        dry = lifecycle.promote(store, prepared, REF, "validation", dry_run=True)
        assert dry.decision.allowed and not dry.applied
        assert store.query("SELECT count(*) FROM decisions") == [(1,)]

        done = lifecycle.promote(store, prepared, REF, "validation", actor="ops")
        assert done.applied and _stage(store) == "validation"
        ev = store.query_dicts(
            "SELECT action, from_stage, to_stage, actor, decision_id FROM lifecycle_events "
            "WHERE action = 'promote'"
        )
        assert ev == [
            {
                "action": "promote",
                "from_stage": "development",
                "to_stage": "validation",
                "actor": "ops",
                "decision_id": done.decision.decision_id,
            }
        ]
        actions = [a for (a,) in store.query("SELECT action FROM audit_log ORDER BY seq")]
        assert actions == [
            "migrate",
            "register",
            "approve",
            "decision",
            "approve",
            "decision",
            "promote",
        ]
        assert audit.verify(store.conn).ok


def test_policy_input_carries_approvals_events_and_provenance(db_path: Path) -> None:
    with _store(db_path) as store:
        lifecycle.approve(store, REF, stage="validation", role="validator", by="v", note="ok")
        doc = build_input(store, "m", "1", "validation")
    assert [{k: a[k] for k in ("stage", "role", "by", "note")} for a in doc["approvals"]] == [
        {"stage": "validation", "role": "validator", "by": "v", "note": "ok"}
    ]
    assert doc["approvals"][0]["at"].endswith("Z")
    assert [e["action"] for e in doc["events"]] == ["import", "approve"]
    assert doc["registration"]["kind"] == "imported"
    assert doc["registration"]["reason"] == "test fixture"
    assert doc["model"]["lineage"]["training_data"] == "s3://bucket/train.parquet"
    assert doc["provenance"]["lineage.training_data"]["asserted_by"] == "alice@example.com"
    assert doc["provenance"]["lineage.training_data"]["expired"] is False


def test_expired_fact_counts_as_absent(db_path: Path, policies: Path) -> None:
    with _store(db_path, expires="2026-02-01") as store:
        doc = build_input(store, "m", "1", "validation")
        assert "training_data" not in doc["model"]["lineage"]
        assert doc["provenance"]["lineage.training_data"]["expired"] is True
        lifecycle.approve(store, REF, stage="validation", role="validator", by="val@x")
        t = lifecycle.promote(store, load(policies), REF, "validation", dry_run=True)
    assert [v.control for v in t.decision.denials] == ["MRM-DEV-02"]


def test_retire_from_any_stage_via_its_gate(db_path: Path, policies: Path) -> None:
    prepared = load(policies)
    with _store(db_path, "production") as store:
        denied = lifecycle.retire(store, prepared, REF)
        assert not denied.applied
        assert "GATE-RETIRED" in {v.control for v in denied.decision.denials}
        # Archive declared in the card; the reason and date come with the retire call.
        upsert_card(
            store,
            parse_card(
                CARD.format(stage="production", expires="2099-01-01")
                + "retirement:\n  archive_uri: s3://archive/m/1/\n",
                "m.yaml",
            ),
        )
        done = lifecycle.retire(store, prepared, REF, reason="superseded by m@2")
        assert done.applied and _stage(store) == "retired"
        with pytest.raises(UserInputError, match="retired model cannot change stage"):
            lifecycle.retire(store, prepared, REF, reason="again")
        with pytest.raises(UserInputError, match="retired model cannot change stage"):
            lifecycle.promote(store, prepared, REF, "production")


def test_approve_validates_role_and_stage(db_path: Path) -> None:
    with _store(db_path) as store:
        with pytest.raises(UserInputError, match="valid roles are: validator"):
            lifecycle.approve(store, REF, stage="validation", role="friend", by="x")
        with pytest.raises(UnknownStageError):
            lifecycle.approve(store, REF, stage="qa", role="validator", by="x")
        assert store.query("SELECT count(*) FROM approvals") == [(0,)]


def test_inventory_flags_zombies_with_reasons(db_path: Path, policies: Path) -> None:
    with _store(db_path, "production") as store:
        store.conn.execute("UPDATE models SET owner = ''")
        now = datetime.now().replace(microsecond=0)
        rows = lifecycle_store.inventory(store, at=now)
        assert len(rows) == 1 and rows[0]["zombie"]
        assert rows[0]["reasons"] == [
            "no accountable owner",
            "in production but never scanned",
            "no review for more than 365 days",
        ]
        store.conn.execute("UPDATE models SET owner = 'o'")
        store.conn.execute(
            """INSERT INTO scans VALUES ('s1', 'm', '1', 'drift', 10, '[]', NULL, 'x',
               TIMESTAMP '2026-01-01', TIMESTAMP '2026-01-01')"""
        )
        store.conn.execute(
            """INSERT INTO decisions VALUES ('d1', 'm', '1', 'production', 'deny', '[]',
               'b', 'i', '{}', 'regorus', '0', TIMESTAMP '2026-01-02')"""
        )
        later = datetime(2026, 3, 1)
        rows = lifecycle_store.inventory(store, at=later)
        assert rows[0]["reasons"] == [
            "no evidence for more than 30 days (last scan 2026-01-01)",
            "latest production gate decision is deny",
        ]
        assert rows[0]["last_evidence_at"] == "2026-01-01T00:00:00.000000Z"
        fresh = lifecycle_store.inventory(store, at=datetime(2026, 1, 15))
        assert fresh[0]["reasons"] == ["latest production gate decision is deny"]
        in_view = store.query("SELECT name FROM v_zombies")
        assert in_view == [("m",)]


def test_inventory_ages_are_relative_to_the_given_instant(db_path: Path) -> None:
    with _store(db_path, "development") as store:
        rows = lifecycle_store.inventory(store, at=datetime.now() + timedelta(days=3650))
    assert rows[0]["reasons"] == []  # development models are not expected to be scanned
