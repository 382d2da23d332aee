"""The per-stage rule index (policy/_index.py) never changes a decision.

Generated inputs at every stage, tier and scope mix are decided on the full bundle and
on the per-stage copies; the violations must be identical, in-process and in the sandbox.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from govern.lifecycle import STAGES
from govern.policy import DecideItem, EngineOptions, library_dir, load
from govern.policy._index import _cut
from govern.results import Decision

from ..conftest import TODAY_NOON

SCOPES = [
    [],
    ["us_sr26_2"],
    ["us_sr26_2", "ecoa_reg_b"],
    ["eu_ai_act"],
    ["nyc_ll144"],
    ["fairness", "co_sb26_189", "nist_ai_rmf", "iso42001"],
]


def _inputs() -> list[DecideItem]:
    items = []
    combos = itertools.product(STAGES, SCOPES, ("1", "2", 3), (True, False))
    for i, (stage, scopes, tier, evidence) in enumerate(combos):
        model = {
            "name": f"m{i}",
            "version": "1",
            "owner": "o@example.com",
            "risk_tier": tier,
            "use_case": "x",
            "regulatory_scope": scopes,
            "lifecycle_stage": stage,
            "registered_at": "2026-01-01T00:00:00Z",
            "tier_rationale": "t",
            "eu_ai_act": {"high_risk": True, "role": "provider"},
            "monitoring": {"features": ["a"]},
        }
        ev = (
            {
                "drift": {
                    "status": "ok",
                    "scanned_at": TODAY_NOON,
                    "features": {"a": {"psi": 0.3, "status": "ok"}},
                }
            }
            if evidence
            else {}
        )
        doc = {"now": TODAY_NOON, "stage": stage, "model": model, "evidence": ev}
        items.append(DecideItem(doc, f"m{i}", "1", stage))
    return items


def _key(d: Decision | Exception) -> object:
    if not isinstance(d, Decision):
        return ("error", str(d))
    return (d.allowed, sorted((v.kind, v.control, v.msg, v.severity) for v in d.violations))


@pytest.mark.parametrize("sandbox", [False, True], ids=["in-process", "sandbox"])
def test_indexed_and_full_bundles_decide_identically(sandbox: bool) -> None:
    items = _inputs()
    with load(library_dir(), options=EngineOptions(sandbox=sandbox)) as prepared:
        assert prepared.index is not None
        assert set(prepared.index.modules) == set(STAGES)
        indexed = [_key(d) for d in prepared.decide_many(items, workers=2)]
        one = [
            _key(prepared.decide(i.input_doc, model=i.model, version=i.version, stage=i.stage))
            for i in items[::17]
        ]
        prepared.index = None
        prepared._queries.clear()
        full = [_key(d) for d in prepared.decide_many(items, workers=2)]
    assert indexed == full
    assert one == full[::17]
    assert any(k[0] is False for k in full) and len({str(k) for k in full}) > 10


def test_the_index_leaves_out_rules_that_cannot_apply() -> None:
    with load(library_dir(), options=EngineOptions(sandbox=False)) as prepared:
        index = prepared.index
        assert index is not None
        proposed = "\n".join(src for _, src in index.modules["proposed"])
        production = "\n".join(src for _, src in index.modules["production"])
        assert '"MRM-RET-01"' not in proposed  # retired only: its rules are cut
        assert '"control": "MON-PSI-01"' in production
        # kept guards are `true`, and every control module reads the library by full path
        assert "lib.applies(" not in production
        assert "data.govern.lib.m" in production
        code = "\n".join(x for x in production.splitlines() if not x.lstrip().startswith("#"))
        assert not re.search(r"(?<![\w.`])lib\.", code)
        full = "\n".join(src for _, src in prepared.bundle.modules)
        assert 'lib.applies("MON-PSI-01")' in full  # the full bundle is unchanged
        assert not any(p.endswith("_test.rego") for p, _ in index.modules["production"])
        # a decision whose input names another stage is evaluated on the full bundle
        assert index.variant_for("production", "production") == "production"
        assert index.variant_for("production", "validation") is None


def test_a_redefined_applies_turns_the_index_off(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    src = (library_dir() / "lib" / "common.rego").read_text(encoding="utf-8")
    changed = src.replace(
        "applies(id) if input.stage in data.govern.control_stages[id]",
        "applies(id) if input.model.always\n\napplies(id) if input.stage in "
        "data.govern.control_stages[id]",
    )
    assert changed != src
    layer = tmp_path / "policies"
    for p in library_dir().rglob("*"):
        if p.is_file():
            target = layer / p.relative_to(library_dir())
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(p.read_bytes())
    (layer / "lib" / "common.rego").write_text(changed, encoding="utf-8")
    with load(layer, options=EngineOptions(sandbox=False)) as prepared:
        assert prepared.index is None


def test_cut_works_on_bytes_and_keeps_line_numbers() -> None:
    source = "# § clause\nkeep := 1\ndrop := 2\nkeep2 := 3\n"
    raw = source.encode()
    start = raw.index(b"drop")
    end = raw.index(b"\nkeep2")
    out = _cut(source, [(start, end)])
    assert out == "# § clause\nkeep := 1\n\nkeep2 := 3\n"
    assert out.splitlines()[3] == "keep2 := 3"
