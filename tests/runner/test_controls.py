"""Controls a decision evaluated, and their metadata, read from the bundle's text."""

from __future__ import annotations

from pathlib import Path

from govern._bundled import POLICIES
from govern.policy import read_bundle
from govern.runner._controls import BundleControls

GATE = """package govern.gates.production

import data.govern.lib
import rego.v1

deny contains v if {
\tnot input.model.owner
\tv := {"control": "GATE-OWNER", "severity": "high", "msg": "no owner"}
}
"""
LIB = """package govern.lib

import rego.v1

base contains v if {
\tv := {"control": "GATE-CLOCK", "severity": "high", "msg": "x"}
}
"""
PACK = """package govern.controls.mon

import rego.v1

# METADATA
# title: Drift per feature
# description: PSI per feature below the band.
# custom:
#   id: MON-1
#   source: https://example.org/psi
deny contains v if {
\tv := {"control": "MON-1", "severity": "high", "msg": "x"}
}

warn contains v if {
\tv := {"control": "MON-2", "severity": "low", "msg": "x"}
}
"""
BAD_META = """package govern.controls.bad

# METADATA
# title: a: b: c
deny contains v if {
\tv := {"control": "BAD-1", "severity": "low", "msg": "x"}
}
"""
DATA = "govern:\n  control_stages:\n    MON-2: [deployment]\n"


def _bundle(tmp_path: Path) -> BundleControls:
    files = {
        "gates/production.rego": GATE,
        "lib/common.rego": LIB,
        "controls/mon.rego": PACK,
        "controls/bad.rego": BAD_META,
        "data.yaml": DATA,
        "controls/mon_test.rego": 'package t\n\nx := {"control": "TEST-ONLY"}\n',
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return BundleControls(read_bundle(tmp_path))


def test_evaluated_follows_imports_and_control_stages(tmp_path: Path) -> None:
    bc = _bundle(tmp_path)
    packages = ["govern.gates.production", "govern.controls.mon", "govern.controls.bad"]
    assert bc.evaluated(packages, "production") == ("GATE-OWNER", "MON-1", "BAD-1", "GATE-CLOCK")
    assert "MON-2" in bc.evaluated(packages, "deployment")
    assert bc.evaluated(["govern.controls.mon"], "production") == ("MON-1",)


def test_metadata_is_read_and_bad_metadata_does_not_stop_the_gate(tmp_path: Path) -> None:
    infos = {c.id: c for c in _bundle(tmp_path).infos(["MON-1", "MON-2", "BAD-1", "GATE-OWNER"])}
    assert set(infos) == {"MON-1"}
    assert infos["MON-1"].title == "Drift per feature"
    assert infos["MON-1"].source == "https://example.org/psi"


def test_the_shipped_library_every_gate_evaluates_its_baseline() -> None:
    bc = BundleControls(read_bundle(POLICIES))
    every = {
        c
        for stage in ("deployment", "production")
        for c in bc.evaluated(
            [f"govern.controls.{p}" for p in ("mrm", "monitoring", "fairness")], stage
        )
    }
    assert len(bc.infos(every)) >= 20
    for stage in ("proposed", "development", "validation", "deployment", "production"):
        evaluated = bc.evaluated([f"govern.gates.{stage}"], stage)
        assert {"GATE-CLOCK", "GATE-PARAMS", "GATE-ORDER"} <= set(evaluated), stage
