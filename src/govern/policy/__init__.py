"""Policy bundles and their evaluation. Use `load(dir)` once, then `decide(...)` per model."""

from govern.policy._bundle import Bundle, read_bundle
from govern.policy._input import encode_input, input_hash
from govern.policy._layers import library_dir, policy_layers
from govern.policy._pool import LimitReached
from govern.policy._prepared import (
    ENGINES,
    DecideItem,
    EngineOptions,
    PreparedPolicies,
    load,
)
from govern.policy._sandbox import Limits

__all__ = [
    "ENGINES",
    "Bundle",
    "DecideItem",
    "EngineOptions",
    "LimitReached",
    "Limits",
    "PreparedPolicies",
    "encode_input",
    "input_hash",
    "library_dir",
    "load",
    "policy_layers",
    "read_bundle",
]
