"""Retraining triggers seen by policies, end to end through the CLI (real DuckDB and Rego).

credit-risk@3 (production) drifts, `govern monitor` opens its retraining trigger; a new
version is refused promotion to deployment by MON-RTR-01 until `govern events link` names
it as the replacement; a version not named stays refused; `events ack` closes the trigger.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from govern.cli import main

from .conftest import REF, Env

NOT_TRIGGER_MSG = "only a retraining_required event takes a replacement"


def _run(env: Env, *args: str) -> int:
    return main(["--db", str(env.db), *args])


def _new_version(env: Env, version: str) -> Path:
    """Register credit-risk@VERSION at validation (audited import) with its committee approval."""
    text = (env.cards / "credit-risk.yaml").read_text(encoding="utf-8")
    text = text.replace('\nversion: "3"\n', f'\nversion: "{version}"\n')
    text = text.replace("\nstage: production\n", "\nstage: validation\n")
    card = env.cards / f"credit-risk-{version}.yaml"
    card.write_text(text, encoding="utf-8")
    assert _run(env, "register", str(card), "--import-existing", "--reason", "retrained") == 0
    ref = f"credit-risk@{version}"
    assert _run(env, "approve", ref, "--stage", "deployment", "--role", "committee",
                "--by", "mrc@example.com") == 0  # fmt: skip
    return card


def _trigger(env: Env, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    capsys.readouterr()
    assert _run(env, "events", "--open", "--model", REF, "--json") == 0
    docs = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    [trigger] = [d for d in docs if d["type"] == "retraining_required"]
    return trigger


def _promote(env: Env, ref: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = _run(env, "promote", ref, "--to", "deployment", "--format", "json")
    return code, capsys.readouterr().out


def _last_input(env: Env, ref: str) -> dict[str, object]:
    name, version = ref.split("@")
    con = duckdb.connect(str(env.db), read_only=True)
    try:
        [(doc,)] = con.execute(
            "SELECT input FROM decisions WHERE name = ? AND version = ? "
            "ORDER BY decided_at DESC LIMIT 1",
            [name, version],
        ).fetchall()
    finally:
        con.close()
    return dict(json.loads(doc))


def _last_controls(env: Env, ref: str) -> set[str]:
    name, version = ref.split("@")
    con = duckdb.connect(str(env.db), read_only=True)
    try:
        [(violations,)] = con.execute(
            "SELECT violations FROM decisions WHERE name = ? AND version = ? "
            "ORDER BY decided_at DESC LIMIT 1",
            [name, version],
        ).fetchall()
    finally:
        con.close()
    return {str(v["control"]) for v in json.loads(violations)}


def test_open_trigger_blocks_promotion_until_linked(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    _new_version(env, "4")
    _new_version(env, "5")
    code, _ = _promote(env, "credit-risk@4", capsys)
    assert code == 0  # no trigger yet: the gate allows (then roll the stage back by test design)
    assert _run(env, "promote", "credit-risk@5", "--to", "deployment", "--dry-run") == 0

    env.write_logs({"income": 0.5})  # deny-band drift: monitor opens a retraining trigger
    assert _run(env, "monitor", REF) == 0
    trigger = _trigger(env, capsys)

    code, out = _promote(env, "credit-risk@5", capsys)
    assert code == 1
    assert "MON-RTR-01" in out
    assert f"predecessor version 3 has an open trigger {trigger['event_id']}" in out
    seen = _last_input(env, "credit-risk@5")["retraining"]
    assert seen == {
        "open": [],
        "predecessors": [
            {
                "version": "3",
                "event_id": trigger["event_id"],
                "raised_at": trigger["created_at"],
                "controls": ["MON-CSI-01"],
                "replaced_by": None,
            }
        ],
    }

    # the replacement is linked (audited); the trigger stays open
    capsys.readouterr()
    assert _run(env, "events", "link", str(trigger["event_id"]), "--replaced-by", "credit-risk@5",
                "--by", "ana", "--note", "retrained on 2026 data") == 0  # fmt: skip
    assert "replaced by credit-risk@5" in capsys.readouterr().out
    assert _trigger(env, capsys)["replaced_by"] == "credit-risk@5"
    code, out = _promote(env, "credit-risk@5", capsys)
    assert code == 0, out

    # a version not named as the replacement is still refused, through a card check too
    card6 = _new_version(env, "6")
    code, out = _promote(env, "credit-risk@6", capsys)
    assert code == 1 and "names credit-risk@5 as its replacement, not this version" in out
    capsys.readouterr()
    assert _run(env, "check", str(card6), "--stage", "deployment") == 1
    assert "MON-RTR-01" in capsys.readouterr().out

    # the model the trigger concerns keeps being monitored: its re-check is not a promotion
    assert _run(env, "monitor", REF) == 0
    rechecked = _last_input(env, REF)
    assert [t["version"] for t in rechecked["retraining"]["open"]] == ["3"]  # type: ignore[index]
    assert "MON-RTR-01" not in _last_controls(env, REF)

    # acknowledged: no longer open, no longer in any input
    assert _run(env, "events", "ack", str(trigger["event_id"]), "--by", "ana",
                "--note", "credit-risk@5 in deployment") == 0  # fmt: skip
    code, out = _promote(env, "credit-risk@6", capsys)
    assert code == 0, out
    assert _last_input(env, "credit-risk@6")["retraining"] == {"open": [], "predecessors": []}

    con = duckdb.connect(str(env.db), read_only=True)
    try:
        audit = con.execute(
            "SELECT actor, payload->>'$.replaced_by' FROM audit_log WHERE action = 'event_link'"
        ).fetchall()
    finally:
        con.close()
    assert audit == [("ana", "credit-risk@5")]
    assert _run(env, "audit", "verify") == 0


def test_a_rollback_to_an_older_version_is_not_blocked(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    """A later version's trigger is not shown to an earlier one."""
    _new_version(env, "4")
    env.write_logs({"income": 0.5})
    assert _run(env, "monitor", REF) == 0
    assert _run(env, "check", "--model", "credit-risk@4", "--stage", "deployment") == 1
    assert _last_input(env, "credit-risk@4")["retraining"]["predecessors"]  # type: ignore[index]
    # fraud-detect@7 is another model: credit-risk's trigger is not its predecessor's
    assert _run(env, "check", "--model", "fraud-detect@7", "--stage", "deployment") in (0, 1)
    assert _last_input(env, "fraud-detect@7")["retraining"] == {"open": [], "predecessors": []}


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("credit-risk@99", "unknown model 'credit-risk@99'"),
        ("credit-risk", "needs NAME@VERSION"),
        ("credit-risk@3", "is credit-risk@3's own trigger"),
    ],
)
def test_link_refuses_a_bad_replacement(
    env: Env, capsys: pytest.CaptureFixture[str], target: str, message: str
) -> None:
    env.write_logs({"income": 0.5})
    assert _run(env, "monitor", REF) == 0
    trigger = _trigger(env, capsys)
    code = _run(env, "events", "link", str(trigger["event_id"]), "--replaced-by", target,
                "--by", "ana")  # fmt: skip
    assert code == 2 and message in capsys.readouterr().err
    assert _trigger(env, capsys)["replaced_by"] is None


