"""The YAML loader of cards and policy data: YAML 1.2 core schema, bounds, located errors."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from govern import _yaml
from govern.cli import main

from .conftest import CARDS, POLICIES


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("010", 10),  # YAML 1.1: octal 8
        ("0o10", 8),
        ("0x10", 16),
        ("-17", -17),
        ("1:30", "1:30"),  # YAML 1.1: sexagesimal 90
        ("yes", "yes"),  # YAML 1.1: true
        ("no", "no"),
        ("on", "on"),
        ("off", "off"),
        ("y", "y"),
        ("true", True),
        ("False", False),
        ("~", None),
        ("", None),
        ("1.5", 1.5),
        ("1e3", 1000.0),
        ("1_000", "1_000"),  # YAML 1.1: 1000
        ("2026-11-30", "2026-11-30"),
        ("2026-09-20T10:00:00Z", "2026-09-20T10:00:00Z"),
        ("2026-09-20 10:00:00 -5", "2026-09-20T10:00:00-05:00"),
        ("2026-09-20t10:00:00.5", "2026-09-20T10:00:00.500000Z"),
        ("2026-1-5", "2026-1-5"),  # not a YAML date: text
        ("'010'", "010"),
        ("!!str 010", "010"),
        ("!!int '12'", 12),
        ("<<", "<<"),
    ],
)
def test_plain_scalars_follow_the_yaml_1_2_core_schema(text: str, value: object) -> None:
    data, _ = _yaml.parse(f"a: {text}\n")
    assert data == {"a": value}
    json.dumps(data, allow_nan=False)  # always JSON data


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("a: 2026-13-45\n", 1, "impossible date '2026-13-45': month must be in 1..12"),
        ("x: 1\na: 2026-02-30\n", 2, "impossible date '2026-02-30': day is out of range for month"),
        ("a: 2026-11-30T25:00:00Z\n", 1, "impossible date"),
        ("a: 1\nb: 2\na: 3\n", 3, "duplicate key 'a' (first defined on line 1)"),
        ("a:\n  b: 1\n  b: 1\n", 3, "duplicate key 'b'"),
        ("1: x\n", 1, "mapping key '1' is not a string"),
        ("true: x\n", 1, "mapping key 'true' is not a string"),
        ("? [a]\n: x\n", 1, "mapping key"),
        ("a: !!binary aGVsbG8=\n", 1, "tag 'tag:yaml.org,2002:binary' is not allowed"),
        ("a: !!set {x}\n", 1, "tag 'tag:yaml.org,2002:set' is not allowed"),
        ("a: !!omap [{x: 1}]\n", 1, "tag 'tag:yaml.org,2002:omap' is not allowed"),
        ("a: !!python/name:os.system x\n", 1, "is not allowed"),
        ("a: !local x\n", 1, "tag '!local' is not allowed"),
        ("a: .inf\n", 1, "'.inf' is not a finite number"),
        ("a: -.Inf\n", 1, "is not a finite number"),
        ("a: .nan\n", 1, "'.nan' is not a finite number"),
        ("a: 1e400\n", 1, "'1e400' is not a finite number"),
        ("a: !!int x\n", 1, "'x' is not an integer"),
        ("a: &x [*x]\n", 1, "alias *x refers to a node that contains it"),
        ("a: [\n", 2, "invalid YAML"),
        ("a: 1\n---\nb: 2\n", 2, "expected a single document"),
        ("a: \x07\n", 1, "special characters are not allowed"),
    ],
)
def test_bad_documents_fail_with_their_line(text: str, line: int, message: str) -> None:
    with pytest.raises(_yaml.YamlError) as info:
        _yaml.parse(text)
    assert info.value.line == line
    assert message in info.value.message


def _bomb(levels: int = 9) -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels + 1):
        refs = ", ".join([f"*l{i - 1}"] * 9)
        lines.append(f"l{i}: &l{i} [{refs}]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_before_it_expands() -> None:
    with pytest.raises(_yaml.YamlError) as info:
        _yaml.parse(_bomb())
    assert f"expands to more than {_yaml.MAX_NODES:,} nodes" in info.value.message
    assert info.value.line == 7  # l6 = 9**7 nodes, the first level past the bound


def test_aliases_within_the_bound_are_allowed() -> None:
    data, _ = _yaml.parse("limits: &l {psi: 0.2}\nother: *l\n")
    assert data == {"limits": {"psi": 0.2}, "other": {"psi": 0.2}}


@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * 500 + "]" * 500 + "\n",
        "a: " + "{b: " * 500 + "1" + "}" * 500 + "\n",
        "".join(" " * i + "k:\n" for i in range(500)),
        "".join("  " * i + "- \n" for i in range(500)),
    ],
    ids=["flow-seq", "flow-map", "block-map", "block-seq"],
)
def test_deep_nesting_is_refused(text: str) -> None:
    with pytest.raises(_yaml.YamlError, match=f"nested deeper than {_yaml.MAX_DEPTH} levels"):
        _yaml.parse(text)


def test_depth_through_aliases_is_bounded() -> None:
    inner = "[" * 60 + "1" + "]" * 60
    text = f"a: &a {inner}\nb: {'[' * 60}*a{']' * 60}\n"
    with pytest.raises(_yaml.YamlError, match="once aliases are expanded"):
        _yaml.parse(text)


def test_oversized_text_is_refused(tmp_path: Path) -> None:
    with pytest.raises(_yaml.YamlError, match="larger than"):
        _yaml.parse("a: " + "x" * _yaml.MAX_BYTES)
    big = tmp_path / "big.yaml"
    with big.open("wb") as f:
        f.truncate(_yaml.MAX_BYTES + 1)
    with pytest.raises(_yaml.YamlError, match="the limit is"):
        _yaml.read_text(big)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_is_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "card.yaml"
    os.mkfifo(fifo)
    with pytest.raises(_yaml.YamlError, match="not a regular file"):
        _yaml.read_text(fifo)


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    rc = main(args)
    return rc, capsys.readouterr().err


CARD = (CARDS / "credit-risk.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("patch", "line", "message"),
    [
        ("owner: a\nowner: b\n", None, "duplicate key 'owner'"),
        ("reviewed_on: 2026-02-30\n", None, "impossible date '2026-02-30'"),
        ("reviewed_on: 2026-13-45\n", None, "impossible date '2026-13-45'"),
        ("extra:\n  1: one\n", None, "mapping key '1' is not a string"),
        ("extra: !!binary aGVsbG8=\n", None, "is not allowed"),
        ("extra: !!set {a}\n", None, "is not allowed"),
        ("extra: " + "[" * 500 + "]" * 500 + "\n", None, "nested deeper than"),
        (_bomb().replace("l0:", "x0:", 1).replace("*l0", "*l0"), None, "expands to more than"),
    ],
    ids=["dup", "feb-30", "month-13", "int-key", "binary", "set", "deep", "bomb"],
)
def test_cli_refuses_bad_cards_with_exit_2_and_location(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], patch: str, line: int | None, message: str
) -> None:
    card = tmp_path / "govern.yaml"
    text = CARD + patch
    card.write_text(text, encoding="utf-8")
    rc, err = _cli(["check", str(card), "--policies", str(POLICIES)], capsys)
    assert rc == 2, err
    assert message in err
    assert err.startswith(f"error: {card}:"), err
    assert "Traceback" not in err


def test_unquoted_dates_are_json_in_card_mode(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`go_live_at: 2026-11-30` used to fail with "Object of type date is not JSON
    serializable" and no file name; now it is the ISO text the registry would store."""
    card = tmp_path / "govern.yaml"
    text = re.sub(r'go_live_at: "([0-9-]+)"', r"go_live_at: \1", CARD)
    assert "go_live_at: 20" in text
    card.write_text(text)
    from govern.cards import load_card

    assert re.fullmatch(r"20[0-9]{2}-[0-9]{2}-[0-9]{2}", load_card(card).data["go_live_at"])
    rc = main(["check", str(card), "--policies", str(POLICIES), "--format", "json"])
    out = capsys.readouterr()
    assert rc in (0, 1), out.err
    assert "not JSON serializable" not in out.err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("govern:\n  x: 2026-02-30\n", "impossible date '2026-02-30'"),
        (_bomb(), "expands to more than"),
        ("govern: " + "[" * 500 + "]" * 500 + "\n", "nested deeper than"),
        ("govern:\n  a: 1\n  a: 2\n", "duplicate key 'a'"),
        ("govern:\n  1: x\n", "mapping key '1' is not a string"),
        ("govern: !!binary aGVsbG8=\n", "is not allowed"),
    ],
    ids=["date", "bomb", "deep", "dup", "int-key", "binary"],
)
@pytest.mark.parametrize("where", ["overlay", "bundle"])
def test_policy_data_files_use_the_same_loader(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str, where: str
) -> None:
    import shutil

    policies = tmp_path / "policies"
    shutil.copytree(POLICIES, policies)
    data = tmp_path / "overlay.yaml" if where == "overlay" else policies / "bad.yaml"
    data.write_text(text, encoding="utf-8")
    argv = ["check", str(CARDS / "credit-risk.yaml"), "--policies", str(policies)]
    argv.append("--no-default-library")  # `policies` is a copy of the library
    if where == "overlay":
        argv += ["--data", str(data)]
    rc, err = _cli(argv, capsys)
    assert rc == 2, err
    assert f"{data}:" in err and message in err
    assert "Traceback" not in err
