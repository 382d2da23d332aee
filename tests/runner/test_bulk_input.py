"""`check --all` builds its inputs from one read per table: the same documents, recorded in bulk."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from govern.cli import main
from govern.policy import DecideItem, EngineOptions, LimitReached, Limits, load
from govern.results import Decision, MetricRow, ScanResult, SourceFile
from govern.runner.bulk_input import RegistrySnapshot
from govern.runner.check import check_all, input_from_row, target_stage
from govern.store import Store
from govern.store import audit as audit_store
from govern.store.evidence import write_scan
from govern.store.lifecycle import add_approval
from govern.store.registry import versions_with_cards

from ..conftest import CARDS, IMPORT, POLICIES

NOW = "2026-11-23T12:00:00Z"
EXTRA = """name: extra-{i}
version: "{v}"
owner: team@example.com
risk_tier: {tier}
use_case: bulk test
regulatory_scope: [us_sr26_2]
stage: {stage}
monitoring:
  features: [a, b]
"""


def _scan(model: str, version: str, psi: float, at: str) -> ScanResult:
    feature = {"kind": "numeric", "role": "feature"}
    output = {"kind": "numeric", "role": "output"}
    return ScanResult(
        scan_id=str(uuid.uuid4()),
        model=model,
        version=version,
        rows=1_000,
        sources=(SourceFile(f"/data/{model}.parquet", 10, 0.0, 1_000),),
        metrics=(
            MetricRow("drift", "a", "psi", psi, detail=feature),
            MetricRow("drift", "a", "missing_rate", 0.0, detail=feature),
            MetricRow("drift", "b", "psi", None, "insufficient_data", "too few rows", feature),
            MetricRow("drift", "score", "psi", 0.05, detail=output),
        ),
        scanned_at=at,
    )


@pytest.fixture
def db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    path = str(tmp_path / "g.duckdb")
    cards = [str(CARDS / f"{m}.yaml") for m in ("credit-risk", "fraud-detect")]
    for i, (v, tier, stage) in enumerate([("1", 1, "proposed"), ("2", 3, "validation")]):
        card = tmp_path / f"extra-{i}.yaml"
        card.write_text(EXTRA.format(i=i, v=v, tier=tier, stage=stage))
        cards.append(str(card))
    assert main(["--db", path, "init"]) == 0
    assert main(["--db", path, "register", *IMPORT, *cards]) == 0
    with Store.open(path) as store:
        # two scans of one version: the newer one is the evidence
        write_scan(
            store, _scan("extra-0", "1", 0.4, "2026-11-01T00:00:00Z"), kind="drift", params={}
        )
        write_scan(
            store, _scan("extra-0", "1", 0.1, "2026-11-02T00:00:00Z"), kind="drift", params={}
        )
        write_scan(
            store,
            _scan("credit-risk", "3", 0.02, "2026-11-02T00:00:00Z"),
            kind="drift",
            params={"window": {"from": "2026-10-01"}},
        )
        for role in ("validator", "approver"):
            add_approval(
                store,
                name="extra-1",
                version="2",
                stage="deployment",
                role=role,
                by=f"{role}@example.com",
                note=None,
                actor="test",
            )
    capsys.readouterr()
    return path


def test_bulk_inputs_equal_per_model_inputs(db: str) -> None:
    with Store.open(db, read_only=True) as store:
        rows = versions_with_cards(store)
        snapshot = RegistrySnapshot.read(store)
        assert len(rows) == 4
        for row in rows:
            stage = target_stage(str(row["stage"]))
            bulk = snapshot.input_for(row, stage, now=NOW)
            assert bulk == input_from_row(store, row, stage, now=NOW)
            assert json.dumps(bulk, sort_keys=True) == json.dumps(
                input_from_row(store, row, stage, now=NOW), sort_keys=True
            )
        by_name = {r["name"]: snapshot.input_for(r, "production", now=NOW) for r in rows}
    # the fixture's state really is in the documents (not equal because both are empty)
    assert by_name["extra-0"]["evidence"]["drift"]["max_psi"] == 0.1
    assert by_name["credit-risk"]["evidence"]["drift"]["window"] == {"from": "2026-10-01"}
    assert by_name["extra-0"]["evidence"]["drift"]["output"]["psi"] == 0.05
    assert [a["role"] for a in by_name["extra-1"]["approvals"]] == ["validator", "approver"]
    assert {e["action"] for e in by_name["extra-1"]["events"]} == {"import", "approve"}
    assert by_name["fraud-detect"]["evidence"] == {}


def test_check_all_records_in_bulk_and_the_chain_verifies(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store.open(db, read_only=True) as store:
        before = int(store.query("SELECT max(seq) FROM audit_log")[0][0])
    with load(POLICIES) as prepared, Store.open(db) as store:
        outcomes = check_all(store, prepared, now=NOW, workers=2)
        decided = [o.decision for o in outcomes if o.decision is not None]
        assert len(decided) == len(outcomes) == 4
        audit = store.query(
            "SELECT seq, action, subject, payload FROM audit_log WHERE seq > ? ORDER BY seq",
            [before],
        )
        stored = store.query("SELECT decision_id, input FROM decisions ORDER BY name")
    assert [r[0] for r in audit] == list(range(before + 1, before + 5))
    assert [json.loads(r[3])["decision_id"] for r in audit] == [d.decision_id for d in decided]
    assert [r[2] for r in audit] == [f"{d.model}@{d.version}" for d in decided]
    assert {r[0] for r in stored} == {d.decision_id for d in decided}
    assert all(json.loads(r[1])["now"] == NOW for r in stored)  # one clock per run
    assert main(["--db", db, "audit", "verify"]) == 0
    capsys.readouterr()


@pytest.mark.parametrize("sandbox", [True, False])
def test_decide_many_matches_decide(db: str, sandbox: bool) -> None:
    with Store.open(db, read_only=True) as store:
        rows = versions_with_cards(store)
        snapshot = RegistrySnapshot.read(store)
        items = []
        for row in rows * 3:  # more items than one batch per worker
            stage = target_stage(str(row["stage"]))
            items.append(
                DecideItem(
                    snapshot.input_for(row, stage, now=NOW), row["name"], row["version"], stage
                )
            )
    with load(POLICIES, options=EngineOptions(sandbox=sandbox)) as prepared:
        many = prepared.decide_many(items, workers=2)
        one = [
            prepared.decide(i.input_doc, model=i.model, version=i.version, stage=i.stage)
            for i in items
        ]
    assert all(isinstance(d, Decision) for d in many)
    assert [(d.allowed, d.violations, d.input_hash, d.packages) for d in many] == [  # type: ignore[union-attr]
        (d.allowed, d.violations, d.input_hash, d.packages) for d in one
    ]
    assert any(not d.allowed for d in one) and any(d.violations for d in one)


def test_decide_many_keeps_errors_per_item(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    (root / "gate.rego").write_text(
        "package govern.gates.development\n\n"
        'deny contains "x" if {\n\tinput.model.name == "bad"\n\t1 / 0 > 0\n}\n'
        'deny contains "y" if input.model.name == "denied"\n'
    )
    names = ["ok", "bad", "denied", "ok2", "bad", "ok3"]
    items = [DecideItem({"model": {"name": n}}, n, "1", "development") for n in names]
    items.append(
        DecideItem({"model": {"name": "nan", "x": float("nan")}}, "nan", "1", "development")
    )
    with load(root) as prepared:
        out = prepared.decide_many(items, workers=2)
    kinds = [type(o).__name__ for o in out]
    assert kinds == [
        "Decision",
        "PolicyEvalError",
        "Decision",
        "Decision",
        "PolicyEvalError",
        "Decision",
        "UserInputError",
    ]
    assert [o.allowed for o in out if isinstance(o, Decision)] == [True, False, True, True]
    assert "division by zero" in str(out[1]).lower() or "divide" in str(out[1]).lower()


def test_append_many_writes_the_same_chain_as_append(tmp_path: Path) -> None:
    entries = [("decision", f"m{i}@1", {"n": i, "x": [1.5, "é"]}) for i in range(5)]
    tables = []
    for bulk in (False, True):
        with Store.open(tmp_path / f"{bulk}.duckdb", create=True) as store:
            with store.transaction() as conn:
                if bulk:
                    audit_store.append_many(conn, entries, actor="a", at=None)
                else:
                    for action, subject, payload in entries:
                        audit_store.append(
                            conn, action=action, subject=subject, payload=payload, actor="a"
                        )
            tables.append(
                store.query(
                    "SELECT seq, actor, action, subject, CAST(payload AS VARCHAR) FROM audit_log"
                    " ORDER BY seq"
                )
            )
            assert audit_store.verify(store.conn).ok
    assert tables[0] == tables[1]


def test_a_limit_names_the_item_that_reached_it(tmp_path: Path) -> None:
    root = tmp_path / "spin"
    root.mkdir()
    (root / "gate.rego").write_text(
        "package govern.gates.development\n\n"
        'deny contains "never" if {\n\tinput.model.name == "spin"\n'
        "\tsome i in numbers.range(1, 20000)\n\tsome j in numbers.range(1, 20000)\n"
        "\ti * j < 0\n}\n"
    )
    docs = [{"model": {"name": "nan", "x": float("nan")}}, {"model": {"name": "ok"}}]
    docs.append({"model": {"name": "spin"}})
    items = [DecideItem(d, d["model"]["name"], "1", "development") for d in docs]
    options = EngineOptions(limits=Limits(timeout_s=0.5))
    with load(root, options=options) as prepared, pytest.raises(LimitReached) as info:
        prepared.decide_many(items, workers=2)
    assert info.value.index == 2  # the item, not the job (the NaN input never ran)
    assert info.value.error.reason == "timeout"
