"""Each format's document, checked against its schema or the consumer's grammar."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from govern.output import CheckedModel, Location, Report, get_reporter
from govern.output._github import ANNOTATION_LIMIT, OVER_LIMIT, job_summary
from govern.output._junit import xml_safe
from govern.output._sarif import FINGERPRINT
from govern.results import Violation

from ..conftest import REPO
from .conftest import EVALUATED, POLICY_ERROR, decision

SARIF_SCHEMA = Path(__file__).parent / "sarif-schema-2.1.0.json"
JSON_SCHEMA = REPO / "docs" / "check-json-schema.json"

# RFC 3986 section 3 / appendix A, for the schema's "uri" and "uri-reference" formats
# (jsonschema leaves them unchecked unless a URI package is installed).
_PCHAR = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})"
_QF = rf"(?:\?(?:{_PCHAR}|[/?])*)?(?:#(?:{_PCHAR}|[/?])*)?"
_URI = re.compile(rf"^[A-Za-z][A-Za-z0-9+.\-]*:(?:{_PCHAR}|/)*{_QF}$")
_SEGMENT_NC = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=@]|%[0-9A-Fa-f]{2})"
_RELATIVE = re.compile(
    rf"^(?://(?:{_PCHAR}|/)*|/(?:{_PCHAR}|/)*|{_SEGMENT_NC}+(?:/{_PCHAR}*)*|){_QF}$"
)


def _format_checker() -> jsonschema.FormatChecker:
    checker = jsonschema.FormatChecker()

    @checker.checks("uri")
    def _uri(value: object) -> bool:
        return not isinstance(value, str) or bool(_URI.match(value))

    @checker.checks("uri-reference")
    def _uri_reference(value: object) -> bool:
        return not isinstance(value, str) or bool(_URI.match(value) or _RELATIVE.match(value))

    return checker


def _validator(path: Path) -> jsonschema.protocols.Validator:
    schema = json.loads(path.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=_format_checker())


def test_the_sarif_schema_is_the_oasis_file() -> None:
    import hashlib

    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    assert schema["id"].endswith("/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json")
    digest = hashlib.sha256(SARIF_SCHEMA.read_bytes()).hexdigest()
    licence = SARIF_SCHEMA.with_name("sarif-schema-2.1.0.LICENSE.md").read_text(encoding="utf-8")
    assert digest in licence and "Copyright © OASIS Open" in licence


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("models/credit-risk.yaml", True),
        ("models/credit%20risk%20v3.yaml", True),
        ("models/credit risk v3.yaml", False),
        ("models/[x].yaml", False),
        ("models/100%.yaml", False),
        ("file:///work/repo%20x/", True),
    ],
)
def test_the_uri_format_checker_follows_rfc3986(value: str, ok: bool) -> None:
    checker = _format_checker()
    assert checker.conforms(value, "uri-reference") is ok


@pytest.mark.parametrize("which", ["mixed", "clean", "failed"])
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
    assert record["controls"] == list(EVALUATED)
    assert record["violations"][0]["location"] == {
        "card": "models/fraud, detect.yaml",
        "uri": "team a/models/fraud, detect.yaml",
        "line": 12,
        "field": "monitoring.features.2",
    }
    assert [(v["model"], v["kind"]) for v in doc["violations"]] == [
        ("fraud-detect", "deny"),
        ("fraud-detect", "warn"),
    ]


def test_json_of_a_failed_run(failed: Report) -> None:
    doc = json.loads(get_reporter("json").render(failed))
    assert (doc["result"], doc["allowed"], doc["exit_code"]) == ("error", False, 2)
    assert doc["error"]["code"] == "policy_load_error"
    assert doc["error"]["line"] == 8 and doc["decisions"] == []


def test_json_schema_rejects_a_wrong_document(mixed: Report) -> None:
    doc = json.loads(get_reporter("json").render(mixed))
    doc["result"] = "maybe"
    with pytest.raises(jsonschema.ValidationError):
        _validator(JSON_SCHEMA).validate(doc)


@pytest.mark.parametrize("which", ["mixed", "clean", "failed"])
def test_sarif_validates_against_the_oasis_schema(
    which: str, request: pytest.FixtureRequest
) -> None:
    report: Report = request.getfixturevalue(which)
    _validator(SARIF_SCHEMA).validate(json.loads(get_reporter("sarif").render(report)))


def test_sarif_rules_carry_the_control_metadata(mixed: Report) -> None:
    doc = json.loads(get_reporter("sarif").render(mixed))
    csi, miss = doc["runs"][0]["tool"]["driver"]["rules"]
    assert csi["id"] == "MON-CSI-01"
    assert csi["name"] == "FeatureStabilityCsiPerMonitoredInput"
    assert csi["shortDescription"]["text"] == "Feature stability (CSI) per monitored input"
    assert csi["fullDescription"]["text"] == "A feature at or above the deny band blocks."
    assert csi["helpUri"] == "https://example.org/csi"
    assert "Characteristic Stability Index" in csi["help"]["text"]
    # no description: the title and the source; no URL in the metadata: no helpUri
    assert miss["fullDescription"]["text"] == "Missing values (source: Data quality practice)"
    assert "helpUri" not in miss


def test_every_sarif_rule_has_the_fields_code_scanning_requires(mixed: Report) -> None:
    unknown = Violation("deny", "X-1", "no metadata for this one", "low", "p")
    extra = CheckedModel(decision("other", (unknown,)), "m.yaml", (Location(),), uri="m.yaml")
    report = Report((*mixed.models, extra), controls=mixed.controls)
    for rule in json.loads(get_reporter("sarif").render(report))["runs"][0]["tool"]["driver"][
        "rules"
    ]:
        assert rule["fullDescription"]["text"] and rule["shortDescription"]["text"]
        assert re.fullmatch(r"(?:[A-Z][a-z0-9]+)+", rule["name"]), rule["name"]


def test_sarif_locations_are_percent_encoded_and_relative_to_the_repository(
    mixed: Report,
) -> None:
    doc = json.loads(get_reporter("sarif").render(mixed))
    run = doc["runs"][0]
    first, second = run["results"]
    assert (first["ruleId"], first["level"], first["ruleIndex"]) == ("MON-CSI-01", "error", 0)
    assert second["level"] == "warning"
    artifact = first["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": "team%20a/models/fraud%2C%20detect.yaml", "uriBaseId": "%SRCROOT%"}
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": "file:///work/repo%20x/"}}
    assert first["locations"][0]["physicalLocation"]["region"]["startLine"] == 12
    assert second["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
    assert run["invocations"][0] == {"executionSuccessful": True, "exitCode": 1}


def test_sarif_fingerprints_ignore_lines_and_measured_values(mixed: Report) -> None:
    def prints(report: Report) -> list[str]:
        doc = json.loads(get_reporter("sarif").render(report))
        return [r["partialFingerprints"][FINGERPRINT] for r in doc["runs"][0]["results"]]

    before = prints(mixed)
    assert len(set(before)) == 2
    denied = mixed.models[1]
    moved_deny = Violation(
        "deny", "MON-CSI-01", "feature income: PSI 0.501 >= 0.25", "high", "govern.gates.production"
    )
    moved = CheckedModel(
        decision("fraud-detect", (moved_deny, denied.decision.violations[1])),
        denied.card,
        (Location(30, "monitoring.features.2"), Location(1)),
        uri=denied.uri,
    )
    assert prints(Report((mixed.models[0], moved))) == before
    other_feature = CheckedModel(
        moved.decision,
        moved.card,
        (Location(30, "monitoring.features.3"), Location(1)),
        uri=moved.uri,
    )
    assert prints(Report((other_feature,)))[0] != before[0]


def test_sarif_of_a_failed_run(failed: Report) -> None:
    doc = json.loads(get_reporter("sarif").render(failed))
    run = doc["runs"][0]
    assert run["results"] == [] and run["tool"]["driver"]["rules"] == []
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False and invocation["exitCode"] == 2
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error" and note["descriptor"] == {"id": "policy_load_error"}
    assert note["message"]["text"] == POLICY_ERROR.message
    physical = note["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {
        "uri": "policies/gates/production.rego",
        "uriBaseId": "%SRCROOT%",
    }
    assert physical["region"] == {"startLine": 8, "startColumn": 1}


def test_oasis_schema_rejects_what_sarif_rejects(mixed: Report) -> None:
    doc = json.loads(get_reporter("sarif").render(mixed))
    validator = _validator(SARIF_SCHEMA)
    validator.validate(doc)
    bad_line = json.loads(json.dumps(doc))
    bad_line["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    bad_level = json.loads(json.dumps(doc))
    bad_level["runs"][0]["results"][0]["level"] = "fatal"
    unknown_key = json.loads(json.dumps(doc))
    unknown_key["runs"][0]["results"][0]["severity"] = "high"
    raw_space = json.loads(json.dumps(doc))
    loc = raw_space["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    loc["artifactLocation"]["uri"] = "team a/models/fraud, detect.yaml"
    for bad in (bad_line, bad_level, unknown_key, raw_space):
        with pytest.raises(jsonschema.ValidationError):
            validator.validate(bad)


def _junit(report: Report) -> ET.Element:
    return ET.fromstring(get_reporter("junit").render(report).split("\n", 1)[1])


def test_junit_one_case_per_evaluated_control_failures_for_deny(mixed: Report) -> None:
    root = _junit(mixed)
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("6", "1", "0")
    allowed, denied = root.findall("testsuite")
    # passing controls are test cases too, so a fixed control shows as fixed
    assert [c.get("name") for c in allowed.findall("testcase")] == list(EVALUATED)
    assert all(not list(c) for c in allowed.findall("testcase"))
    cases = {c.get("name"): c for c in denied.findall("testcase")}
    assert list(cases) == list(EVALUATED)
    failure = cases["MON-CSI-01"].find("failure")
    assert failure is not None and failure.get("type") == "high"
    assert cases["MON-CSI-01"].get("file") == "team a/models/fraud, detect.yaml"
    assert "models/fraud, detect.yaml:12" in (failure.text or "")
    assert cases["DQ-MISS-01"].find("failure") is None
    assert "WARN medium DQ-MISS-01" in (cases["DQ-MISS-01"].findtext("system-out") or "")
    assert cases["MON-PSI-01"].find("failure") is None and not list(cases["MON-PSI-01"])
    assert denied.get("failures") == "1" and denied.get("tests") == "3"
    assert denied.find("properties") is denied[0]


def test_junit_without_evaluated_controls_has_one_case_per_model(clean: Report) -> None:
    (suite,) = _junit(clean).findall("testsuite")
    assert [c.get("name") for c in suite.findall("testcase")] == ["production gate"]


def test_junit_of_a_failed_run_is_an_error_not_a_failure(failed: Report) -> None:
    root = _junit(failed)
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("1", "0", "1")
    (suite,) = root.findall("testsuite")
    (case,) = suite.findall("testcase")
    error = case.find("error")
    assert error is not None and case.find("failure") is None
    assert error.get("type") == "policy_load_error"
    assert error.get("message") == POLICY_ERROR.message
    assert "policies/gates/production.rego:8:1" in (error.text or "")


ILLEGAL = ["\x00", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\ud800", "\ufffe", "\uffff"]


@pytest.mark.parametrize("char", ILLEGAL, ids=[f"U+{ord(c):04X}" for c in ILLEGAL])
def test_junit_stays_parseable_with_xml_illegal_characters(char: str) -> None:
    v = Violation("deny", f"C{char}1", f"feature in{char}come: PSI 0.4", "high", "p", f"fix{char}")
    model = CheckedModel(decision(f"m{char}", (v,)), f"models/m{char}.yaml", (Location(3),))
    text = get_reporter("junit").render(Report((model,)))
    root = ET.fromstring(text.split("\n", 1)[1].encode("utf-8", "surrogatepass"))
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None
    assert xml_safe(char) in (failure.get("message") or "")
    assert char not in text


@pytest.mark.parametrize("char", ["\t", "\n", "é", "€", "\U0001f600", "\ud7ff", "\ue000"])
def test_xml_safe_keeps_legal_characters(char: str) -> None:
    assert xml_safe(f"a{char}b") == f"a{char}b"


def test_github_commands_escape_data_and_properties(mixed: Report) -> None:
    lines = get_reporter("github").render(mixed).splitlines()
    assert lines[0] == "::notice title=govern::credit-risk@3 → production: allowed"
    assert lines[1] == (
        "::error file=team a/models/fraud%2C detect.yaml,line=12,title=MON-CSI-01 (high)::"
        "fraud-detect@3 → production: feature income: PSI 0.412 >= 0.25 | <b>shift</b>"
        "%0Asecond line, 100%25 sure (remediation: retrain, then re-scan)"
    )
    assert lines[2].startswith("::warning file=team a/models/fraud%2C detect.yaml,line=1,")
    assert lines[-1] == mixed.summary


def test_github_of_a_failed_run(failed: Report) -> None:
    lines = get_reporter("github").render(failed).splitlines()
    assert lines == [
        "::error file=policies/gates/production.rego,line=8,col=1,"
        "title=govern check%3A policy_load_error::compile policy: unexpected token",
        failed.summary,
    ]


def _many(n_deny: int, n_warn: int) -> Report:
    found = tuple(
        Violation("deny", f"D-{i}", f"denial {i}", "high", "p") for i in range(n_deny)
    ) + tuple(Violation("warn", f"W-{i}", f"warning {i}", "low", "p") for i in range(n_warn))
    model = CheckedModel(decision("big", found), "m.yaml", tuple(Location() for _ in found))
    return Report((model,))


@pytest.mark.parametrize(
    ("n_deny", "n_warn", "noted"),
    [(10, 10, False), (11, 0, True), (0, 11, True), (3, 25, True), (0, 0, False)],
)
def test_job_summary_says_when_annotations_exceed_the_limit(
    n_deny: int, n_warn: int, noted: bool
) -> None:
    report = _many(n_deny, n_warn)
    summary = job_summary(report)
    notices = 0 if n_deny else 1
    note = OVER_LIMIT.format(
        errors=n_deny, warnings=n_warn, notices=notices, limit=ANNOTATION_LIMIT
    )
    assert (note in summary) is noted
    for i in range(n_deny):  # the summary lists every finding, annotated or not
        assert f"| denial {i} |" in summary
    for i in range(n_warn):
        assert f"| warning {i} |" in summary
    assert summary.startswith("## govern check:")


def test_job_summary_says_when_allowed_models_exceed_the_notice_limit() -> None:
    models = tuple(CheckedModel(decision(f"m{i}", ()), f"models/m{i}.yaml", ()) for i in range(11))
    summary = job_summary(Report(models))
    assert OVER_LIMIT.format(errors=0, warnings=0, notices=11, limit=10) in summary
    assert all(f"`m{i}@3`" in summary for i in range(11))


def test_markdown_cells_cannot_break_the_table(mixed: Report) -> None:
    text = get_reporter("markdown").render(mixed)
    row = next(line for line in text.splitlines() if "MON-CSI-01" in line)
    assert "\\|" in row and "&lt;b&gt;" in row and "<br>" in row
    assert row.count(" | ") == 5  # six cells, escaped pipes do not count
    assert text.splitlines()[0] == "## govern check: ❌ denied"
    assert mixed.summary in text


def test_markdown_and_text_of_a_failed_run(failed: Report) -> None:
    md = get_reporter("markdown").render(failed)
    assert md.splitlines()[0] == "## govern check: ⚠️ error, no decision"
    assert "`policies/gates/production.rego:8:1`" in md and failed.summary in md
    text = get_reporter("text").render(failed)
    assert text.splitlines()[0] == (
        "ERROR policy_load_error: policies/gates/production.rego:8:1: "
        "compile policy: unexpected token"
    )
    assert text.rstrip().splitlines()[-1] == failed.summary


def test_text_has_severity_message_remediation_and_no_colour_off_terminal(mixed: Report) -> None:
    text = get_reporter("text").render(mixed)
    assert "\x1b[" not in text
    assert all(line == line.rstrip() for line in text.splitlines())
    assert "MON-CSI-01" in text and "retrain, then re-scan" in text and "high" in text
    assert text.rstrip().splitlines()[-1] == mixed.summary


def test_text_colour_on_terminal(mixed: Report) -> None:
    assert "\x1b[" in get_reporter("text").render(mixed, color=True)


def test_text_of_an_inventory_is_one_line_a_finding(mixed: Report) -> None:
    """Past TABLE_LIMIT models (check --all) each finding is a line with every table field."""
    from dataclasses import replace

    from govern.output._text import TABLE_LIMIT

    denied = mixed.models[1]
    many = tuple(
        replace(denied, decision=replace(denied.decision, model=f"m{i}"))
        for i in range(TABLE_LIMIT + 1)
    )
    report = replace(mixed, models=many)
    text = get_reporter("text").render(report)
    lines = text.splitlines()
    deny = [line for line in lines if line.startswith("  DENY ")]
    warn = [line for line in lines if line.startswith("  WARN ")]
    assert len(deny) == len(warn) == TABLE_LIMIT + 1
    assert deny[0] == (
        "  DENY high MON-CSI-01: feature income: PSI 0.412 >= 0.25 | <b>shift</b> second line, "
        "100% sure (remediation: retrain, then re-scan) (models/fraud, detect.yaml:12)"
    )
    assert warn[0] == "  WARN medium DQ-MISS-01: missing rate 0.07 (models/fraud, detect.yaml:1)"
    assert "\x1b[" not in text and lines[-1] == report.summary
    coloured = get_reporter("text").render(report, color=True)
    assert "\x1b[" in coloured and "MON-CSI-01: feature income" in coloured
    # at the limit, the table of each model as before
    table = get_reporter("text").render(replace(mixed, models=many[:TABLE_LIMIT]))
    assert not [line for line in table.splitlines() if line.startswith("  DENY ")]
