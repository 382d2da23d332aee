"""Refused builtins are caught before evaluation, with their location, unless allow-listed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from govern.cli import main
from govern.errors import PolicyLoadError
from govern.policy import EngineOptions, load

from .conftest import GATE_HEAD

CALLS = {
    "http.send": 'http.send({"method": "get", "url": "http://example.com"})',
    "net.lookup_ip_addr": 'net.lookup_ip_addr("example.com")',
    "net.cidr_contains": 'net.cidr_contains("10.0.0.0/8", "10.1.1.1")',
    "opa.runtime": "opa.runtime()",
    "time.now_ns": "time.now_ns()",
    "rand.intn": 'rand.intn("seed", 10)',
    "uuid.rfc4122": 'uuid.rfc4122("seed")',
}


@pytest.mark.parametrize("sandbox", [True, False], ids=["sandbox", "in-process"])
@pytest.mark.parametrize("name", sorted(CALLS))
def test_refused_builtin_is_rejected_with_location(
    write_policies: Callable[..., Path], name: str, sandbox: bool
) -> None:
    src = GATE_HEAD + f'deny contains "x" if {{\n\tv := {CALLS[name]}\n\tv == 1\n}}\n'
    root = write_policies({"gate.rego": src})
    with pytest.raises(PolicyLoadError) as info:
        load(root, options=EngineOptions(sandbox=sandbox))
    err = info.value
    assert err.line == 6 and err.column is not None
    assert f"builtin {name} is refused" in str(err)
    assert f"--allow-builtin {name}" in str(err)


def test_allow_listed_builtin_loads(write_policies: Callable[..., Path]) -> None:
    src = GATE_HEAD + 'deny contains "late" if time.now_ns() < 0\n'
    root = write_policies({"gate.rego": src})
    with pytest.raises(PolicyLoadError):
        load(root)
    with load(root, options=EngineOptions(allow_builtins=("time.now_ns",))) as prepared:
        assert prepared.decide({}, model="m", version="1", stage="production").allowed
    with load(root, options=EngineOptions(allow_builtins=("time.*",))) as prepared:
        assert prepared.bundle_hash


def test_imported_package_named_like_a_builtin_is_not_refused(
    write_policies: Callable[..., Path],
) -> None:
    root = write_policies(
        {
            "gate.rego": GATE_HEAD + 'import data.http\n\ndeny := {"x"} if http.send(1) == 2\n',
            "http.rego": "package http\n\nsend(x) := x + 1\n",
        }
    )
    with load(root) as prepared:
        d = prepared.decide({}, model="m", version="1", stage="production")
    assert not d.allowed


def test_print_never_reaches_json_stdout(
    write_policies: Callable[..., Path], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from ..conftest import CARDS, register_samples

    src = GATE_HEAD + 'deny contains "printed" if {\n\tprint("::error::from policy")\n}\n'
    root = write_policies({"gates/production.rego": src})
    db = str(tmp_path / "g.duckdb")
    assert main(["--db", db, "init"]) == 0
    register_samples(db, CARDS / "credit-risk.yaml")
    capfd.readouterr()
    for sandbox in ("--sandbox", "--no-sandbox"):
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
                str(root),
                "--format",
                "json",
                sandbox,
            ]
        )
        out, err = capfd.readouterr()
        assert rc == 1
        assert json.loads(out)["violations"][0]["msg"] == "printed"
        assert "::error::" not in out and "::error::" not in err
