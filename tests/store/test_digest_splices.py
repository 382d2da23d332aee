"""The spliced canonical forms (decision digest, audit record) equal the general ones.

Recording `check --all` canonicalises the violations of a decision and the payload of its
audit record once and splices those bytes into the enclosing canonical document
(store/_digest.decision_digest, store/audit._spliced). A JCS array or object is its
members' canonical bytes in order, so the splice must give the very bytes of the general
path; these tests compare them over the fuzz corpus of tests/test_jcs.py (non-ASCII and
astral keys, control characters, integral floats past 2**53, exponent switches), where the
splice must either agree or step aside (None: the general path is taken).
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from govern._jcs import plain_canonical
from govern.store import _digest, audit
from tests.test_jcs import _document, _value

SEED = 20261202


def _records(n: int) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    rng = random.Random(SEED)
    out = []
    for i in range(n):
        payload = _document(rng)
        record = {
            "v": audit.FORMAT_VERSION,
            "seq": rng.choice([1, i, 2**53 - 1, 2**60]),
            "ts": rng.choice(["2026-12-02T17:00:00Z", "t\u2028", "\U0001f600"]),
            "actor": rng.choice(["ci", None, "é", "a\x00b"]),
            "action": "decision",
            "subject": rng.choice(["m@1", 'q"uote@2', "\ud800"]),
            "payload": payload,
        }
        out.append((record, payload))
    return out


def test_audit_record_splice_is_canonical_record() -> None:
    spliced = 0
    for record, payload in _records(3000):
        try:
            payload_canon = audit.canonical(payload)
            expected = audit.canonical(record)
        except Exception:  # the general path refuses it: the splice is never reached
            continue
        found = audit._spliced(record, payload_canon)
        if found is not None:
            spliced += 1
            assert found == expected, record
    assert spliced > 1000  # the fast path is the common one


def _decision_row(rng: random.Random) -> tuple[list[Any], list[dict[str, Any]], dict[str, Any]]:
    violations = [
        {"control": "C-1", "msg": str(_value(rng, 2)), "evidence": _value(rng, 1)}
        for _ in range(rng.randrange(0, 4))
    ]
    doc = _document(rng)
    row = [
        "id",
        "m",
        "1",
        "production",
        "deny",
        json.dumps(violations, sort_keys=True),
        "b" * 64,
        "i" * 64,
        json.dumps(doc, sort_keys=True),
        "regorus",
        "0.5",
        "2026-12-02T17:00:00Z",
    ]
    return row, violations, doc


@pytest.mark.parametrize("chunk", range(4))
def test_decision_digest_with_violations_equals_row_digest(chunk: int) -> None:
    rng = random.Random(SEED + chunk)
    compared = 0
    for _ in range(500):
        row, violations, doc = _decision_row(rng)
        try:
            expected = _digest.decision_digest(row)
            canon = audit.canonical(doc)
        except Exception:  # values the stored row could not hold (NaN in JSON text, ...)
            continue
        assert _digest.decision_digest(row, canon, violations) == expected
        # the violations stored as their own canonical text (store.prepare_decision)
        found = plain_canonical(violations)
        if found is not None:
            stored = [*row[:5], found.decode("utf-8"), *row[6:]]
            assert _digest.decision_digest(stored) == expected
            assert _digest.decision_digest(stored, canon, violations, found) == expected
        compared += 1
    assert compared > 100


def test_chain_rows_with_precomputed_payloads_equals_without() -> None:
    """check --all canonicalises each audit payload early; the rows must not change."""
    entries = [
        ("2026-12-03T10:00:00.000000Z", "decision", "ci", f"m@{n}", payload)
        for n, (_, payload) in enumerate(_records(200))
    ]
    plain = []
    for entry in entries:
        try:
            audit.canonical(entry[4])
        except Exception:  # refused on both paths alike
            continue
        plain.append(entry)
    assert len(plain) > 100
    start = audit.AuditHead(7, "a" * 64)
    canons = [audit.canonical(payload) for *_, payload in plain]
    assert list(audit.chain_rows(start, plain, canons)) == list(audit.chain_rows(start, plain))
