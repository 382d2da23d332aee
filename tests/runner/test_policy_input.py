"""One policy-input builder: a card checked from its file and from the registry agree.

Issue 11, item 2: `govern check card.yaml` treated an expired `lineage.training_data` as
present and allowed, while the same card registered and checked with `--model` denied.
Both paths now build the input with runner/policy_input.build; these tests compare the
documents themselves over cards with expired, live, nested and list-item facts.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govern.cards import load_card
from govern.cli import main
from govern.lifecycle import ModelRef
from govern.policy import PreparedPolicies, load
from govern.runner.bulk_input import RegistrySnapshot
from govern.runner.check import card_input, check, check_card
from govern.store import Store, registry
from govern.store import lifecycle as lifecycle_store

from ..conftest import CARDS, POLICIES, TODAY_NOON

NOW = TODAY_NOON
HEAD = """name: {name}
version: "1"
owner: dev@example.com
risk_tier: 2
use_case: testing
stage: {stage}
monitoring:
  features: [a]
"""
EXPIRED_LINEAGE = """lineage:
  training_data:
    value: s3://bucket/train.parquet
    asserted_by: alice@example.com
    asserted_at: 2020-01-01
    expires: 2021-01-01
"""
LIVE_LINEAGE = EXPIRED_LINEAGE.replace("2021-01-01", "2999-01-01")
NESTED = """validation:
  outcome: approved
  date:
    value: 2020-05-01
    expires: 2021-05-01T00:00:00Z
  report_uri: s3://v
"""
LIST_ITEMS = """uat_rounds:
  - {value: {round: 1, passed: true}, expires: 2021-01-01}
  - {round: 2, passed: true}
approvals:
  - {stage: validation, role: validator, by: self@example.com}
"""
VARIANTS = {
    "expired-lineage": EXPIRED_LINEAGE,
    "live-lineage": LIVE_LINEAGE,
    "expired-nested": NESTED,
    "expired-list-item": LIST_ITEMS,
    "all": EXPIRED_LINEAGE.replace("lineage:", "lineage:\n  code: git@x") + NESTED + LIST_ITEMS,
}


@pytest.fixture(scope="module")
def library() -> PreparedPolicies:
    return load(POLICIES)


def _cards(tmp_path: Path, stage: str) -> list[Path]:
    out = []
    for i, (key, body) in enumerate(sorted(VARIANTS.items())):
        p = tmp_path / f"{key}.yaml"
        p.write_text(HEAD.format(name=f"m{i}", stage=stage) + body, encoding="utf-8")
        out.append(p)
    out.append(CARDS / "credit-risk.yaml")
    return out


@pytest.mark.parametrize("stage", ["validation", "deployment"])
def test_card_file_and_registry_give_identical_inputs(
    tmp_path: Path, library: PreparedPolicies, stage: str
) -> None:
    paths = _cards(tmp_path, stage)
    db = tmp_path / "g.duckdb"
    reason = "identity test"
    assert main(["--db", str(db), "register", "--import-existing", "--reason", reason,
                 *map(str, paths)]) == 0  # fmt: skip
    with Store.open(db) as store:
        lifecycle_store.add_approval(
            store, name="m0", version="1", stage=stage, role="validator", by="v@example.com",
            note=None, actor="t",
        )  # fmt: skip
        snapshot = RegistrySnapshot.read(store)
        rows = {(r["name"], r["version"]): r for r in registry.versions_with_cards(store)}
        for p in paths:
            card = load_card(p)
            _, from_file = check_card(library, card, store=store, record=False, now=NOW)
            ref = ModelRef(card.name, card.version)
            _, from_registry = check(store, library, ref, None, record=False, now=NOW)
            row = rows[(card.name, card.version)]
            bulk = snapshot.input_for(row, str(row["stage"]), now=NOW)
            assert from_file == from_registry == bulk, p
            # and the same bytes reach the engine
            assert json.dumps(from_file, sort_keys=True) == json.dumps(bulk, sort_keys=True)


def test_card_without_database_resolves_facts_as_the_registry_does(
    tmp_path: Path, library: PreparedPolicies
) -> None:
    """No database: the card is registered in memory; its facts are the registry's facts."""
    paths = _cards(tmp_path, "validation")
    db = tmp_path / "g.duckdb"
    assert main(["--db", str(db), "register", "--import-existing", "--reason", "t",
                 *map(str, paths)]) == 0  # fmt: skip
    with Store.open(db, read_only=True) as store:
        for p in paths:
            card = load_card(p)
            memory = card_input(card, "validation", {}, now=NOW)
            stored = check(store, library, ModelRef(card.name, card.version), "validation",
                           record=False, now=NOW)[1]  # fmt: skip
            for key in ("model", "provenance"):
                a, b = dict(memory[key]), dict(stored[key])
                if key == "model":
                    assert a.pop("registered_at") == NOW
                    b.pop("registered_at")
                assert a == b, (p, key)


def test_expired_facts_are_absent_on_every_path(tmp_path: Path, library: PreparedPolicies) -> None:
    card_path = tmp_path / "m.yaml"
    card_path.write_text(HEAD.format(name="m", stage="validation") + EXPIRED_LINEAGE + NESTED
                         + LIST_ITEMS)  # fmt: skip
    card = load_card(card_path)
    doc = card_input(card, "validation", {}, now=NOW)
    assert "training_data" not in doc["model"]["lineage"]
    assert doc["provenance"]["lineage.training_data"]["expired"] is True
    assert "date" not in doc["model"]["validation"]
    assert doc["model"]["uat_rounds"] == [{"round": 2, "passed": True}]  # dropped, not null
    assert doc["model"]["claimed_approvals"] == [
        {"stage": "validation", "role": "validator", "by": "self@example.com"}
    ]
    assert "approvals" not in doc["model"] and doc["approvals"] == []


@pytest.mark.parametrize("mode", ["file", "file-db", "model-db"])
def test_expired_lineage_denies_the_validation_gate_whatever_the_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: str
) -> None:
    """The issue's reproduction: the file path allowed, the registry path denied."""
    card = tmp_path / "m.yaml"
    card.write_text(HEAD.format(name="m", stage="development") + EXPIRED_LINEAGE)
    db = tmp_path / "g.duckdb"
    base = ["check", "--policies", str(POLICIES), "--stage", "validation", "-f", "json"]
    if mode == "file":
        argv = [*base, str(card)]
    else:
        imp = ["--import-existing", "--reason", "t"]
        assert main(["--db", str(db), "register", *imp, str(card)]) == 0
        target = ["--model", "m@1"] if mode == "model-db" else [str(card)]
        argv = ["--db", str(db), *base, *target]
    capsys.readouterr()
    assert main(argv) == 1
    doc = json.loads(capsys.readouterr().out)
    msgs = {v["msg"] for v in doc["violations"] if v["kind"] == "deny"}
    assert "training data lineage: not declared" in msgs
    if mode != "file":
        with Store.open(db, read_only=True) as store:  # the recorded decision is the deny
            assert store.query("SELECT result FROM decisions") == [("deny",)]
