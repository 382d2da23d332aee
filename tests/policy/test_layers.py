"""Policy layers: the shipped library, then the organisation's directories, then overlays.

End to end through `govern.cli.main` with real Rego: a directory adds to the library
(before this change `./policies` replaced it: "package govern.gates.deployment is not
defined"), a manifest or --no-default-library replaces it, `policy init` copies it, and a
control wired to no stage or scope is refused at load with its file named.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from govern.cli import main
from govern.policy import library_dir, policy_layers
from govern.policy._bundle import read_bundle

from ..conftest import CARDS

CARD = CARDS / "credit-risk.yaml"  # at deployment; no sponsor field

ORG_CONTROL = """package acme.controls.sponsor

import data.govern.lib
import rego.v1

# METADATA
# title: Every model names its sponsor
# custom:
#   id: ACME-SPN-01
#   severity: medium
deny contains v if {
	lib.applies("ACME-SPN-01")
	lib.missing(lib.m, "sponsor")
	v := {"control": "ACME-SPN-01", "severity": "medium", "msg": "no sponsor named"}
}
"""
PACK = "govern:\n  packs:\n    acme_sponsor: {package: acme.controls.sponsor, scopes: ['*']}\n"
STAGES = "govern:\n  control_stages:\n    ACME-SPN-01: [deployment, production]\n"


def _org(root: Path, *, pack: bool = True, stages: bool = True) -> Path:
    (root / "controls").mkdir(parents=True)
    (root / "controls" / "sponsor.rego").write_text(ORG_CONTROL, encoding="utf-8")
    if pack:
        (root / "pack.yaml").write_text(PACK, encoding="utf-8")
    if stages:
        (root / "stages.yaml").write_text(STAGES, encoding="utf-8")
    return root


def _check(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["check", str(CARD), "--format", "json", *args])
    out, err = capsys.readouterr()
    return code, out, err


def _controls(out: str) -> set[str]:
    doc = json.loads(out)
    return {v["control"] for d in doc["decisions"] for v in d["violations"]}


@pytest.fixture
def library_alone(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> set[str]:
    """The controls the shipped library alone reports for CARD."""
    monkeypatch.chdir(tmp_path_factory.mktemp("empty"))
    _, out, err = _check([], capsys)
    assert out, err
    return _controls(out)


@pytest.mark.parametrize("how", ["cwd", "flag"])
def test_a_policy_directory_adds_to_the_library(
    how: str,
    library_alone: set[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    org = _org(tmp_path / "policies")
    code, out, err = _check([] if how == "cwd" else ["--policies", str(org)], capsys)
    assert code == 1, err
    assert _controls(out) == library_alone | {"ACME-SPN-01"}
    assert "ACME-SPN-01" not in library_alone


def test_directories_load_in_order_after_the_library(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    layers = policy_layers([a, b, a])
    assert layers == (library_dir(), a, b)
    (a / "x.yaml").write_text("govern: {params: {global: {air_min: 0.5}}}\n", encoding="utf-8")
    (b / "y.yaml").write_text("govern: {params: {global: {air_min: 0.7}}}\n", encoding="utf-8")
    (b / "z.rego").write_text("package acme.z\n\nimport rego.v1\n\nx := 1\n", encoding="utf-8")
    bundle = read_bundle(layers)
    assert bundle.data["govern"]["params"]["global"]["air_min"] == 0.7  # later layer wins
    assert bundle.data["govern"]["params"]["tier"]["1"]["psi_deny"] == 0.25  # library kept
    overlay = tmp_path / "o.yaml"
    overlay.write_text("govern: {params: {global: {air_min: 0.9}}}\n", encoding="utf-8")
    assert read_bundle(layers, (overlay,)).data["govern"]["params"]["global"]["air_min"] == 0.9


def test_the_library_inside_a_checkout_is_loaded_once() -> None:
    assert policy_layers([library_dir(), library_dir().resolve()]) == (library_dir(),)


@pytest.mark.parametrize("how", ["manifest", "flag"])
def test_replacing_the_library(
    how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    org = _org(tmp_path / "mine")
    args = ["--policies", str(org)]
    if how == "manifest":
        (org / ".manifest").write_text('{"roots": ["govern"]}', encoding="utf-8")
    else:
        args.append("--no-default-library")
    code, out, err = _check(args, capsys)
    # without the library there is no gate (and no govern.lib: OPA's whole-bundle compile,
    # when installed, says so first): fail closed, exit 2
    assert code == 2
    assert (
        "package govern.gates.deployment is not defined" in err
        or "undefined function data.govern.lib.applies" in err
    )


def test_no_default_library_without_a_directory_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = _check(["--no-default-library"], capsys)
    assert code == 2
    assert "--no-default-library needs at least one --policies DIR" in err


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{not json", ":1:2: invalid bundle manifest: not JSON"),
        ("[1]", ": invalid bundle manifest: the top level"),
        ('{"roots": "govern"}', ": invalid bundle manifest: `roots` must be a list"),
    ],
)
def test_a_bad_manifest_names_its_file(
    text: str,
    problem: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    org = _org(tmp_path / "policies")
    (org / ".manifest").write_text(text, encoding="utf-8")
    code, _, err = _check([], capsys)
    assert code == 2
    assert err.startswith(f"error: {Path('policies') / '.manifest'}{problem}"), err


def test_policy_init_copies_the_library_for_editing(
    library_alone: set[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["policy", "init", "policies"]) == 0
    capsys.readouterr()
    copy = tmp_path / "policies"
    assert json.loads((copy / ".manifest").read_text())["roots"] == ["govern"]
    code, out, err = _check([], capsys)
    assert _controls(out) == library_alone, err  # the copy alone decides as the library does
    gate = copy / "gates" / "deployment.rego"
    gate.write_text(
        gate.read_text(encoding="utf-8")
        + '\ndeny contains "acme: deployments are frozen" if input.stage == "deployment"\n',
        encoding="utf-8",
    )
    code, out, err = _check([], capsys)
    assert code == 1, err
    assert _controls(out) == library_alone | {"govern.gates.deployment"}
    assert main(["policy", "init", "policies"]) == 2  # never over an existing copy
    assert "already exists and is not empty" in capsys.readouterr().err


def test_a_copy_of_the_library_beside_the_library_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copytree(library_dir(), tmp_path / "policies")
    code, _, err = _check([], capsys)
    assert code == 2
    assert "a copy of a policy layer cannot be loaded beside it" in err
    assert "policy init" in err


@pytest.mark.parametrize(
    ("pack", "stages", "message"),
    [
        (False, True, "package acme.controls.sponsor defines deny but is wired to no stage"),
        (True, False, "control ACME-SPN-01 (acme.controls.sponsor) has no entry in"),
        (False, False, "package acme.controls.sponsor defines deny but is wired to no stage"),
    ],
    ids=["no-pack", "no-stages", "neither"],
)
@pytest.mark.parametrize("command", ["check", "check-all", "policy-test"])
def test_an_unwired_control_is_refused_at_load(
    pack: bool,
    stages: bool,
    message: str,
    command: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    _org(tmp_path / "policies", pack=pack, stages=stages)
    if command == "check":
        code = main(["check", str(CARD)])
    elif command == "check-all":
        code = main(["--db", str(tmp_path / "g.duckdb"), "check", "--all"])
    else:
        code = main(["policy", "test"])
    err = capsys.readouterr().err
    assert code == 2, err
    where = Path("policies") / "controls" / "sponsor.rego"
    assert err.startswith(f"error: {where}:11: {message}"), err


def test_an_explicitly_switched_off_control_loads(
    library_alone: set[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    org = _org(tmp_path / "policies")
    (org / "stages.yaml").write_text(
        "govern:\n  control_stages:\n    ACME-SPN-01: []\n", encoding="utf-8"
    )
    code, out, err = _check([], capsys)
    assert _controls(out) == library_alone, err


def test_a_pack_without_scopes_is_refused_at_load(
    library_alone: set[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    org = _org(tmp_path / "policies")
    (org / "pack.yaml").write_text(
        "govern:\n  packs:\n    acme_sponsor: {package: acme.controls.sponsor}\n",
        encoding="utf-8",
    )
    code, _, err = _check([], capsys)
    assert code == 2
    where = Path("policies") / "controls" / "sponsor.rego"
    assert err.startswith(
        f"error: {where}: govern.packs.acme_sponsor (acme.controls.sponsor) has no `scopes`"
    ), err
    (org / "pack.yaml").write_text(
        "govern:\n  packs:\n    acme_sponsor: {package: acme.controls.sponsor, scopes: []}\n",
        encoding="utf-8",
    )
    code, out, err = _check([], capsys)
    assert _controls(out) == library_alone, err  # switched off explicitly


ORG_TEST = """package acme.controls.sponsor_test

import data.acme.controls.sponsor
import rego.v1

test_no_sponsor_denied if {
	some v in sponsor.deny with input as {"stage": "production", "model": {}}
	v.control == "ACME-SPN-01"
}

test_sponsor_named_passes if {
	count(sponsor.deny) == 0 with input as {"stage": "production", "model": {"sponsor": "x"}}
}
"""


def test_policy_test_runs_a_directory_s_tests_on_top_of_the_library(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    org = _org(tmp_path / "policies")
    (org / "sponsor_test.rego").write_text(ORG_TEST, encoding="utf-8")
    assert main(["policy", "test", "policies", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert sorted(t["name"] for t in doc["tests"]) == [
        "test_no_sponsor_denied",
        "test_sponsor_named_passes",
    ]
