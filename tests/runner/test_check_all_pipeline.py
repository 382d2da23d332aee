"""`check --all` builds, evaluates and records in one pipeline: every record is its model's.

The parent builds inputs while two sandbox children evaluate earlier ones, answers arrive
out of order, and each decision's row is prepared as it arrives. Whatever the order, each
stored decision must be the one made for its model, on that model's input, with one audit
record each, and a model whose evaluation failed must have none.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from govern.policy import input_hash, load
from govern.runner.bulk_input import RegistrySnapshot
from govern.runner.check import check_all, target_stage
from govern.store import Store, audit, registry

from ..conftest import TODAY_NOON
from .conftest import registered

MODELS = 90
FAILING = {f"m{i:02d}" for i in range(3, MODELS, 7)}  # evaluation errors, spread out


@pytest.fixture
def db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    path = registered(
        tmp_path,
        {
            f"m{i:02d}": f'name: m{i:02d}\nversion: "1"\nowner: team{i % 5}@example.com\n'
            f"risk_tier: {1 + i % 3}\nuse_case: pipeline test {i}\nstage: proposed\n"
            for i in range(MODELS)
        },
    )
    capsys.readouterr()
    return path


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    root = tmp_path / "gates"
    root.mkdir()
    failing = ", ".join(f'"{m}"' for m in sorted(FAILING))
    (root / "development.rego").write_text(
        "package govern.gates.development\n\nimport rego.v1\n\n"
        f"failing := {{{failing}}}\n\n"
        'deny contains sprintf("%v: owner %v", [input.model.name, input.model.owner]) if {\n'
        '\tendswith(input.model.owner, "0@example.com")\n}\n\n'
        'deny contains "boom" if {\n\tinput.model.name in failing\n\t1 / 0 > 0\n}\n'
    )
    return root


def test_every_stored_decision_is_its_models_and_the_chain_verifies(
    db: str, policies: Path
) -> None:
    with load(policies) as prepared, Store.open(db) as store:
        outcomes = check_all(store, prepared, now=TODAY_NOON, workers=2)
        assert [o.model for o in outcomes] == [f"m{i:02d}" for i in range(MODELS)]
        failed = {o.model for o in outcomes if o.decision is None}
        assert failed == FAILING
        snapshot = RegistrySnapshot.read(store)
        expected_hash = {
            str(row["name"]): input_hash(
                snapshot.input_for(row, target_stage(str(row["stage"])), now=TODAY_NOON)
            )
            for row in registry.versions_with_cards(store)
        }
        stored = {
            r[0]: r[1:]
            for r in store.query(
                "SELECT decision_id, name, result, input_hash, violations FROM decisions"
            )
        }
        decided = [o for o in outcomes if o.decision is not None]
        assert len(stored) == len(decided) == MODELS - len(FAILING)
        for o in decided:
            assert o.decision is not None
            name, result, digest, violations = stored[o.decision.decision_id]
            assert (name, result, digest) == (o.model, o.decision.result, expected_hash[o.model])
            owner_zero = int(o.model[1:]) % 5 == 0
            assert o.decision.allowed is not owner_zero
            assert (f"{o.model}: owner" in violations) is owner_zero
        subjects = [
            r[0]
            for r in store.query(
                "SELECT subject FROM audit_log WHERE action = 'decision' ORDER BY seq"
            )
        ]
        assert subjects == [f"{o.model}@1" for o in decided]  # registry order, one each
        assert audit.verify(store.conn).ok
