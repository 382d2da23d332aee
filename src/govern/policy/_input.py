"""The policy input document as the engine sees it: strict JSON text and its hash.

NaN and ±inf are not JSON; an engine fed `NaN` either rejects it or compares it as false
(`NaN > 0.2` is false, so a drift gate would pass). They are refused here, before
evaluation, with the path of the offending value.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import rfc8785

from govern._jcs import canonical_json
from govern.errors import UserInputError

NON_FINITE = "policy input: {path} is {value}; metrics must be finite numbers or null with a status"


def _non_finite_path(doc: Any, path: str = "input") -> tuple[str, float] | None:
    stack: list[tuple[str, Any]] = [(path, doc)]
    while stack:
        where, cur = stack.pop()
        if isinstance(cur, float) and not math.isfinite(cur):
            return where, cur
        if isinstance(cur, dict):
            stack.extend((f"{where}.{k}", v) for k, v in cur.items())
        elif isinstance(cur, list | tuple):
            stack.extend((f"{where}[{i}]", v) for i, v in enumerate(cur))
    return None


def encode_input(input_doc: dict[str, Any]) -> str:
    """The JSON text an engine evaluates: the input's RFC 8785 form (NaN/inf refused).

    The very bytes its input_hash is taken over, so a decision is a function of what the
    hash covers: `1.0` and `1` are one number there, as they are to regorus, where OPA's
    `json.marshal` would otherwise print them apart. One encoding serves the hash, the
    engine and the stored input.
    """
    return canonical_input(input_doc).decode("utf-8")


def canonical_input(input_doc: dict[str, Any]) -> bytes:
    """RFC 8785 canonical JSON of the input (NaN/inf refused): what input_hash hashes."""
    try:
        return canonical_json(input_doc)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        found = _non_finite_path(input_doc)
        if found is not None:
            raise UserInputError(NON_FINITE.format(path=found[0], value=found[1])) from exc
        raise UserInputError(f"policy input cannot be canonicalised: {exc}") from exc


def input_hash(input_doc: dict[str, Any]) -> str:
    """sha256 of the RFC 8785 canonical JSON of the input (NaN/inf refused)."""
    return hashlib.sha256(canonical_input(input_doc)).hexdigest()
