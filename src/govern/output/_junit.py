"""JUnit XML: one test suite per model, one test case per control, failures for `deny`.

CI test tabs (GitHub test reporters, GitLab `artifacts:reports:junit`, Jenkins) read the
widely used subset: testsuites > testsuite > testcase > failure, plus system-out. Warnings
do not fail a case; they are listed in its system-out. A model with no findings gets one
passing case named after its gate, so every checked model shows up.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from govern.output._report import CheckedModel, Location, Report
from govern.results import Violation


def _line(m: CheckedModel, v: Violation, loc: Location) -> str:
    where = f" [{m.card}:{loc.line}]" if m.card else ""
    fix = f" (remediation: {v.remediation})" if v.remediation else ""
    return f"{v.kind.upper()} {v.severity} {v.control}: {v.msg}{fix}{where}"


def _suite(parent: ET.Element, m: CheckedModel) -> tuple[int, int]:
    d = m.decision
    suite = ET.SubElement(parent, "testsuite", name=f"{m.ref} {d.stage} gate")
    classname = f"govern.{d.model}@{d.version}.{d.stage}"
    by_control: dict[str, list[tuple[Violation, Location]]] = {}
    for v, loc in m.findings():
        by_control.setdefault(v.control, []).append((v, loc))
    tests = failures = 0
    if not by_control:
        tests = 1
        ET.SubElement(suite, "testcase", classname=classname, name=f"{d.stage} gate")
    for control, found in by_control.items():
        tests += 1
        attrs = {"classname": classname, "name": control}
        if m.card:
            attrs["file"] = m.card
            attrs["line"] = str(found[0][1].line)
        case = ET.SubElement(suite, "testcase", attrs)
        denials = [(v, loc) for v, loc in found if v.kind == "deny"]
        if denials:
            failures += 1
            first = denials[0][0]
            failure = ET.SubElement(case, "failure", message=first.msg, type=first.severity)
            failure.text = "\n".join(_line(m, v, loc) for v, loc in denials)
        warnings = [(v, loc) for v, loc in found if v.kind == "warn"]
        if warnings:
            out = ET.SubElement(case, "system-out")
            out.text = "\n".join(_line(m, v, loc) for v, loc in warnings)
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", "0")
    suite.set("timestamp", d.decided_at.removesuffix("Z"))
    props = ET.SubElement(suite, "properties")
    for key, value in (
        ("decision_id", d.decision_id),
        ("result", d.result),
        ("bundle_hash", d.bundle_hash),
        ("input_hash", d.input_hash),
    ):
        ET.SubElement(props, "property", name=key, value=value)
    # properties must precede the test cases in the common schema
    suite.remove(props)
    suite.insert(0, props)
    return tests, failures


class JunitReporter:
    """JUnit XML document (UTF-8, with declaration)."""

    name = "junit"

    def render(self, report: Report, *, color: bool = False) -> str:
        """The XML text."""
        root = ET.Element("testsuites", name="govern check")
        tests = failures = 0
        for m in report.models:
            t, f = _suite(root, m)
            tests += t
            failures += f
        root.set("tests", str(tests))
        root.set("failures", str(failures))
        root.set("errors", "0")
        ET.indent(root)
        body = ET.tostring(root, encoding="unicode")
        return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'


REPORTER = JunitReporter()
