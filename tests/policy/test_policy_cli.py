"""`govern policy test` and `govern policy list`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from govern.cli import main

GATE = """# METADATA
# title: Production gate
# custom:
#   source: SR 26-2
package govern.gates.production

import rego.v1

# METADATA
# title: Drift above the deny band
# description: PSI at or above the tier's deny threshold blocks production.
# custom:
#   source: CONTROLS.md §4.1
#   article: n/a (CONV)
#   severity: high
deny contains {"control": "MON-CSI-01", "msg": "drift"} if {
	input.psi >= 0.25
}

# METADATA
# title: Owner is named
# custom:
#   id: NIST-GV-01
#   source: NIST AI RMF GOVERN 2.1
#   severity: high
deny contains {"control": "NIST-GV-01", "msg": "no owner"} if {
	not input.owner
}
"""

TESTS = """package govern.gates.production_test

import data.govern.gates.production
import rego.v1

test_drift_fires if {
	some v in production.deny with input as {"psi": 0.3, "owner": "a"}
	v.control == "MON-CSI-01"
}

test_clean_passes if {
	count(production.deny) == 0 with input as {"psi": 0.1, "owner": "a"}
}
"""

FAILING = """
test_wrong if {
	count(production.deny) == 5 with input as {"psi": 0.1}
}

test_error if {
	1 / 0 == 1
}
"""


def test_policy_test_passes_and_reports_coverage(
    write_policies: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_policies({"gates/production.rego": GATE, "gates/production_test.rego": TESTS})
    assert main(["policy", "test", str(root), "--no-default-library", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["passed"] == 2 and doc["failed"] == 0
    [cov] = doc["coverage"]
    assert cov["path"].endswith("gates/production.rego")
    assert 0 < cov["percent"] < 100  # the owner rule's body is never reached with an owner
    assert main(["policy", "test", str(root), "--no-default-library"]) == 0
    out = capsys.readouterr().out
    assert "PASS govern.gates.production_test.test_drift_fires" in out
    assert "2 passed, 0 failed" in out


def test_policy_test_fails_on_false_undefined_and_error(
    write_policies: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_policies(
        {"gates/production.rego": GATE, "gates/production_test.rego": TESTS + FAILING}
    )
    assert main(["policy", "test", str(root), "--no-default-library", "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    failed = {t["name"]: t["error"] for t in doc["tests"] if not t["passed"]}
    assert set(failed) == {"test_wrong", "test_error"}
    assert "undefined" in failed["test_wrong"]
    assert (
        "divide by zero" in failed["test_error"] and "production_test.rego:" in failed["test_error"]
    )


def test_policy_test_with_no_tests_fails(
    write_policies: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_policies({"gates/production.rego": GATE})
    assert main(["policy", "test", str(root), "--no-default-library"]) == 1
    assert "no test_* rules found" in capsys.readouterr().out


def test_policy_list_formats(
    write_policies: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_policies({"gates/production.rego": GATE, "gates/production_test.rego": TESTS})
    assert main(["policy", "list", str(root), "--no-default-library", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    by_id = {c["id"]: c for c in doc}
    assert set(by_id) == {"govern.gates.production", "MON-CSI-01", "NIST-GV-01"}
    assert by_id["MON-CSI-01"]["article"] == "n/a (CONV)"
    assert by_id["MON-CSI-01"]["severity"] == "high"
    assert by_id["MON-CSI-01"]["scope"] == "rule"
    assert by_id["govern.gates.production"]["scope"] == "package"
    assert main(["policy", "list", str(root), "--no-default-library", "--format", "markdown"]) == 0
    md = capsys.readouterr().out.splitlines()
    assert md[0] == "| id | title | source | article | severity |"
    assert "| MON-CSI-01 | Drift above the deny band | CONTROLS.md §4.1 | n/a (CONV) | high |" in md
    assert main(["policy", "list", str(root), "--no-default-library", "--format", "xml"]) == 2


def test_policy_list_bad_metadata_names_the_line(
    write_policies: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    bad = "# METADATA\n# title: [unclosed\npackage p\n"
    root = write_policies({"p.rego": bad})
    assert main(["policy", "list", str(root), "--no-default-library"]) == 2
    assert "p.rego:" in capsys.readouterr().err


def test_shipped_library_lists_controls(capsys: pytest.CaptureFixture[str]) -> None:
    from ..conftest import POLICIES

    assert main(["policy", "list", str(POLICIES), "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) >= 6
