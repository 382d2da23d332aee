"""Model card schema: types, enums, unknown-field warnings, provenance and expiry."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from govern._identity import NAME_RULE
from govern.cards import SCHEMA, load_card, parse_card, resolve_facts
from govern.errors import ModelCardError, UserInputError
from govern.lifecycle import ModelRef

from .conftest import CARDS

BASE = """name: m
version: 1
owner: o
risk_tier: 1
use_case: u
"""


def test_demo_cards_are_valid_without_warnings() -> None:
    for p in sorted(CARDS.glob("*.yaml")):
        assert load_card(p).warnings == ()


def test_wrong_type_names_file_line_and_field() -> None:
    text = BASE + "monitoring:\n  features: [a]\n  min_rows: many\n"
    with pytest.raises(ModelCardError) as info:
        parse_card(text, "c.yaml")
    assert str(info.value) == "c.yaml:8: field 'monitoring.min_rows': must be an integer, got str"


def test_enum_lists_valid_values() -> None:
    with pytest.raises(ModelCardError) as info:
        parse_card(BASE + "stage: staging\n", "c.yaml")
    assert info.value.line == 6
    assert "valid values are: proposed, development, validation" in str(info.value)


def test_boolean_is_not_an_integer() -> None:
    with pytest.raises(ModelCardError, match="'review_frequency_days': must be an integer"):
        parse_card(BASE + "review_frequency_days: yes\n", "c.yaml")


def test_missing_required_field_lists_required() -> None:
    with pytest.raises(ModelCardError) as info:
        parse_card("name: m\nversion: 1\n", "c.yaml")
    assert str(info.value) == (
        "c.yaml: missing required field 'owner'; required fields are: "
        "name, version, owner, risk_tier, use_case"
    )


def test_unknown_fields_warn_with_line() -> None:
    card = parse_card(
        BASE + "ownr: typo\nmonitoring:\n  featurs: [a]\nlineage:\n  x: 1\n", "c.yaml"
    )
    assert card.warnings == (
        "c.yaml:6: field 'ownr': unknown field (known fields: "
        + ", ".join(SCHEMA)
        + "); it is still passed to policies",
        "c.yaml:8: field 'monitoring.featurs': unknown field (known fields: "
        + ", ".join(SCHEMA["monitoring"].children or {})
        + "); it is still passed to policies",
    )


def test_provenance_is_validated() -> None:
    bad = BASE + "description:\n  value: d\n  expires: someday\n"
    with pytest.raises(ModelCardError) as info:
        parse_card(bad, "c.yaml")
    assert info.value.line == 8 and "description.expires" in str(info.value)
    with pytest.raises(ModelCardError, match="cannot carry provenance"):
        parse_card(BASE.replace("name: m", "name:\n  value: m"), "c.yaml")
    with pytest.raises(ModelCardError, match="'description.value': must be a string"):
        parse_card(BASE + "description:\n  value: 3\n", "c.yaml")


def test_expiry_is_inclusive_of_the_instant() -> None:
    card = parse_card(BASE + "description:\n  value: d\n  expires: 2027-01-01\n")
    facts, prov = resolve_facts(card.data, datetime(2026, 12, 31, 23, 59, 59))
    assert facts["description"] == "d" and prov["description"]["expired"] is False
    facts, prov = resolve_facts(card.data, datetime(2027, 1, 1))
    assert "description" not in facts and prov["description"]["expired"] is True
    assert prov["description"]["expires"] == "2027-01-01"
    assert card.values["description"] == "d"


# --- identity: what a name and a version may contain (issue 11, Identity) -------------


@pytest.mark.parametrize(
    ("written", "registered"),
    [
        ("010", "010"),  # YAML 1.1 made this 8
        ("0x10", "0x10"),  # and this 16
        ("1.10", "1.10"),  # a float would make it 1.1
        ("1.0", "1.0"),
        ('"3"', "3"),
        ("3", "3"),
        ("2.1.0+build.5", "2.1.0+build.5"),
    ],
)
def test_version_is_the_text_as_written(written: str, registered: str) -> None:
    card = parse_card(BASE.replace("version: 1", f"version: {written}"), "c.yaml")
    assert card.version == registered and card.data["version"] == registered


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("credit@risk", ""),  # `@` separates NAME from VERSION in a reference
        ("Credit-Risk", "credit-risk"),  # case variant
        ("credit\u2010risk", "credit-risk"),  # Unicode hyphen, prints alike
        ("credit-risk\u200b", "credit-risk"),  # zero-width space
        ("\uff43redit-risk", "credit-risk"),  # full-width c
        ("cre\u0301dit", ""),  # NFD: e + combining acute (a non-ASCII name)
        ("cr\u00e9dit", ""),  # NFC form of the same: refused alike
        ("credit risk", ""),
        ("-credit", ""),
        ("credit/risk", ""),
        ("x" * 101, ""),
    ],
)
def test_names_that_print_alike_or_cannot_be_referenced_are_refused(name: str, hint: str) -> None:
    text = BASE.replace("name: m", f"name: {json.dumps(name)}")
    with pytest.raises(ModelCardError) as info:
        parse_card(text, "c.yaml")
    assert info.value.line == 1
    assert f"field 'name': model name {name!r} is not valid: a name is {NAME_RULE}" in str(
        info.value
    )
    assert str(info.value).endswith(f"; did you mean {hint!r}?" if hint else NAME_RULE)


@pytest.mark.parametrize(
    "version", ["1@2", "1:30", "V1", "1 0", "1\u200b", "\uff11", "", ".1", "x" * 65]
)
def test_bad_versions_are_refused(version: str) -> None:
    text = BASE.replace("version: 1", f"version: {json.dumps(version)}")
    with pytest.raises(ModelCardError) as info:
        parse_card(text, "c.yaml")
    assert "field 'version'" in str(info.value) or "missing required field" in str(info.value)


@pytest.mark.parametrize("ref", ["credit@risk@3", "Credit-Risk@3", "credit-risk@V3", "cr\u00e9dit"])
def test_references_follow_the_same_rules(ref: str) -> None:
    with pytest.raises(UserInputError, match="bad model reference"):
        ModelRef.parse(ref)
    assert ModelRef.parse("credit-risk@3") == ModelRef("credit-risk", "3")


# --- expiry: an `expires` that is not a date is an error, wherever the fact is ----------


def _fact(key: str, value: str) -> str:
    return f"lineage:\n  training_data:\n    value: s3://t\n    {key}: {value}\n"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_fact("expires", "soon"), "lineage.training_data.expires"),
        (_fact("expires", "2027"), "lineage.training_data.expires"),
        (_fact("expires", "null"), "lineage.training_data.expires"),
        (_fact("expires", '"2026-02-30"'), "lineage.training_data.expires"),
        (_fact("asserted_at", "yesterday"), "lineage.training_data.asserted_at"),
        ("docs:\n  a:\n    b:\n      value: x\n      expires: [2027-01-01]\n", "docs.a.b.expires"),
        ("uat_rounds:\n  - value: {round: 1}\n    expires: later\n", "uat_rounds[0].expires"),
    ],
)
def test_expires_that_is_not_a_date_is_an_error_anywhere(body: str, field: str) -> None:
    with pytest.raises(ModelCardError) as info:
        parse_card(BASE + body, "c.yaml")
    assert f"field {field!r}: must be a date or an ISO 8601 time" in str(info.value)
    assert info.value.line is not None and info.value.line > 5


def test_a_fact_with_expires_and_other_keys_is_refused() -> None:
    body = "lineage:\n  training_data:\n    value: s3://t\n    expires: 2020-01-01\n    note: x\n"
    with pytest.raises(ModelCardError, match="a fact with `expires` may only have the keys"):
        parse_card(BASE + body, "c.yaml")


def test_unquoted_dates_become_iso_text() -> None:
    card = parse_card(BASE + "go_live_at: 2026-11-30\nvalid_until: 2027-01-01T10:00:00+02:00\n")
    assert card.data["go_live_at"] == "2026-11-30"
    assert card.data["valid_until"] == "2027-01-01T10:00:00+02:00"
    json.dumps(card.data, allow_nan=False)


def test_a_fifo_card_is_refused_not_read(tmp_path: Path) -> None:
    import os

    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    fifo = tmp_path / "card.yaml"
    os.mkfifo(fifo)
    with pytest.raises(ModelCardError, match="not a regular file"):
        load_card(fifo)
