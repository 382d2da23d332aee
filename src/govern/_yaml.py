"""Reading YAML as JSON data: the YAML 1.2 core schema, with bounds, located errors.

PyYAML's loaders implement YAML 1.1, where `010` is octal 8, `1:30` is 90, `yes` is
true and a duplicate key silently overwrites the first; that changes what a card says
(a version, a flag) without a word. This loader resolves plain scalars by the YAML 1.2
core schema (https://yaml.org/spec/1.2.2/#103-core-schema) and returns only JSON data
(dict with string keys, list, str, int, finite float, bool, None), so a card read from a
file and the same card read back from the registry are the same document.

Choices, documented in docs/registry.md (YAML rules):

- integers: `[-+]?[0-9]+` is decimal (`010` is 10), `0o17` octal, `0x1F` hexadecimal;
  no sexagesimal (`1:30` is the string "1:30"), no `_` separators;
- booleans: only `true`/`false` (three capitalisations); `yes`, `no`, `on`, `off` are strings;
- null: `null`, `Null`, `NULL`, `~` or nothing;
- `.inf` and `.nan` are refused: JSON, and so a policy input, cannot hold them;
- an unquoted `YYYY-MM-DD` date (optionally with a time) must be a real calendar date
  and becomes ISO 8601 text (`2026-02-30` is an error, with its line);
- mapping keys must be strings and appear once; no merge keys (`<<` is a plain key);
- tags: only the core ones (`!!str`, `!!int`, `!!float`, `!!bool`, `!!null`, `!!seq`,
  `!!map`, and `!!timestamp`); `!!binary`, `!!set`, `!!omap`, `!!python/...` and local
  tags are refused;
- bounds: MAX_BYTES of text, MAX_DEPTH levels of nesting and MAX_NODES nodes once
  aliases are expanded (a "billion laughs" document fails at once instead of exhausting
  memory), and an alias may not refer to a node that contains it.
"""

from __future__ import annotations

import math
import re
import stat
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer, ComposerError
from yaml.constructor import BaseConstructor, ConstructorError
from yaml.events import AliasEvent, CollectionStartEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader, ReaderError
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

MAX_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 100
MAX_NODES = 1_000_000

_T = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL = (_T + k for k in ("str", "int", "float", "bool", "null"))
SEQ, MAP, TIMESTAMP = _T + "seq", _T + "map", _T + "timestamp"

_TIMESTAMP = re.compile(
    r"^(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})"
    r"(?:(?:[Tt]|[ \t]+)(?P<h>[0-9]{1,2}):(?P<m>[0-9]{2}):(?P<s>[0-9]{2})(?:\.(?P<f>[0-9]+))?"
    r"(?:[ \t]*(?P<tz>Z|z|[-+][0-9]{1,2}(?::?[0-9]{2})?))?)?$"
)


