"""JUnit XML: one test suite per model, one test case per evaluated control.

CI test tabs (GitHub test reporters, GitLab `artifacts:reports:junit`, Jenkins) read the
widely used subset: testsuites > testsuite > testcase > failure | error, plus system-out.
Every control the gate evaluated is a test case, passing ones included, so a control that
was fixed shows as fixed in the next pipeline instead of vanishing. `deny` is a
`<failure>` (the check ran and the model failed it); warnings do not fail a case and are
listed in its system-out. A run stopped before any decision (a policy that does not
compile, a conflict, a time limit, a bad card) is one suite with one `<error>` case: an
error means the check itself could not run, which is what JUnit's `<error>` is for. So is
each model of a `check --all` run that could not be decided: a suite named after it.

XML 1.0 cannot carry most control characters at all (not even as character references),
so any that a policy message or a name holds are written as visible escapes (a BEL as
the four characters backslash, x, 0, 7).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from govern.output._report import CheckedModel, Location, Report, RunError
from govern.results import Violation

_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def xml_safe(text: str) -> str:
    """`text` with every character XML 1.0 forbids replaced by a visible escape."""
    return _ILLEGAL.sub(_visible, text)


def _clean(root: ET.Element) -> None:
    for el in root.iter():
        if el.text:
            el.text = xml_safe(el.text)
        if el.tail:
            el.tail = xml_safe(el.tail)
        for key, value in el.attrib.items():
            el.set(key, xml_safe(value))


def _line(m: CheckedModel, v: Violation, loc: Location) -> str:
    where = f" [{m.card}:{loc.line}]" if m.card else ""
    fix = f" (remediation: {v.remediation})" if v.remediation else ""
    return f"{v.kind.upper()} {v.severity} {v.control}: {v.msg}{fix}{where}"


def _suite(parent: ET.Element, m: CheckedModel) -> tuple[int, int]:
    d = m.decision
    suite = ET.SubElement(parent, "testsuite", name=f"{m.ref} {d.stage} gate")
    props = ET.SubElement(suite, "properties")  # properties precede the test cases
    for key, value in (
        ("decision_id", d.decision_id),
        ("result", d.result),
        ("bundle_hash", d.bundle_hash),
        ("input_hash", d.input_hash),
    ):
        ET.SubElement(props, "property", name=key, value=value)
    classname = f"govern.{d.model}@{d.version}.{d.stage}"
    by_control: dict[str, list[tuple[Violation, Location]]] = {c: [] for c in m.evaluated}
    for v, loc in m.findings():
        by_control.setdefault(v.control, []).append((v, loc))
    tests = failures = 0
    if not by_control:
        tests = 1
        ET.SubElement(suite, "testcase", classname=classname, name=f"{d.stage} gate")
    for control, found in by_control.items():
        tests += 1
        attrs = {"classname": classname, "name": control}
        if m.card and found:
            attrs["file"] = m.repo_path or m.card
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
    return tests, failures


def _error_suite(parent: ET.Element, error: RunError, summary: str, name: str) -> None:
    suite = ET.SubElement(
        parent, "testsuite", name=name, tests="1", failures="0", errors="1", skipped="0"
    )
    case = ET.SubElement(suite, "testcase", classname="govern", name=name)
    if error.path is not None:
        case.set("file", error.uri or error.path)
        if error.line is not None:
            case.set("line", str(error.line))
    element = ET.SubElement(case, "error", message=error.message, type=error.code)
    where = f"{error.location}: " if error.location and error.location not in error.message else ""
    element.text = f"{where}{error.message}\n{summary}"


class JunitReporter:
    """JUnit XML document (UTF-8, with declaration)."""

    name = "junit"

    def render(self, report: Report, *, color: bool = False) -> str:
        """The XML text."""
        root = ET.Element("testsuites", name="govern check")
        tests = failures = errors = 0
        if report.error is not None:
            _error_suite(root, report.error, report.summary, "govern check")
            tests = errors = 1
        for undecided in report.failures:
            name = f"{undecided.ref} → {undecided.stage}"
            _error_suite(root, undecided.error, report.summary, name)
            tests += 1
            errors += 1
        for m in report.models:
            t, f = _suite(root, m)
            tests += t
            failures += f
        root.set("tests", str(tests))
        root.set("failures", str(failures))
        root.set("errors", str(errors))
        _clean(root)
        ET.indent(root)
        body = ET.tostring(root, encoding="unicode")
        return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'


REPORTER = JunitReporter()
