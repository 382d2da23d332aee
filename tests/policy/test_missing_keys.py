"""Every control that reads a card field or evidence has a missing-key case in the library.

The controls and the fields they read come from the generated control reference (the
METADATA blocks and the rule text, policy/_docs.py); the cases are the lists `cases` and
`every_control` of policies/tests/missing_keys_test.rego, whose Rego tests (run by
`govern policy test`) check that removing each key denies. A new control that reads a
field fails here until it gets a case, or is listed below as not yet covered.
"""

from __future__ import annotations

import json

import regorus

from govern.lifecycle import STAGES
from govern.policy._bundle import read_bundle
from govern.policy._docs import control_reference

from ..conftest import POLICIES

# Controls that read a field but have no case: a missing key cannot make them fire, by
# design. CO-LEGACY-01 warns only when the data flag `co_legacy` is set (off in the
# library); for the others an absent key means "nothing to report": INV-ZMB-04 (no
# inference recorded after retirement), MRM-OUT-01 (no backtest breaches recorded),
# MRM-SCOPE-01 (not declared generative or agentic). Cover one and this test says to drop
# it here.
NOT_YET_COVERED = frozenset({"CO-LEGACY-01", "INV-ZMB-04", "MRM-OUT-01", "MRM-SCOPE-01"})


def _reading_controls() -> dict[str, set[str]]:
    """Control ID -> the card/evidence fields it reads (only controls that read any)."""
    out: dict[str, set[str]] = {}
    for entry in control_reference([POLICIES]):
        reads = entry["reads"]
        fields = {f"model.{f}" for f in reads.get("model", ())}
        fields |= {f"evidence.{f}" for f in reads.get("evidence", ())}
        fields |= {f"records.{f}" for f in reads.get("records", ())}
        if fields:
            out[entry["control"].id] = fields
    return out


def _cases() -> list[list[str]]:
    """[pack, violation control, JSON pointer] of every case of missing_keys_test.rego."""
    bundle = read_bundle([POLICIES])
    engine = regorus.Engine()
    for path, source in bundle.modules:
        engine.add_policy(path, source)
    engine.add_data_json(json.dumps(bundle.data))
    engine.set_input_json("{}")
    query = (
        "[data.govern.missing_keys_test.cases, data.govern.missing_keys_test.every_control, "
        "data.govern.missing_keys_test.warn_controls]"
    )
    result = json.loads(engine.eval_query_as_json(query))["result"][0]["expressions"][0]
    old, new, warns = result["value"]
    return [c for c in old] + [[c[0], c[1], c[4]] for c in new + warns]


def _covered(cases: list[list[str]]) -> set[str]:
    """Catalogue IDs with a case: the violation's control, or GATE-<STAGE> for a gate case."""
    out = set()
    for pack, control, _ in cases:
        out.add(control)
        stage = pack.removeprefix("gate_")
        if pack.startswith("gate_") and stage in STAGES:
            out.add(f"GATE-{stage.upper()}")
    return out


def test_every_control_reading_a_field_has_a_missing_key_case() -> None:
    reading = _reading_controls()
    assert len(reading) >= 70  # the list is generated, not empty
    covered = _covered(_cases())
    uncovered = sorted(set(reading) - covered - set(NOT_YET_COVERED))
    assert uncovered == [], f"controls reading a field without a missing-key case: {uncovered}"


def test_the_not_yet_covered_list_does_not_rot() -> None:
    reading = _reading_controls()
    covered = _covered(_cases())
    assert sorted(set(NOT_YET_COVERED) - set(reading)) == []  # gone or reads nothing now
    assert sorted(set(NOT_YET_COVERED) & covered) == []  # covered now: drop it from the list
