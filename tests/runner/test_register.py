"""Registration: gates up to the declared stage or an audited import; all cards or none.

Issue 11, item 6: a card declaring `stage: production` on first registration landed in
production with no gate evaluated. Item "smaller": `register` of N cards was N
transactions, and `register` on a missing database said "run govern init first".
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govern.cards import parse_card
from govern.cli import main
from govern.errors import UserInputError
from govern.lifecycle import STAGES, registration_gates
from govern.policy import load
from govern.runner.check import build_input
from govern.runner.register import register
from govern.store import Store, registry
from govern.store import lifecycle as lifecycle_store

from ..conftest import POLICIES, TODAY_NOON

CARD = """name: {name}
version: "1"
owner: dev@example.com
risk_tier: 3
use_case: testing
stage: {stage}
"""
ALLOW_ALL = 'package govern.gates.{stage}\n\nimport rego.v1\n\ndeny contains "never" if false\n'
DENY_AT = 'package govern.gates.{stage}\n\nimport rego.v1\n\ndeny contains "no {stage}" if true\n'


def _policies(tmp_path: Path, deny: str | None = None) -> Path:
    root = tmp_path / "policies"
    (root / "gates").mkdir(parents=True, exist_ok=True)
    for stage in STAGES:
        src = DENY_AT if stage == deny else ALLOW_ALL
        (root / "gates" / f"{stage}.rego").write_text(src.format(stage=stage))
    return root


def _card(tmp_path: Path, name: str, stage: str) -> Path:
    p = tmp_path / f"{name}.yaml"
    p.write_text(CARD.format(name=name, stage=stage))
    return p


def _rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with Store.open(db, read_only=True) as store:
        return store.query(sql)


PAST_PROPOSED = [s for s in STAGES if s != "proposed"]


@pytest.mark.parametrize("stage", PAST_PROPOSED)
def test_store_refuses_a_new_version_past_proposed_without_gates(db_path: Path, stage: str) -> None:
    card = parse_card(CARD.format(name="m", stage=stage), "m.yaml")
    with Store.open(db_path, create=True) as store:
        with pytest.raises(UserInputError) as info:
            registry.upsert_card(store, card)
        gates = ", ".join(registration_gates(stage))
        assert str(info.value) == registry.GATE_BYPASS.format(model="m@1", stage=stage, gates=gates)
        assert store.query("SELECT count(*) FROM model_versions") == [(0,)]
        assert store.query("SELECT count(*) FROM lifecycle_events") == [(0,)]


@pytest.mark.parametrize("stage", PAST_PROPOSED)
def test_cli_registration_evaluates_every_gate_up_to_the_stage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], stage: str
) -> None:
    db = tmp_path / "g.duckdb"
    card = _card(tmp_path, "m", stage)
    assert (
        main(["--db", str(db), "register", "--policies", str(_policies(tmp_path)), str(card)]) == 0
    )
    assert f"created m@1 at {stage}" in capsys.readouterr().out
    gates = list(registration_gates(stage))
    assert _rows(db, "SELECT stage FROM model_versions") == [(stage,)]
    decided = _rows(db, "SELECT stage, result FROM decisions ORDER BY decided_at")
    assert sorted(decided) == sorted((g, "allow") for g in gates)
    events = _rows(
        db,
        """SELECT e.from_stage, e.to_stage, d.stage FROM lifecycle_events e
           LEFT JOIN decisions d USING (decision_id) ORDER BY occurred_at""",
    )
    chain = [(None, "proposed", None)]
    previous = "proposed"
    for g in gates:
        chain.append((previous, g, g))
        previous = g
    assert events == chain
    with Store.open(db, read_only=True) as store:
        doc = build_input(store, "m", "1", stage, now=TODAY_NOON)
    assert (doc["registration"]["kind"], doc["registration"]["stage"]) == ("registered", stage)


@pytest.mark.parametrize("denied", ["development", "validation", "deployment", "production"])
def test_a_denied_gate_registers_nothing_and_records_the_decisions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], denied: str
) -> None:
    db = tmp_path / "g.duckdb"
    ok = _card(tmp_path, "ok", "proposed")
    bad = _card(tmp_path, "bad", "production")
    policies = _policies(tmp_path, deny=denied)
    rc = main(["--db", str(db), "register", "--policies", str(policies), str(ok), str(bad)])
    out = capsys.readouterr().out
    assert rc == 1
    assert f"DENIED bad@1: gate {denied}" in out and "nothing registered" in out
    assert _rows(db, "SELECT count(*) FROM model_versions") == [(0,)]  # not even `ok`
    assert _rows(db, "SELECT count(*) FROM lifecycle_events") == [(0,)]
    gates = registration_gates("production")
    expected = [(g, "allow") for g in gates[: gates.index(denied)]] + [(denied, "deny")]
    assert sorted(_rows(db, "SELECT stage, result FROM decisions")) == sorted(expected)


def test_the_default_library_denies_a_tier_1_card_registered_at_production(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ..conftest import CARDS

    db = tmp_path / "g.duckdb"
    card = CARDS / "credit-risk.yaml"
    text = card.read_text().replace("stage: deployment", "stage: production")
    (tmp_path / "credit-risk.yaml").write_text(text)
    rc = main(
        [
            "--db",
            str(db),
            "register",
            "--policies",
            str(POLICIES),
            str(tmp_path / "credit-risk.yaml"),
        ]
    )
    assert rc == 1
    assert "MRM-GOV-01" in capsys.readouterr().out  # its own `approvals:` do not count
    assert _rows(db, "SELECT count(*) FROM model_versions") == [(0,)]


def test_import_is_audited_and_visible_to_policies_and_the_inventory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "g.duckdb"
    card = _card(tmp_path, "m", "production")
    reason = "in production since 2019, before govern"
    argv = ["--db", str(db), "--quiet", "register", "--import-existing", "--reason", reason]
    assert main([*argv, "--actor", "ops", str(card)]) == 0
    assert _rows(db, "SELECT stage FROM model_versions") == [("production",)]
    assert _rows(db, "SELECT count(*) FROM decisions") == [(0,)]
    assert _rows(db, "SELECT action, to_stage, actor FROM lifecycle_events") == [
        ("import", "production", "ops")
    ]
    audit = _rows(db, "SELECT action, actor, payload FROM audit_log WHERE action = 'register'")
    assert [(a, who, json.loads(p)["result"], json.loads(p)["reason"]) for a, who, p in audit] == [
        ("register", "ops", "imported", reason)
    ]
    with Store.open(db, read_only=True) as store:
        doc = build_input(store, "m", "1", "production", now=TODAY_NOON)
        rows = lifecycle_store.inventory(store)
    assert doc["registration"] == {
        "kind": "imported",
        "stage": "production",
        "at": doc["registration"]["at"],
        "actor": "ops",
        "reason": reason,
    }
    assert [(r["imported"], r["import_reason"]) for r in rows] == [(True, reason)]
    capsys.readouterr()
    assert main(["--db", str(db), "inventory", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["imported"] is True
    assert main(["--db", str(db), "inventory"]) == 0
    assert "production (imported)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--import-existing"], "--import-existing needs --reason TEXT"),
        (["--import-existing", "--reason", "  "], "--import-existing needs --reason TEXT"),
        (["--reason", "why"], "--reason is only used with --import-existing"),
    ],
)
def test_import_needs_a_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str], message: str
) -> None:
    db = tmp_path / "g.duckdb"
    card = _card(tmp_path, "m", "production")
    assert main(["--db", str(db), "register", *flags, str(card)]) == 2
    assert message in capsys.readouterr().err
    assert not db.exists()


def test_register_creates_a_missing_database(tmp_path: Path) -> None:
    db = tmp_path / "new.duckdb"
    assert main(["--db", str(db), "register", str(_card(tmp_path, "m", "proposed"))]) == 0
    assert _rows(db, "SELECT name, stage FROM model_versions") == [("m", "proposed")]


def test_n_cards_are_one_transaction(tmp_path: Path) -> None:
    """A failure on the last card (here: a stage changed concurrently) rolls back all."""
    db = tmp_path / "g.duckdb"
    cards = [
        parse_card(CARD.format(name=f"m{i}", stage="proposed"), f"m{i}.yaml") for i in range(3)
    ]
    with Store.open(db, create=True) as store:
        registry.upsert_card(store, parse_card(CARD.format(name="m2", stage="proposed"), "x"))
        before = store.query("SELECT count(*) FROM audit_log")
        plans = [registry.Plan(c) for c in cards[:2]]
        bad = parse_card(CARD.format(name="m9", stage="validation"), "m9.yaml")
        with pytest.raises(UserInputError, match="m9@1: the card declares stage 'validation'"):
            registry.register_cards(store, [*plans, registry.Plan(bad)])
        assert store.query("SELECT name FROM model_versions") == [("m2",)]
        assert store.query("SELECT count(*) FROM audit_log") == before


def test_register_evaluates_policies_only_when_a_gate_is_needed(db_path: Path) -> None:
    def never() -> object:
        raise AssertionError("policies loaded for a registration without gates")

    cards = [
        parse_card(CARD.format(name="a", stage="proposed"), "a.yaml"),
        parse_card(CARD.format(name="b", stage="production"), "b.yaml"),
    ]
    with Store.open(db_path, create=True) as store:
        out = register(store, cards, policies=never, import_reason="legacy")  # type: ignore[arg-type]
        assert [(i.result, i.stage) for i in out.items] == [
            ("imported", "proposed"),
            ("imported", "production"),
        ]
        # re-registering never moves the stage and needs no gate either
        again = register(store, cards, policies=never)  # type: ignore[arg-type]
        assert [(i.result, i.stage) for i in again.items] == [
            ("updated", "proposed"),
            ("updated", "production"),
        ]


def test_two_cards_for_one_version_are_refused(db_path: Path) -> None:
    card = parse_card(CARD.format(name="a", stage="proposed"), "a.yaml")
    with (
        Store.open(db_path, create=True) as store,
        pytest.raises(UserInputError, match="a@1 is declared by two model cards"),
    ):
        register(store, [card, card], policies=lambda: load(POLICIES))
