"""docs/controls.md and docs/model-card.md are generated, and the checked-in ones are current."""

from __future__ import annotations

from pathlib import Path

import pytest

from govern.cli import main
from govern.policy import library_dir
from govern.policy._docs import control_reference, render_docs

from ..conftest import REPO

ORG_CONTROL = """package acme.controls.extra

import data.govern.lib
import rego.v1

# METADATA
# title: Every model names its sponsor
# custom:
#   id: ACME-SPN-01
#   source: Acme model policy 4.2
#   severity: medium
deny contains v if {
	lib.applies("ACME-SPN-01")
	lib.missing(lib.m, "sponsor.name")
	v := {"control": "ACME-SPN-01", "severity": "medium", "msg": "no sponsor"}
}
"""
ORG_DATA = """govern:
  packs:
    acme_extra: {package: acme.controls.extra, scopes: ["*"]}
  control_stages:
    ACME-SPN-01: [production]
"""


@pytest.mark.parametrize("name", ["controls.md", "model-card.md"])
def test_checked_in_docs_are_current(name: str) -> None:
    rendered = render_docs([library_dir()])[name]
    current = (REPO / "docs" / name).read_text(encoding="utf-8")
    assert current == rendered, f"docs/{name} is stale: run `govern policy docs`"


def test_every_catalogue_control_is_documented_with_its_wiring() -> None:
    entries = control_reference([library_dir()])
    text = render_docs([library_dir()])["controls.md"]
    assert entries
    for e in entries:
        assert f"## {e['control'].id}\n" in text
        assert e["wired"], e["control"].id


def test_fields_read_include_helpers_and_data_lists() -> None:
    by_id = {e["control"].id: e["reads"] for e in control_reference([library_dir()])}
    # MRM-INV-02 names its fields through govern.params.global.required_inventory_fields
    assert {"intended_use", "validation.validator_id"} <= by_id["MRM-INV-02"]["model"]
    # GATE-DEVELOPMENT reads the owner through lib.owner (owner_id, else owner)
    assert {"owner", "owner_id"} <= by_id["GATE-DEVELOPMENT"]["model"]


def test_an_organisation_control_appears_with_the_fields_it_reads(tmp_path: Path) -> None:
    org = tmp_path / "policies"
    (org / "controls").mkdir(parents=True)
    (org / "controls" / "extra.rego").write_text(ORG_CONTROL, encoding="utf-8")
    (org / "acme.yaml").write_text(ORG_DATA, encoding="utf-8")
    docs = render_docs([library_dir(), org])
    assert "## ACME-SPN-01" in docs["controls.md"]
    assert "`input.model.sponsor.name`" in docs["controls.md"]
    assert "| `sponsor.name` | ACME-SPN-01 |" in docs["model-card.md"]


def test_policy_docs_check_fails_on_stale_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "docs"
    assert main(["policy", "docs", "--out", str(out), "--check"]) == 1
    assert "controls.md: out of date" in capsys.readouterr().out
    assert main(["policy", "docs", "--out", str(out)]) == 0
    assert main(["policy", "docs", "--out", str(out), "--check"]) == 0
    (out / "model-card.md").write_text("edited by hand\n", encoding="utf-8")
    assert main(["policy", "docs", "--out", str(out), "--check"]) == 1