class YamlError(ValueError):
    """A YAML document that cannot be read as govern data; `line` is 1-based or None."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _Resolver(BaseResolver):
    """Implicit tags of plain scalars: the YAML 1.2 core schema, plus calendar dates."""

    yaml_implicit_resolvers: dict[Any, Any] = {}


for _tag, _regexp, _first in (
    (BOOL, r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    (INT, r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        FLOAT,
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
    (NULL, r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    (TIMESTAMP, _TIMESTAMP.pattern, "0123456789"),
):
    _Resolver.add_implicit_resolver(_tag, re.compile(_regexp), list(_first))


def _iso(text: str) -> str:
    """A YAML timestamp as ISO 8601 text; ValueError for a date that does not exist."""
    m = _TIMESTAMP.match(text.strip())
    if m is None:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD) or a date and time")
    day = date.fromisoformat(m["date"])
    if m["h"] is None:
        return day.isoformat()
    micro = int((m["f"] or "0")[:6].ljust(6, "0"))
    tz = UTC
    if m["tz"] and m["tz"] not in ("Z", "z"):
        sign = -1 if m["tz"][0] == "-" else 1
        digits = m["tz"][1:].replace(":", "")
        hours = int(digits[:-2] if len(digits) > 2 else digits)
        minutes = int(digits[-2:]) if len(digits) > 2 else 0
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    dt = datetime(day.year, day.month, day.day, int(m["h"]), int(m["m"]), int(m["s"]), micro, tz)
    out = dt.isoformat()
    return out[:-6] + "Z" if out.endswith("+00:00") else out


class _Constructor(BaseConstructor):
    """Builds JSON data only; anything else is a located error."""

    def construct_str(self, node: Node) -> str:
        if not isinstance(node, ScalarNode):
            raise ConstructorError(None, None, "a !!str must be a scalar", node.start_mark)
        return str(node.value)

    def construct_null(self, node: Node) -> None:
        value = self.construct_str(node)
        if value not in ("", "~", "null", "Null", "NULL"):
            raise ConstructorError(None, None, f"{value!r} is not null", node.start_mark)
        return None

    def construct_bool(self, node: Node) -> bool:
        value = self.construct_str(node)
        if value.lower() not in ("true", "false"):
            raise ConstructorError(None, None, f"{value!r} is not true or false", node.start_mark)
        return value.lower() == "true"

    def construct_int(self, node: Node) -> int:
        value = self.construct_str(node)
        try:
            if value.startswith("0o"):
                return int(value[2:], 8)
            if value.startswith("0x"):
                return int(value[2:], 16)
            if not re.fullmatch(r"[-+]?[0-9]+", value):
                raise ValueError(value)
            return int(value, 10)
        except ValueError:
            raise ConstructorError(
                None, None, f"{value!r} is not an integer", node.start_mark
            ) from None

    def construct_float(self, node: Node) -> float:
        value = self.construct_str(node)
        try:
            number = math.inf if value.lower().lstrip("+-") in (".inf", ".nan") else float(value)
        except ValueError:
            raise ConstructorError(
                None, None, f"{value!r} is not a number", node.start_mark
            ) from None
        if not math.isfinite(number):
            raise ConstructorError(
                None,
                None,
                f"{value!r} is not a finite number; JSON (and so a policy input) cannot hold "
                "infinities or NaN (quote it to keep it as text)",
                node.start_mark,
            )
        return number

    def construct_timestamp(self, node: Node) -> str:
        value = self.construct_str(node)
        try:
            return _iso(value)
        except ValueError as exc:
            raise ConstructorError(
                None, None, f"impossible date {value!r}: {exc}", node.start_mark
            ) from None

    def construct_seq(self, node: Node) -> Any:
        if not isinstance(node, SequenceNode):
            raise ConstructorError(None, None, "a !!seq must be a sequence", node.start_mark)
        data: list[Any] = []
        yield data
        data.extend(self.construct_object(child) for child in node.value)

    def construct_map(self, node: Node) -> Any:
        if not isinstance(node, MappingNode):
            raise ConstructorError(None, None, "a !!map must be a mapping", node.start_mark)
        data: dict[str, Any] = {}
        yield data
        seen: dict[str, Node] = {}
        for key_node, value_node in node.value:
            if not (isinstance(key_node, ScalarNode) and key_node.tag == STR):
                shown = key_node.value if isinstance(key_node, ScalarNode) else key_node.id
                raise ConstructorError(
                    None,
                    None,
                    f"mapping key {shown!r} is not a string; quote it (keys must be text)",
                    key_node.start_mark,
                )
            key = str(key_node.value)
            if key in seen:
                first = seen[key].start_mark.line + 1
                raise ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (first defined on line {first}); "
                    "each key may appear once",
                    key_node.start_mark,
                )
            seen[key] = key_node
            data[key] = self.construct_object(value_node)

    def construct_refused(self, node: Node) -> Any:
        raise ConstructorError(
            None,
            None,
            f"tag {node.tag!r} is not allowed; only plain JSON-like data (strings, numbers, "
            "booleans, null, lists and mappings) can be read",
            node.start_mark,
        )


_CONSTRUCTORS: tuple[tuple[str | None, Any], ...] = (
    (STR, _Constructor.construct_str),
    (NULL, _Constructor.construct_null),
    (BOOL, _Constructor.construct_bool),
    (INT, _Constructor.construct_int),
    (FLOAT, _Constructor.construct_float),
    (TIMESTAMP, _Constructor.construct_timestamp),
    (SEQ, _Constructor.construct_seq),
    (MAP, _Constructor.construct_map),
    (None, _Constructor.construct_refused),
)
for _ctag, _fn in _CONSTRUCTORS:
    _Constructor.add_constructor(_ctag, _fn)


class _Composer(Composer):
    """PyYAML's composer with depth, expanded-size and recursive-alias bounds.

    Sizes and depths are computed per node once (aliases share nodes), so the bounds cost
    one pass whatever the expansion would be.
    """

    def __init__(self) -> None:
        super().__init__()
        self._depth = 0
        self._open: set[str] = set()
        self._size: dict[int, tuple[int, int]] = {}  # id(node) -> (expanded nodes, depth)

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        event = self.peek_event()  # type: ignore[attr-defined]
        if isinstance(event, AliasEvent):
            if event.anchor in self._open:
                raise ComposerError(
                    None,
                    None,
                    f"alias *{event.anchor} refers to a node that contains it (recursive data)",
                    event.start_mark,  # type: ignore[arg-type]
                )
            aliased: Node = super().compose_node(parent, index)  # type: ignore[assignment]
            return aliased
        anchor = event.anchor if isinstance(event, CollectionStartEvent) else None
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise ComposerError(
                None, None, f"nested deeper than {MAX_DEPTH} levels", event.start_mark
            )
        if anchor is not None:
            self._open.add(anchor)
        node: Node = super().compose_node(parent, index)  # type: ignore[assignment]
        if anchor is not None:
            self._open.discard(anchor)
        self._depth -= 1
        self._measure(node)
        return node

    def _measure(self, node: Node) -> None:
        children: list[Node] = []
        if isinstance(node, SequenceNode):
            children = list(node.value)
        elif isinstance(node, MappingNode):
            children = [n for pair in node.value for n in pair]
        size, depth = 1, 1
        for child in children:
            s, d = self._size[id(child)]
            size += s
            depth = max(depth, d + 1)
        if size > MAX_NODES:
            raise ComposerError(
                None,
                None,
                f"expands to more than {MAX_NODES:,} nodes (through aliases); refusing to build it",
                node.start_mark,
            )
        if depth > MAX_DEPTH:
            raise ComposerError(
                None,
                None,
                f"nested deeper than {MAX_DEPTH} levels once aliases are expanded",
                node.start_mark,
            )
        self._size[id(node)] = (size, depth)


class _Loader(Reader, Scanner, Parser, _Composer, _Constructor, _Resolver):
    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        _Composer.__init__(self)
        _Constructor.__init__(self)
        _Resolver.__init__(self)


def parse(text: str) -> tuple[Any, Node | None]:
    """(data, root node) of one YAML document; YamlError with the line on any problem."""
    if len(text) > MAX_BYTES:
        raise YamlError(f"document is larger than {MAX_BYTES:,} bytes")
    loader: _Loader | None = None
    try:
        loader = _Loader(text)
        node = loader.get_single_node()
        data = None if node is None else loader.construct_document(node)
    except ReaderError as exc:
        at = text.count("\n", 0, exc.position) + 1
        raise YamlError(f"invalid YAML: {exc.reason} (character {exc.character!r})", at) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or ""
        if exc.context and (not problem or problem.startswith("but ")):
            problem = f"{exc.context}, {problem}" if problem else exc.context
        problem = problem or str(exc)
        raise YamlError(f"invalid YAML: {problem}", line) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"invalid YAML: {exc}") from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, node


def read_text(path: Path) -> str:
    """A YAML file's text: a regular file, at most MAX_BYTES, UTF-8 (YamlError otherwise).

    The file type is checked first so that a FIFO or a device never blocks the read.
    """
    info = path.stat()  # FileNotFoundError / OSError are the caller's to word
    if not stat.S_ISREG(info.st_mode):
        raise YamlError("not a regular file")
    if info.st_size > MAX_BYTES:
        raise YamlError(f"file is {info.st_size:,} bytes; the limit is {MAX_BYTES:,} bytes")
    with path.open("rb") as f:
        raw = f.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise YamlError(f"file is larger than {MAX_BYTES:,} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise YamlError(f"not UTF-8 text ({exc.reason}); save the file as UTF-8", line) from None


__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_NODES", "YamlError", "parse", "read_text"]


def line_of(node: Node | None, path: list[str | int]) -> int | None:
    """1-based line of the key (or item) at `path`, descending through the nodes, or None."""
    line = None
    for key in path:
        if isinstance(key, int) and isinstance(node, SequenceNode) and key < len(node.value):
            node = node.value[key]
            line = int(node.start_mark.line) + 1
            continue
        if not isinstance(node, MappingNode):
            return line
        for k, v in node.value:
            if isinstance(k, ScalarNode) and k.value == key:
                line, node = int(k.start_mark.line) + 1, v
                break
        else:
            return line
    return line
