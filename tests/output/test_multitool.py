"""SARIF through Microsoft's SARIF multitool with its GitHub code-scanning rules.

The multitool (npm `@microsoft/sarif-multitool`, installed by .ci/run) checks what the
JSON schema cannot: rule metadata GitHub requires (GH2012 fullDescription), URI syntax
(SARIF1002), Pascal-case rule names (SARIF2012). Skipped where it is not installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from govern.output import Report, get_reporter


def _binary() -> str | None:
    """The platform binary itself: the npm wrapper runs it through a shell, word-splitting
    paths and reading ";" in --rule-kind as a command separator."""
    wrapper = shutil.which("sarif-multitool")
    if wrapper is None:
        return None
    package = Path(os.path.realpath(wrapper)).parent
    found = sorted(package.glob("node_modules/@microsoft/sarif-multitool-*/Sarif.Multitool"))
    found += sorted(package.parent.glob("sarif-multitool-*/Sarif.Multitool"))
    return str(found[0]) if found and os.access(found[0], os.X_OK) else None


MULTITOOL = _binary()
# informationUri: govern has no project web page to name yet
ACCEPTED_WARNINGS = {"SARIF2005"}

pytestmark = pytest.mark.skipif(
    MULTITOOL is None, reason="sarif-multitool not installed (npm i -g @microsoft/sarif-multitool)"
)


def _validate(doc: str, tmp_path: Path) -> list[dict]:
    log = tmp_path / "govern.sarif"
    log.write_text(doc, encoding="utf-8")
    out = tmp_path / "validation.sarif"
    assert MULTITOOL is not None
    run = subprocess.run(
        [MULTITOOL, "validate", "--rule-kind", "Gh;Sarif", "--level", "Error;Warning"]
        + ["--log", "ForceOverwrite", "-o", str(out), str(log)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.exists(), run.stdout + run.stderr
    results = json.loads(out.read_text(encoding="utf-8-sig"))["runs"][0].get("results", [])
    return [r for r in results if r.get("level") == "error" or r["ruleId"] not in ACCEPTED_WARNINGS]


@pytest.mark.parametrize("which", ["mixed", "clean", "failed"])
def test_multitool_with_github_rules_finds_no_problem(
    which: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    report: Report = request.getfixturevalue(which)
    problems = _validate(get_reporter("sarif").render(report), tmp_path)
    assert problems == [], [p["message"] for p in problems]


def test_multitool_catches_what_govern_used_to_write(mixed: Report, tmp_path: Path) -> None:
    doc = json.loads(get_reporter("sarif").render(mixed))
    run = doc["runs"][0]
    del run["tool"]["driver"]["rules"][0]["fullDescription"]
    loc = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    loc["uri"] = "team a/models/fraud, detect.yaml"
    found = {p["ruleId"] for p in _validate(json.dumps(doc), tmp_path)}
    assert {"GH2012", "SARIF1002"} <= found
