"""Message templates read as English: the article before every expected-type name."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from govern.cards import SCHEMA, Field, ModelCardError, _is_type, parse_card

BASE = 'name: m\nversion: "1"\nowner: o@example.com\nrisk_tier: 2\n'
WRONG = {str: 12345, int: "many", float: "many", list: "many", dict: "many", bool: "many"}
CANDIDATES = [12345, "many", [1], {"a": 1}, 1.5]
GOOD_ARTICLE = re.compile(r"must be (?:an [aeiou]|a [^aeiou\W])")


def _leaves(schema: dict[str, Field], prefix: str = "") -> Iterator[tuple[str, Field]]:
    for key, spec in schema.items():
        path = f"{prefix}{key}"
        if spec.children:
            yield from _leaves(spec.children, f"{path}.")
        elif (
            not spec.enum
            and spec.types[0] in WRONG
            and key not in ("name", "version", "owner", "risk_tier")
        ):
            yield path, spec


FIELDS = sorted(_leaves(SCHEMA), key=lambda x: x[0])


def _yaml(path: str, value: object) -> str:
    parts = path.split(".")
    text = ""
    for depth, part in enumerate(parts[:-1]):
        text += "  " * depth + f"{part}:\n"
    return text + "  " * (len(parts) - 1) + f"{parts[-1]}: {value!r}\n"


@pytest.mark.parametrize(("path", "spec"), FIELDS, ids=[p for p, _ in FIELDS])
def test_type_errors_use_the_right_article(path: str, spec: Field) -> None:
    wrong = next(v for v in CANDIDATES if not _is_type(v, spec.types))
    try:
        parse_card(BASE + _yaml(path, wrong), "c.yaml")
    except ModelCardError as exc:
        message = str(exc)
    else:  # some fields accept the wrong value's type too (e.g. str or dict)
        pytest.skip(f"{path} accepts {wrong!r}")
    if "must be" in message:
        assert GOOD_ARTICLE.search(message), message
    assert " a integer" not in message and " a item" not in message


def test_the_classes_are_covered() -> None:
    names = {t for _, spec in FIELDS for t in spec.types}
    assert {str, int, list, dict} <= names
