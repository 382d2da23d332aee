"""Time limits: NaN, infinities and negatives are usage errors; commands honour the lock limit."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from govern.cli import main
from govern.errors import StoreError, UserInputError
from govern.policy import Limits
from govern.store import Store

from ..conftest import CARDS, register_samples

BAD = ["nan", "NaN", "inf", "-inf", "-1"]
POLICIES = Path(__file__).resolve().parents[2] / "policies"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "g.duckdb"
    assert main(["--db", str(path), "init"]) == 0
    register_samples(path, CARDS / "credit-risk.yaml")
    return path


@pytest.mark.parametrize("value", BAD)
def test_lock_timeout_flag_refuses(
    db: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    capsys.readouterr()
    assert main(["--db", str(db), "--lock-timeout", value, "inventory"]) == 2
    assert "--lock-timeout" in capsys.readouterr().err


@pytest.mark.parametrize("value", BAD)
def test_lock_timeout_env_refuses(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("GOVERN_LOCK_TIMEOUT", value)
    capsys.readouterr()
    assert main(["--db", str(db), "inventory"]) == 2
    assert "lock-timeout" in capsys.readouterr().err.lower()


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "0", "-1"])
@pytest.mark.parametrize("command", ["check", "policy-test"])
def test_policy_timeout_refuses(
    capsys: pytest.CaptureFixture[str], value: str, command: str
) -> None:
    if command == "check":
        args = ["check", str(CARDS / "credit-risk.yaml"), "--policies", str(POLICIES)]
    else:
        args = ["policy", "test", str(POLICIES)]
    assert main([*args, "--timeout", value]) == 2
    assert "--timeout" in capsys.readouterr().err


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -1.0])
def test_library_limits_refuse_non_finite(value: float, db: Path) -> None:
    with pytest.raises(UserInputError):
        Limits(timeout_s=value)
    with pytest.raises(StoreError, match="lock timeout must be finite"):
        Store.open(db, lock_timeout=value)


HOLD = """
import sys, time
from govern.store import Store
s = Store.open(sys.argv[1])
print("READY", flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--model", "credit-risk@3", "--policies", str(POLICIES)],
        ["check", str(CARDS / "credit-risk.yaml"), "--policies", str(POLICIES)],
        ["approve", "credit-risk@3", "--stage", "production", "--role", "owner", "--by", "a"],
    ],
    ids=["check-model", "check-card-db", "approve"],
)
def test_commands_honour_lock_timeout(
    db: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "READY"
        capsys.readouterr()
        rc = main(["--db", str(db), "--lock-timeout", "0", *args])
        err = capsys.readouterr().err
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    assert rc == 2, err
    # with a limit of 0 the first refusal ends the wait; the default would retry for 10 s
    waited = re.search(r"stayed locked for ([0-9.]+) s", err)
    assert waited is not None, err
    assert float(waited.group(1)) < 5.0
