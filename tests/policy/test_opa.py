"""The `opa` binary adapter: identical verdicts to regorus where the binary exists."""

from __future__ import annotations

import shutil

import pytest

from govern.errors import PolicyLoadError
from govern.policy import EngineOptions, load

from ..conftest import POLICIES

HAS_OPA = shutil.which("opa") is not None
needs_opa = pytest.mark.skipif(not HAS_OPA, reason="opa binary not on PATH")

INPUTS = [
    {"model": {"risk_tier": 1}, "evidence": {}},
    {
        "model": {"risk_tier": 2},
        "evidence": {
            "drift": {
                "features": [
                    {"name": "a", "psi": 0.3, "missing_rate": 0.0, "status": "ok", "reasons": []}
                ]
            }
        },
    },
]


@pytest.mark.skipif(HAS_OPA, reason="opa is on PATH")
def test_missing_binary_is_a_clear_error() -> None:
    with pytest.raises(PolicyLoadError, match="no `opa` binary on PATH"):
        load(POLICIES, options=EngineOptions(engine="opa"))


@needs_opa
@pytest.mark.parametrize("doc", INPUTS)
def test_opa_and_regorus_agree(doc: dict) -> None:
    with (
        load(POLICIES) as regorus,
        load(POLICIES, options=EngineOptions(engine="opa")) as opa,
    ):
        a = regorus.decide(doc, model="m", version="1", stage="production")
        b = opa.decide(doc, model="m", version="1", stage="production")
    assert b.engine == "opa"
    assert a.allowed == b.allowed
    assert sorted(v.to_dict().items().__repr__() for v in a.violations) == sorted(
        v.to_dict().items().__repr__() for v in b.violations
    )
