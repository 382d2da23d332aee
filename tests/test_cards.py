"""Model card schema: types, enums, unknown-field warnings, provenance and expiry."""

from __future__ import annotations

from datetime import datetime

import pytest

from govern.cards import SCHEMA, load_card, parse_card, resolve_facts
from govern.errors import ModelCardError

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
