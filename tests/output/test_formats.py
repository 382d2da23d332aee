"""Each format's document, checked against its schema or the consumer's grammar."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from govern.output import Report, get_reporter

from ..conftest import REPO

SARIF_SCHEMA = Path(__file__).parent / "sarif-2.1.0-subset.schema.json"
JSON_SCHEMA = REPO / "docs" / "check-json-schema.json"


def _validator(path: Path) -> jsonschema.protocols.Validator:
    schema = json.loads(path.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@pytest.mark.parametrize("which", ["mixed", "clean"])
def test_json_follows_the_documented_schema(which: str, request: pytest.FixtureRequest) -> None:
    report: Report = request.getfixturevalue(which)
    doc = json.loads(get_reporter("json").render(report))
    _validator(JSON_SCHEMA).validate(doc)


def test_json_keeps_the_decision_record_and_locations(mixed: Report) -> None:
    doc = json.loads(get_reporter("json").render(mixed))
    assert doc["result"] == "deny" and doc["exit_code"] == 1
    record = doc["decisions"][1]
    expected = mixed.models[1].decision.to_dict()
    for key in ("decision_id", "bundle_hash", "input_hash", "engine", "decided_at", "packages"):
        assert record[key] == expected[key]
    assert record["violations"][0]["location"] == {
        "card": "models/fraud, detect.yaml",
        "line": 12,
        "field": "monitoring.features",
    }
    assert [(v["model"], v["kind"]) for v in doc["violations"]] == [
        ("fraud-detect", "deny"),
        ("fraud-detect", "warn"),
    ]


def test_json_schema_rejects_a_wrong_document(mixed: Report) -> None:
    doc = json.loads(get_reporter("json").render(mixed))
    doc["result"] = "maybe"
    with pytest.raises(jsonschema.ValidationError):
        _validator(JSON_SCHEMA).validate(doc)


@pytest.mark.parametrize("which", ["mixed", "clean"])
def test_sarif_validates(which: str, request: pytest.FixtureRequest) -> None:
    report: Report = request.getfixturevalue(which)
    _validator(SARIF_SCHEMA).validate(json.loads(get_reporter("sarif").render(report)))


def test_sarif_rules_are_controls_and_locations_are_card_lines(mixed: Report) -> None:
    doc = json.loads(get_reporter("sarif").render(mixed))
    run = doc["runs"][0]
    assert doc["version"] == "2.1.0"
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["MON-CSI-01", "DQ-MISS-01"]
    first, second = run["results"]
    assert (first["ruleId"], first["level"], first["ruleIndex"]) == ("MON-CSI-01", "error", 0)
    assert second["level"] == "warning"
    phys = first["locations"][0]["physicalLocation"]
    assert phys["artifactLocation"]["uri"] == "models/fraud, detect.yaml"
    assert phys["region"]["startLine"] == 12
    assert second["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
    assert run["invocations"][0]["exitCode"] == 1


def test_sarif_subset_schema_rejects_what_sarif_rejects(mixed: Report) -> None:
    doc = json.loads(get_reporter("sarif").render(mixed))
    validator = _validator(SARIF_SCHEMA)
    bad_line = json.loads(json.dumps(doc))
    bad_line["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    bad_level = json.loads(json.dumps(doc))
    bad_level["runs"][0]["results"][0]["level"] = "fatal"
    unknown_key = json.loads(json.dumps(doc))
    unknown_key["runs"][0]["results"][0]["severity"] = "high"
    for bad in (bad_line, bad_level, unknown_key):
        with pytest.raises(jsonschema.ValidationError):
            validator.validate(bad)


def test_junit_one_case_per_control_failures_for_deny(mixed: Report) -> None:
    root = ET.fromstring(get_reporter("junit").render(mixed).split("\n", 1)[1])
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures")) == ("3", "1")
    allowed, denied = root.findall("testsuite")
    assert [c.get("name") for c in allowed.findall("testcase")] == ["production gate"]
    cases = {c.get("name"): c for c in denied.findall("testcase")}
    assert set(cases) == {"MON-CSI-01", "DQ-MISS-01"}
    failure = cases["MON-CSI-01"].find("failure")
    assert failure is not None and failure.get("type") == "high"
    assert "models/fraud, detect.yaml:12" in (failure.text or "")
    assert cases["DQ-MISS-01"].find("failure") is None
    assert "WARN medium DQ-MISS-01" in (cases["DQ-MISS-01"].findtext("system-out") or "")
    assert denied.get("failures") == "1" and denied.get("tests") == "2"


def test_github_commands_escape_data_and_properties(mixed: Report) -> None:
    lines = get_reporter("github").render(mixed).splitlines()
    assert lines[0] == "::notice title=govern::credit-risk@3 → production: allowed"
    assert lines[1] == (
        "::error file=models/fraud%2C detect.yaml,line=12,title=MON-CSI-01 (high)::"
        "fraud-detect@3 → production: feature income: PSI 0.412 >= 0.25 | <b>shift</b>"
        "%0Asecond line, 100%25 sure (remediation: retrain, then re-scan)"
    )
    assert lines[2].startswith("::warning file=models/fraud%2C detect.yaml,line=1,")
    assert lines[-1] == mixed.summary


def test_markdown_cells_cannot_break_the_table(mixed: Report) -> None:
    text = get_reporter("markdown").render(mixed)
    row = next(line for line in text.splitlines() if "MON-CSI-01" in line)
    assert "\\|" in row and "&lt;b&gt;" in row and "<br>" in row
    assert row.count(" | ") == 5  # six cells, escaped pipes do not count
    assert text.splitlines()[0] == "## govern check: ❌ denied"
    assert mixed.summary in text


def test_text_has_severity_message_remediation_and_no_colour_off_terminal(mixed: Report) -> None:
    text = get_reporter("text").render(mixed)
    assert "\x1b[" not in text
    assert all(line == line.rstrip() for line in text.splitlines())
    assert "MON-CSI-01" in text and "retrain, then re-scan" in text and "high" in text
    assert text.rstrip().splitlines()[-1] == mixed.summary


def test_text_colour_on_terminal(mixed: Report) -> None:
    assert "\x1b[" in get_reporter("text").render(mixed, color=True)
