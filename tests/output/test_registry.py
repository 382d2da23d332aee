from __future__ import annotations

import pytest

from govern.errors import UserInputError
from govern.output import FORMATS, UNKNOWN_FORMAT, Report, get_reporter


def test_every_format_resolves_to_its_reporter() -> None:
    for name in FORMATS:
        assert get_reporter(name).name == name


def test_unknown_format_lists_the_valid_ones() -> None:
    with pytest.raises(UserInputError) as err:
        get_reporter("xml")
    assert str(err.value) == UNKNOWN_FORMAT.format(
        name="xml", valid="text, json, junit, sarif, github, markdown"
    )
    assert err.value.exit_code == 2


@pytest.mark.parametrize(
    ("fail_on", "deny", "warn", "code"),
    [
        ("deny", 0, 0, 0),
        ("deny", 0, 1, 0),
        ("deny", 1, 0, 1),
        ("warn", 0, 0, 0),
        ("warn", 0, 1, 1),
        ("warn", 1, 1, 2),
        ("never", 1, 1, 0),
    ],
)
def test_exit_codes(fail_on: str, deny: int, warn: int, code: int) -> None:
    from govern.output import CheckedModel

    from .conftest import DENY, WARN, decision

    violations = (DENY,) * deny + (WARN,) * warn
    report = Report((CheckedModel(decision("m", violations)),), fail_on=fail_on)
    assert report.exit_code == code


def test_unknown_fail_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="fail_on 'sometimes'"):
        Report((), fail_on="sometimes")


def test_summary_line(mixed: Report) -> None:
    assert mixed.summary == "2 models checked: 1 allowed, 1 denied (1 deny, 1 warn)"
