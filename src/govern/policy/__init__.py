"""Policy bundles and their evaluation. Use `load(dir)` once, then `decide(...)` per model."""

from govern.policy._bundle import Bundle, read_bundle
from govern.policy._prepared import PreparedPolicies, input_hash, load

__all__ = ["Bundle", "PreparedPolicies", "input_hash", "load", "read_bundle"]
