"""The policy input document as the engine sees it: strict JSON text and its hash.

NaN and ±inf are not JSON; an engine fed `NaN` either rejects it or compares it as false
(`NaN > 0.2` is false, so a drift gate would pass). They are refused here, before
evaluation, with the path of the offending value.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

import rfc8785

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
    """Strict JSON text of the input document; NaN/inf are refused naming their path."""
    try:
        return json.dumps(input_doc, allow_nan=False, separators=(",", ":"))
    except ValueError as exc:
        found = _non_finite_path(input_doc)
        if found is not None:
            raise UserInputError(NON_FINITE.format(path=found[0], value=found[1])) from exc
        raise UserInputError(f"policy input: {exc}") from exc
    except TypeError as exc:
        raise UserInputError(f"policy input is not JSON data: {exc}") from exc


_SAFE_INT = 2**53


def _plain(doc: Any) -> Any:
    """`doc` with integral floats as ints, or None where Python's JSON would differ from JCS.

    RFC 8785 formats numbers as ECMAScript does: `1.0` is `1`, and exponents start below
    1e-6 and at 1e21, where Python switches at 1e-4 and 1e16. Between those bounds, and
    for ASCII keys (JCS sorts by UTF-16 units, Python by code points), `json.dumps` with
    sorted keys and no whitespace produces the same bytes as an RFC 8785 encoder.
    """
    if isinstance(doc, dict):
        out = {}
        for k, v in doc.items():
            if not isinstance(k, str) or not k.isascii():
                return None
            pv = _plain(v)
            if pv is None and v is not None:
                return None
            out[k] = pv
        return out
    if isinstance(doc, list | tuple):
        items = []
        for v in doc:
            pv = _plain(v)
            if pv is None and v is not None:
                return None
            items.append(pv)
        return items
    if isinstance(doc, bool) or doc is None or isinstance(doc, str):
        return doc
    if isinstance(doc, int):
        return doc if -_SAFE_INT < doc < _SAFE_INT else None
    if isinstance(doc, float):
        if doc.is_integer() and -_SAFE_INT < doc < _SAFE_INT:
            return int(doc)
        return doc if math.isfinite(doc) and 1e-4 <= abs(doc) < 1e16 else None
    return None


def canonical_json(input_doc: dict[str, Any]) -> bytes:
    """RFC 8785 (JCS) bytes of `input_doc`: a fast path for plain documents, else rfc8785."""
    plain = _plain(input_doc)
    if plain is not None:
        try:
            text = json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            return text.encode("utf-8")
        except (UnicodeEncodeError, ValueError):
            pass  # lone surrogates and the like: let the reference encoder decide
    return bytes(rfc8785.dumps(input_doc))


def input_hash(input_doc: dict[str, Any]) -> str:
    """sha256 of the RFC 8785 canonical JSON of the input (NaN/inf refused)."""
    try:
        return hashlib.sha256(canonical_json(input_doc)).hexdigest()
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        found = _non_finite_path(input_doc)
        if found is not None:
            raise UserInputError(NON_FINITE.format(path=found[0], value=found[1])) from exc
        raise UserInputError(f"policy input cannot be canonicalised: {exc}") from exc
