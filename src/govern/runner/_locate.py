"""Where a finding points in a model card: the line of the field a violation is about.

Convention (docs/ci.md): a violation names the card field it is about, as a dotted path
into the card ("monitoring.features", "lineage.training_data", "monitoring.features.0"),
in the first of these places that holds one:

1. a `field` attribute of the violation (if the policy engine carries one),
2. `evidence.field` when the violation's evidence is an object,
3. a backticked dotted name in the message, then in the remediation ("set `owner`").

Before those, evidence findings about one column point at that column's entry in the
card's monitoring plan: a message starting "feature NAME" at the item NAME of
`monitoring.features` (or `monitoring.categorical`), "attribute NAME" at the item of
`monitoring.protected`, "output NAME" at `monitoring.prediction`; so a drift finding on
`income` annotates the line that declares `income`, and moves with it.

The deepest existing prefix of the path is located (a missing `lineage.training_data`
points at `lineage` when that exists). Nothing found, or no card text: line 1.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import yaml

from govern.output import Location
from govern.results import Violation

_BACKTICKED = re.compile(r"`([A-Za-z_][\w-]*(?:\.[\w-]+)*)`")
_SUBJECT = re.compile(r"^(feature|attribute|output) ")
_SUBJECT_LISTS = {
    "feature": ("monitoring.features", "monitoring.categorical"),
    "attribute": ("monitoring.protected",),
    "output": ("monitoring.prediction",),
}


def candidate_fields(v: Violation) -> Iterator[str]:
    """Field paths named by a violation, most explicit first."""
    explicit = getattr(v, "field", None)
    if isinstance(explicit, str) and explicit:
        yield explicit
    if isinstance(v.evidence, dict):
        named = v.evidence.get("field")
        if isinstance(named, str) and named:
            yield named
    for text in (v.msg, v.remediation or ""):
        yield from _BACKTICKED.findall(text)


def _child(node: yaml.Node, key: str) -> tuple[yaml.Node, int] | None:
    if isinstance(node, yaml.MappingNode):
        for k, value in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return value, int(k.start_mark.line) + 1
    if isinstance(node, yaml.SequenceNode) and key.isdigit() and int(key) < len(node.value):
        item = node.value[int(key)]
        return item, int(item.start_mark.line) + 1
    return None


def locate_field(root: yaml.Node | None, path: str) -> tuple[int, str] | None:
    """(line, located prefix) of the deepest existing prefix of `path`, or None."""
    if root is None:
        return None
    node: yaml.Node = root
    found: tuple[int, str] | None = None
    parts = path.split(".")
    for i, part in enumerate(parts):
        step = _child(node, part)
        if step is None:
            break
        node, line = step
        found = (line, ".".join(parts[: i + 1]))
    return found


def _node(root: yaml.Node, path: str) -> tuple[yaml.Node, int] | None:
    node, line = root, 0
    for part in path.split("."):
        step = _child(node, part)
        if step is None:
            return None
        node, line = step
    return node, line


def locate_subject(root: yaml.Node | None, msg: str) -> tuple[int, str] | None:
    """(line, path) of the monitoring entry a "feature|attribute|output NAME" message names.

    The longest declared name that the message names ("feature NAME:" or "feature NAME "
    followed by more text) wins, so `income` and `income_2` are told apart.
    """
    m = _SUBJECT.match(msg)
    if root is None or m is None:
        return None
    rest = msg[m.end() :]
    best: tuple[int, int, str] | None = None  # (name length, line, path)
    for where in _SUBJECT_LISTS[m.group(1)]:
        found = _node(root, where)
        if found is None:
            continue
        node, line = found
        items = node.value if isinstance(node, yaml.SequenceNode) else [node]
        for i, item in enumerate(items):
            if not isinstance(item, yaml.ScalarNode):
                continue
            name = str(item.value)
            if name and (rest == name or rest.startswith((name + ":", name + " "))):
                path = f"{where}.{i}" if isinstance(node, yaml.SequenceNode) else where
                hit = (len(name), int(item.start_mark.line) + 1, path)
                if best is None or hit[0] > best[0]:
                    best = hit
    return (best[1], best[2]) if best is not None else None


# libyaml's loader when PyYAML was built with it: the same nodes and marks, ~10x faster than
# the pure-Python one (a `check --all` report locates the findings of every model's card).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def compose(text: str | None) -> yaml.Node | None:
    """The YAML node tree of a card's text (None if there is no text or it does not parse)."""
    if text is None:
        return None
    try:
        return yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError:
        return None


def locate_violations(
    card_text: str | None, violations: Sequence[Violation]
) -> tuple[Location, ...]:
    """One Location per violation, in order."""
    root = compose(card_text)
    out = []
    for v in violations:
        loc = Location()
        subject = locate_subject(root, v.msg)
        if subject is not None:
            out.append(Location(*subject))
            continue
        for name in candidate_fields(v):
            hit = locate_field(root, name)
            if hit is not None:
                loc = Location(hit[0], hit[1])
                break
        out.append(loc)
    return tuple(out)
