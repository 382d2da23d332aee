"""`check --all` stops at the first limit instead of waiting one time limit per model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govern.cli import main
from govern.errors import PolicyLimitError
from govern.lifecycle import STAGES
from govern.policy import EngineOptions, Limits, load
from govern.runner.check import check_all
from govern.store import Store

from .conftest import registered

MODELS = 4
LIMIT_S = 3.0  # room for the bundle to load on a busy machine: the spin never ends
# CPU-bound with flat memory: 4e8 iterations, nothing collected
SPIN = (
    'deny contains "never" if {\n'
    "\tsome i in numbers.range(1, 20000)\n\tsome j in numbers.range(1, 20000)\n\ti * j < 0\n}\n"
)


@pytest.fixture
def db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    path = registered(
        tmp_path,
        {
            f"m{i}": f'name: m{i}\nversion: "1"\nowner: team@example.com\nrisk_tier: 3\n'
            "use_case: limit test\nstage: proposed\n"
            for i in range(MODELS)
        },
    )
    capsys.readouterr()
    return path


@pytest.fixture
def spinning(tmp_path: Path) -> Path:
    root = tmp_path / "spin"
    root.mkdir()
    for stage in STAGES:
        (root / f"{stage}.rego").write_text(f"package govern.gates.{stage}\n\n{SPIN}")
    return root


def _decisions(db: str) -> int:
    with Store.open(db, read_only=True) as store:
        return int(store.query("SELECT count(*) FROM decisions")[0][0])


def test_first_timeout_aborts_the_run_and_records_nothing(db: str, spinning: Path) -> None:
    options = EngineOptions(limits=Limits(timeout_s=LIMIT_S))
    with (
        load(spinning, options=options) as prepared,
        Store.open(db) as store,
        pytest.raises(PolicyLimitError) as info,
    ):
        check_all(store, prepared)
    # One time limit, not one per model: "after 0 of 4" below.
    assert info.value.reason == "timeout"
    assert str(info.value) == (
        "check --all: m0@1 (development): evaluate [data.govern.gates.development.deny]: "
        "the policy engine was stopped after 3 s (time limit); run stopped after 0 of 4 "
        "model versions and nothing recorded: a policy that reaches a limit is a bundle "
        "problem (fix the policy, or raise --timeout / --memory-limit)"
    )
    assert _decisions(db) == 0


def test_cli_check_all_limit_is_exit_2_naming_model_and_limit(
    db: str, spinning: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--db", db, "check", "--all", "--policies", str(spinning), "--format", "json"]
    rc = main([*args, "--timeout", str(LIMIT_S)])
    out, err = capsys.readouterr()
    assert rc == 2
    doc = json.loads(out)  # the report says why there is no decision, as `check` does
    assert (doc["result"], doc["exit_code"], doc["decisions"]) == ("error", 2, [])
    assert doc["error"]["code"] == "policy_limit"
    assert doc["error"]["message"].startswith("check --all: m0@1 (development): ")
    assert err.startswith("error: check --all: m0@1 (development): ")
    assert "stopped after 3 s (time limit)" in err and "Traceback" not in err
    assert _decisions(db) == 0


def test_other_policy_errors_still_stop_only_their_model(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "divide"
    root.mkdir()
    (root / "development.rego").write_text(
        "package govern.gates.development\n\n"
        'deny contains "x" if {\n\tinput.model.name == "m1"\n\t1 / 0 > 0\n}\n'
    )
    rc = main(["--db", db, "check", "--all", "--policies", str(root), "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 2
    assert [d["model"] for d in doc["decisions"]] == ["m0", "m2", "m3"]
    assert [(f["model"], f["error"]["code"]) for f in doc["failures"]] == [
        ("m1", "policy_eval_error")
    ]
    assert _decisions(db) == 3
