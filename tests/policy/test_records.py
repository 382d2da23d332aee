"""Decision records, check --all, replay, and the canonical input hash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from govern.cli import main
from govern.policy import input_hash, load
from govern.policy._input import canonical_json
from govern.runner.check import check_all, target_stage
from govern.runner.replay import replay
from govern.store import Store

from ..conftest import CARDS, POLICIES, TODAY_NOON, register_samples

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(st.text(), json_values, max_size=5))
def test_canonical_json_matches_rfc8785(doc: dict) -> None:
    try:
        expected = rfc8785.dumps(doc)
    except (rfc8785.CanonicalizationError, ValueError):
        return  # outside JCS's domain (e.g. ints beyond 2**53): the hash path raises too
    assert canonical_json(doc) == expected


def test_input_hash_is_stable_across_key_order() -> None:
    a = {"b": 1.0, "a": [1, {"y": 0.5, "x": "é"}]}
    b = {"a": [1, {"x": "é", "y": 0.5}], "b": 1}
    assert input_hash(a) == input_hash(b)


@pytest.mark.parametrize(
    ("current", "target"),
    [("proposed", "development"), ("deployment", "production"), ("production", "production")],
)
def test_target_stage(current: str, target: str) -> None:
    assert target_stage(current) == target


@pytest.fixture
def db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    path = str(tmp_path / "g.duckdb")
    assert main(["--db", path, "init"]) == 0
    register_samples(path, *(CARDS / f"{m}.yaml" for m in ("credit-risk", "fraud-detect")))
    capsys.readouterr()
    return path


def test_check_all_records_every_decision_and_replays(db: str) -> None:
    with load(POLICIES) as prepared, Store.open(db) as store:
        outcomes = check_all(store, prepared, now=TODAY_NOON)
        assert [(o.model, o.stage, o.error) for o in outcomes] == [
            ("credit-risk", "production", None),
            ("fraud-detect", "production", None),
        ]
        stored = store.query("SELECT decision_id, result, engine FROM decisions ORDER BY name")
        assert [(r[1], r[2]) for r in stored] == [("deny", "regorus"), ("deny", "regorus")]
        for decision_id, _, _ in stored:
            result = replay(store, prepared, decision_id)
            assert result.reproduced
            assert json.loads(json.dumps(result.stored["input"]))["now"] == TODAY_NOON


def test_check_all_stores_the_input_it_evaluated_and_the_chain_verifies(db: str) -> None:
    from govern.policy import encode_input
    from govern.runner.bulk_input import RegistrySnapshot
    from govern.store import audit, registry

    with load(POLICIES) as prepared, Store.open(db) as store:
        check_all(store, prepared, now=TODAY_NOON)
        snapshot = RegistrySnapshot.read(store)
        for row in registry.versions_with_cards(store):
            doc = snapshot.input_for(row, target_stage(str(row["stage"])), now=TODAY_NOON)
            (text, digest), *_ = store.query(
                "SELECT input, input_hash FROM decisions WHERE name = ?", [row["name"]]
            )
            assert text == encode_input(doc)  # the very text the engine evaluated
            assert digest == input_hash(doc)
        assert audit.verify(store.conn).ok


def test_replay_reports_a_changed_bundle(db: str, tmp_path: Path) -> None:
    with load(POLICIES) as prepared, Store.open(db) as store:
        check_all(store, prepared)
        decision_id = store.query("SELECT decision_id FROM decisions LIMIT 1")[0][0]
    changed = tmp_path / "changed"
    changed.mkdir()
    for p in POLICIES.rglob("*"):
        if p.is_file():
            dest = changed / p.relative_to(POLICIES)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(p.read_bytes())
    extra = (
        '\ndeny contains {"control": "T-CHANGED", "msg": "changed", "severity": "high"} if true\n'
    )
    for gate in (changed / "gates").glob("*.rego"):
        gate.write_text(gate.read_text() + extra)
    with load(changed) as prepared, Store.open(db) as store:
        result = replay(store, prepared, decision_id)
    assert not result.same_bundle and result.same_input
    assert not result.same_outcome


def test_cli_check_all_and_replay(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["--db", db, "check", "--all", "--policies", str(POLICIES), "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 1
    assert {d["model"] for d in doc["decisions"]} == {"credit-risk", "fraud-detect"}
    assert (doc["result"], doc["exit_code"], doc["failures"]) == ("deny", 1, [])
    decision_id = doc["decisions"][0]["decision_id"]
    assert main(["--db", db, "decision", "replay", decision_id, "--policies", str(POLICIES)]) == 0
    assert "same outcome: True" in capsys.readouterr().out
    assert main(["--db", db, "decision", "replay", "nope", "--policies", str(POLICIES)]) == 2
    assert "unknown decision 'nope'" in capsys.readouterr().err


def test_cli_check_usage_errors(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", db, "check", "--all", "--model", "credit-risk@3"]) == 2
    assert main(["--db", db, "check", "--model", "credit-risk@3", "--format", "xml"]) == 2


def test_cli_policy_error_is_exit_2_without_traceback(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad"
    (bad / "gates").mkdir(parents=True)
    (bad / "gates" / "production.rego").write_text(
        "package govern.gates.production\n\nimport rego.v1\n\ndeny contains 1 if { 1 / 0 }\n"
    )
    rc = main(["--db", db, "check", "--all", "--policies", str(bad), "--format", "json"])
    out = capsys.readouterr()
    assert rc == 2
    doc = json.loads(out.out)
    assert (doc["result"], doc["allowed"], doc["exit_code"], doc["decisions"]) == (
        "error",
        False,
        2,
        [],
    )
    assert [f["model"] for f in doc["failures"]] == ["credit-risk", "fraud-detect"]
    for f in doc["failures"]:
        error = f["error"]
        assert (error["code"], error["exit_code"], error["line"]) == ("policy_eval_error", 2, 5)
        assert error["path"].endswith("production.rego") and "divide by zero" in error["message"]
    assert doc["summary"]["undecided"] == 2
    assert "Traceback" not in out.out + out.err
    # --no-fail reports, but "not decided" is never a pass
    rc = main(["--db", db, "check", "--all", "--policies", str(bad), "--no-fail", "-q"])
    text = capsys.readouterr().out
    assert rc == 2 and "credit-risk@3 → production: NOT DECIDED (policy_eval_error)" in text
    rc = main(
        [
            "--db",
            db,
            "check",
            "--model",
            "credit-risk@3",
            "--stage",
            "production",
            "--policies",
            str(bad),
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("error: ") and "production.rego:5:" in err
    assert "Traceback" not in err
