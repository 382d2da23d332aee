"""RFC 8785 (JSON Canonicalization Scheme) bytes, fast for plain documents.

The reference encoder (rfc8785) is pure Python and costs ~80 us for a small record; policy
input hashes and audit records are canonicalised once per decision, so a `check --all`
over 1,000 models spent a third of its recording time there. For documents whose JSON
text is the same under both encoders (ASCII keys, safe integers, integral floats below
2**53, other floats in the range where Python and ECMAScript print alike) `json.dumps` is
used, about twice as fast as rfc8785 on a 4.7 KB policy input; anything else goes to rfc8785.
tests/test_jcs.py compares the two byte for byte over a seeded 30,000-document corpus that
covers every boundary named here, against rfc8785 alone.
"""

from __future__ import annotations

import json
import math
from typing import Any

import rfc8785

_SAFE_INT = 2**53


_BAD = object()  # _plain's answer for a value json.dumps would not print as JCS does


def _plain(doc: Any) -> Any:
    """`doc` with integral floats as ints, or _BAD where Python's JSON would differ from JCS.

    RFC 8785 formats numbers as ECMAScript does: `1.0` is `1`, and exponents start below
    1e-6 and at 1e21, where Python switches at 1e-4 and 1e16. Between those bounds, and
    for ASCII keys (JCS sorts by UTF-16 units, Python by code points), `json.dumps` with
    sorted keys and no whitespace produces the same bytes as an RFC 8785 encoder.

    A container is copied only when something in it changes (an integral float), and
    plain scalars are checked inline: a policy input is mostly strings.
    """
    t = type(doc)
    if t is dict:
        out = None
        for k, v in doc.items():
            if (type(k) is not str and not isinstance(k, str)) or not k.isascii():
                return _BAD
            tv = type(v)
            if tv is str or v is None or tv is bool:
                continue
            if tv is int and -_SAFE_INT < v < _SAFE_INT:
                continue
            pv = _plain(v)
            if pv is _BAD:
                return _BAD
            if pv is not v:
                if out is None:
                    out = dict(doc)
                out[k] = pv
        return doc if out is None else out
    if t is list or t is tuple:
        items = None
        for i, v in enumerate(doc):
            tv = type(v)
            if tv is str or v is None or tv is bool:
                continue
            if tv is int and -_SAFE_INT < v < _SAFE_INT:
                continue
            pv = _plain(v)
            if pv is _BAD:
                return _BAD
            if pv is not v:
                if items is None:
                    items = list(doc)
                items[i] = pv
        return doc if items is None else items
    if t is str or doc is None or t is bool:
        return doc
    if t is int:
        return doc if -_SAFE_INT < doc < _SAFE_INT else _BAD
    if t is float:
        if doc.is_integer():
            # ECMAScript prints an integral double without ".0" up to 1e21; Python's repr
            # adds ".0" (9708413660533278.0), so only values exact as ints are converted.
            return int(doc) if -_SAFE_INT < doc < _SAFE_INT else _BAD
        return doc if math.isfinite(doc) and 1e-4 <= abs(doc) < 1e16 else _BAD
    return _plain_subclass(doc)


def _plain_subclass(doc: Any) -> Any:
    """_plain for instances of subclasses of the JSON types (the general, slower walk)."""
    if isinstance(doc, dict):
        out = {}
        for k, v in doc.items():
            if not isinstance(k, str) or not k.isascii():
                return _BAD
            pv = _plain(v)
            if pv is _BAD:
                return _BAD
            out[k] = pv
        return out
    if isinstance(doc, list | tuple):
        items = []
        for v in doc:
            pv = _plain(v)
            if pv is _BAD:
                return _BAD
            items.append(pv)
        return items
    if isinstance(doc, bool | str):
        return doc
    if isinstance(doc, int):
        return doc if -_SAFE_INT < doc < _SAFE_INT else _BAD
    if isinstance(doc, float):
        if doc.is_integer():
            return int(doc) if -_SAFE_INT < doc < _SAFE_INT else _BAD
        return doc if math.isfinite(doc) and 1e-4 <= abs(doc) < 1e16 else _BAD
    return _BAD


def plain_canonical(doc: Any) -> bytes | None:
    """RFC 8785 bytes of `doc` when it is plain (json.dumps prints it as JCS does), else None.

    Plain bytes are also what any other JCS encoder prints for the same value, so callers
    may splice them into a larger canonical document.
    """
    plain = _plain(doc)
    if plain is _BAD:
        return None
    try:
        text = json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return text.encode("utf-8")
    except (UnicodeEncodeError, ValueError):
        return None  # lone surrogates and the like: let the reference encoder decide


def canonical_json(input_doc: Any) -> bytes:
    """RFC 8785 (JCS) bytes of `input_doc`: a fast path for plain documents, else rfc8785."""
    fast = plain_canonical(input_doc)
    return fast if fast is not None else bytes(rfc8785.dumps(input_doc))
