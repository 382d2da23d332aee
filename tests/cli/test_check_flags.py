from __future__ import annotations

from pathlib import Path

import pytest

from govern.cli.check import OUTPUT_FIRST, OUTPUT_TWICE, flag_order, pair_targets
from govern.errors import UserInputError
from govern.output import Target


def test_pairs_follow_command_line_order() -> None:
    args = ["--format", "sarif", "--output", "out.sarif", "--format=text", "-f", "junit", "-oj.xml"]
    order = flag_order(args)
    assert order == ["format", "output", "format", "format", "output"]
    targets = pair_targets(order, ("sarif", "text", "junit"), (Path("out.sarif"), Path("j.xml")))
    assert targets == [
        Target("sarif", Path("out.sarif")),
        Target("text"),
        Target("junit", Path("j.xml")),
    ]


def test_flag_values_are_not_mistaken_for_flags() -> None:
    assert flag_order(["--output", "--format", "--format", "json"]) == ["output", "format"]
    assert flag_order(["--", "--format", "json"]) == []


def test_default_is_text_on_stdout() -> None:
    assert pair_targets([], (), ()) == [Target("text")]


def test_output_before_format_and_two_outputs_are_refused() -> None:
    with pytest.raises(UserInputError) as err:
        pair_targets(["output", "format"], ("json",), (Path("a"),))
    assert str(err.value) == OUTPUT_FIRST.format(path="a")
    with pytest.raises(UserInputError) as err:
        pair_targets(["format", "output", "output"], ("json",), (Path("a"), Path("b")))
    assert str(err.value) == OUTPUT_TWICE.format(fmt="json", first="a", second="b")