def test_link_refuses_other_events_and_closed_triggers(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    _new_version(env, "4")
    env.write_logs({"income": 0.5})
    assert _run(env, "monitor", REF) == 0
    capsys.readouterr()
    assert _run(env, "events", "--model", REF, "--json") == 0
    docs = {d["type"]: d for d in map(json.loads, capsys.readouterr().out.splitlines())}
    gate = docs["gate_denied"]["event_id"]
    assert _run(env, "events", "link", gate, "--replaced-by", "credit-risk@4", "--by", "a") == 2
    assert NOT_TRIGGER_MSG in capsys.readouterr().err
    trig = docs["retraining_required"]["event_id"]
    assert _run(env, "events", "ack", trig, "--by", "a", "--note", "n") == 0
    assert _run(env, "events", "link", trig, "--replaced-by", "credit-risk@4", "--by", "a") == 2
    assert "already acknowledged by a" in capsys.readouterr().err
    assert _run(env, "events", "link", "nope", "--replaced-by", "credit-risk@4", "--by", "a") == 2


@pytest.mark.parametrize(
    ("rows", "shift", "trigger"),
    [
        (100, {}, False),  # too few rows: drift could not be measured (a monitoring problem)
        (100, {"income": 0.5}, False),  # drifted, but not measurable either
        (None, {"income": 0.5}, True),  # measured in the deny band: retrain
    ],
    ids=["few-rows", "few-rows-drifted", "measured-drift"],
)
def test_only_measured_deny_band_findings_raise_a_trigger(
    env: Env,
    capsys: pytest.CaptureFixture[str],
    rows: int | None,
    shift: dict[str, float],
    trigger: bool,
) -> None:
    import pyarrow.parquet as pq

    path = env.write_logs(shift)
    if rows is not None:
        pq.write_table(pq.read_table(path).slice(0, rows), path)
    assert _run(env, "monitor", REF) == 0
    capsys.readouterr()
    assert _run(env, "events", "--model", REF, "--json") == 0
    types = sorted(json.loads(x)["type"] for x in capsys.readouterr().out.splitlines())
    assert types == (["gate_denied", "retraining_required"] if trigger else ["gate_denied"])


def test_every_input_path_sees_the_same_triggers(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    """check CARD (with the database), check --model, and check --all's bulk snapshot."""
    from govern.cards import load_card
    from govern.lifecycle import ModelRef
    from govern.policy import load
    from govern.runner.bulk_input import RegistrySnapshot
    from govern.runner.check import check, check_card
    from govern.store import Store, registry

    from ..conftest import POLICIES, TODAY_NOON

    card4 = _new_version(env, "4")
    env.write_logs({"income": 0.5})
    assert _run(env, "monitor", REF) == 0
    trigger = _trigger(env, capsys)
    prepared = load(POLICIES)
    try:
        with Store.open(env.db) as store:
            snapshot = RegistrySnapshot.read(store)
            rows = {(r["name"], r["version"]): r for r in registry.versions_with_cards(store)}
            for path, version in ((env.cards / "credit-risk.yaml", "3"), (card4, "4")):
                card = load_card(path)
                _, from_file = check_card(prepared, card, store=store, record=False, now=TODAY_NOON)
                ref = ModelRef("credit-risk", version)
                _, from_model = check(store, prepared, ref, None, record=False, now=TODAY_NOON)
                row = rows[("credit-risk", version)]
                bulk = snapshot.input_for(row, str(row["stage"]), now=TODAY_NOON)
                assert from_file["retraining"] == from_model["retraining"] == bulk["retraining"]
                mine = from_model["retraining"]
                where = "open" if version == "3" else "predecessors"
                assert [t["event_id"] for t in mine[where]] == [trigger["event_id"]]
                assert mine["open" if where == "predecessors" else "predecessors"] == []
    finally:
        prepared.close()


def test_registration_gates_see_the_predecessors_triggers(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    """A new version registered straight into deployment passes the same gate as a promotion."""
    env.write_logs({"income": 0.5})
    assert _run(env, "monitor", REF) == 0
    trigger = _trigger(env, capsys)
    text = (env.cards / "credit-risk.yaml").read_text(encoding="utf-8")
    text = text.replace('\nversion: "3"\n', '\nversion: "4"\n')
    card = env.cards / "credit-risk-4.yaml"
    card.write_text(text.replace("\nstage: production\n", "\nstage: deployment\n"), "utf-8")
    capsys.readouterr()
    assert _run(env, "register", str(card)) == 1
    assert "MON-RTR-01" in capsys.readouterr().out
    seen = _last_input(env, "credit-risk@4")["retraining"]
    assert [t["event_id"] for t in seen["predecessors"]] == [trigger["event_id"]]  # type: ignore[index]
