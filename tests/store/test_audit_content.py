"""Content digests: editing evidence, decisions or profiles through DuckDB is caught by verify."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from govern.results import Decision, MetricRow, ScanResult, SourceFile, Violation
from govern.store import Store, _content, _digest, audit
from govern.store.decisions import record_decision, record_decisions
from govern.store.evidence import write_scan
from govern.store.profiles import save_profile

GOVERN = str(Path(sys.executable).with_name("govern"))


def _scan(scan_id: str, psi: float) -> ScanResult:
    return ScanResult(
        scan_id=scan_id,
        model="credit",
        version="1",
        rows=1000,
        sources=(SourceFile("/data/a.parquet", 1234, 1767225600.123456, 1000),),
        metrics=(
            MetricRow("drift", "income", "psi", psi, detail={"edges": [-math.inf, 0.5, math.inf]}),
            MetricRow("drift", "age", "psi", 1e-7, detail={"bins": 10, "nan": math.nan}),
            MetricRow("drift", "score", "psi", None, "insufficient_data", "7 finite values < 100"),
            MetricRow("performance", "", "auc", 0.8123456789012345),
        ),
        scanned_at="2026-06-01T12:00:00.000001Z",
    )


def _decision(decision_id: str, result: str = "deny") -> Decision:
    violations = (
        (Violation("deny", "MRM-VAL-03", "no validator", "high", "govern.gates.validation"),)
        if result == "deny"
        else ()
    )
    return Decision(
        decision_id=decision_id,
        model="credit",
        version="1",
        stage="validation",
        allowed=result != "deny",
        violations=violations,
        bundle_hash="b" * 64,
        input_hash="i" * 64,
        engine="regorus",
        engine_version="0.5.0",
        decided_at="2026-06-01T12:00:01.250000Z",
    )


INPUT = {"model": {"name": "credit", "risk_tier": 1, "auc": 0.75, "note": "héllo"}, "n": 2**60}


@pytest.fixture
def db(db_path: Path) -> Path:
    """seq 1 migrate, 2 scan s1, 3 decision d1, 4-5 decisions d2 d3, 6 baseline, 7 scan s2."""
    with Store.open(db_path, create=True) as store:
        write_scan(store, _scan("s1", 0.31), kind="drift", params={"bins": 10, "at": 0.5})
        record_decision(store, _decision("d1"), INPUT)
        record_decisions(
            store, [(_decision("d2", "allow"), {"x": 1}), (_decision("d3"), {"x": [1.5, None]})]
        )
        save_profile(
            store,
            "credit",
            "1",
            digest="p" * 64,
            rows=1000,
            sources=[{"path": "/data/ref.parquet", "rows": 1000}],
            profile={"income": {"edges": [0.0, 0.25, 1e300], "counts": [1, 2]}},
        )
        write_scan(store, _scan("s2", 0.02), kind="drift", params={})
    return db_path


def _verify(db: Path, tz: str | None = None) -> audit.VerifyResult:
    con = duckdb.connect(str(db), read_only=True)
    if tz is not None:
        con.execute(f"SET TimeZone = '{tz}'")
    try:
        return audit.verify(con)
    finally:
        con.close()


def _tamper(db: Path, *sql: str) -> None:
    con = duckdb.connect(str(db))
    for s in sql:
        con.execute(s)
    con.close()


def _broken(db: Path, seq: int, problem: str) -> None:
    r = _verify(db)
    assert (r.ok, r.first_bad_seq, r.problem) == (False, seq, problem)


@pytest.mark.parametrize("tz", [None, "UTC", "America/New_York", "Asia/Kolkata", "Pacific/Chatham"])
def test_untouched_database_verifies_in_any_timezone(db: Path, tz: str | None) -> None:
    r = _verify(db, tz)
    assert r.ok, r.problem
    assert (r.rows, r.content_covered, r.not_content_covered) == (7, 6, 0)


def test_payload_holds_the_digest_of_the_stored_rows(db: Path) -> None:
    con = duckdb.connect(str(db), read_only=True)
    payloads = {
        seq: json.loads(p)
        for seq, p in con.execute("SELECT seq, CAST(payload AS VARCHAR) FROM audit_log").fetchall()
    }
    cols = ", ".join(_digest.DECISION_COLUMNS)
    row = con.execute(f"SELECT {cols} FROM decisions WHERE decision_id = 'd1'").fetchall()[0]
    con.close()
    assert payloads[3][_digest.CONTENT_KEY] == _digest.decision_digest(row)
    assert all(_digest.CONTENT_KEY in payloads[s] for s in range(2, 8))


def test_edited_evidence_value_is_detected(db: Path) -> None:
    _tamper(db, "UPDATE evidence SET value = 0.01 WHERE scan_id = 's1' AND subject = 'income'")
    _broken(db, 2, _content.EVIDENCE_DIFFERS.format(id="s1", seq=2, counts=""))


def test_edited_evidence_detail_is_detected(db: Path) -> None:
    _tamper(
        db,
        """UPDATE evidence SET detail = '{"bins": 5}' WHERE scan_id = 's2'
                   AND subject = 'age'""",
    )
    _broken(db, 7, _content.EVIDENCE_DIFFERS.format(id="s2", seq=7, counts=""))


def test_deleted_evidence_row_is_detected(db: Path) -> None:
    _tamper(db, "DELETE FROM evidence WHERE scan_id = 's2' AND metric = 'auc'")
    _broken(
        db,
        7,
        _content.EVIDENCE_DIFFERS.format(id="s2", seq=7, counts=" (3 evidence rows, 4 recorded)"),
    )


def test_all_evidence_of_a_scan_deleted_is_detected(db: Path) -> None:
    _tamper(db, "DELETE FROM evidence WHERE scan_id = 's1'")
    _broken(
        db,
        2,
        _content.EVIDENCE_DIFFERS.format(id="s1", seq=2, counts=" (0 evidence rows, 4 recorded)"),
    )


def test_inserted_evidence_row_is_detected(db: Path) -> None:
    _tamper(
        db,
        """INSERT INTO evidence SELECT * REPLACE ('fairness' AS family) FROM evidence
           WHERE scan_id = 's1' AND metric = 'auc'""",
    )
    _broken(
        db,
        2,
        _content.EVIDENCE_DIFFERS.format(id="s1", seq=2, counts=" (5 evidence rows, 4 recorded)"),
    )


def test_edited_scan_provenance_is_detected(db: Path) -> None:
    _tamper(db, "UPDATE scans SET rows = 5 WHERE scan_id = 's2'")
    _broken(db, 7, _content.EVIDENCE_DIFFERS.format(id="s2", seq=7, counts=""))


def test_deleted_scan_row_is_detected(db: Path) -> None:
    _tamper(
        db, "DELETE FROM evidence WHERE scan_id = 's1'", "DELETE FROM scans WHERE scan_id = 's1'"
    )
    msg = _content.ROW_MISSING.format(what="scan", id="s1", seq=2, table="scans")
    _broken(db, 2, msg)


def test_flipped_decision_result_is_detected(db: Path) -> None:
    _tamper(db, "UPDATE decisions SET result = 'allow' WHERE decision_id = 'd3'")
    _broken(db, 5, _content.ROW_DIFFERS.format(what="decision", table="decisions", id="d3", seq=5))


def test_edited_decision_input_is_detected(db: Path) -> None:
    _tamper(db, """UPDATE decisions SET input = '{"model": {}}' WHERE decision_id = 'd1'""")
    _broken(db, 3, _content.ROW_DIFFERS.format(what="decision", table="decisions", id="d1", seq=3))


def test_edited_violations_are_detected(db: Path) -> None:
    _tamper(db, "UPDATE decisions SET violations = '[]' WHERE decision_id = 'd1'")
    _broken(db, 3, _content.ROW_DIFFERS.format(what="decision", table="decisions", id="d1", seq=3))


def test_edited_decision_time_is_detected(db: Path) -> None:
    _tamper(db, "UPDATE decisions SET decided_at = decided_at + INTERVAL 1 MICROSECOND")
    _broken(db, 3, _content.ROW_DIFFERS.format(what="decision", table="decisions", id="d1", seq=3))


def test_reformatted_json_text_is_not_a_change(db: Path) -> None:
    """Only values count: the same input stored with other spacing and key order verifies."""
    _tamper(
        db,
        """UPDATE decisions SET input = '{"n":1152921504606846976,"model":{"note":
                   "h\\u00e9llo","auc":0.75,"risk_tier":1.0,"name":"credit"}}'
                   WHERE decision_id = 'd1'""",
    )
    r = _verify(db)
    assert r.ok, r.problem


def test_deleted_decision_is_detected(db: Path) -> None:
    _tamper(db, "DELETE FROM decisions WHERE decision_id = 'd2'")
    msg = _content.ROW_MISSING.format(what="decision", id="d2", seq=4, table="decisions")
    _broken(db, 4, msg)


def test_edited_profile_is_detected(db: Path) -> None:
    _tamper(db, """UPDATE profiles SET profile = '{"income": {"edges": [0, 1], "counts": [1]}}'""")
    con = duckdb.connect(str(db), read_only=True)
    pid = con.execute("SELECT profile_id FROM profiles").fetchall()[0][0]
    con.close()
    _broken(db, 6, _content.ROW_DIFFERS.format(what="profile", table="profiles", id=pid, seq=6))


def test_first_mismatch_by_seq_wins(db: Path) -> None:
    _tamper(
        db,
        "UPDATE scans SET kind = 'fairness' WHERE scan_id = 's2'",
        "UPDATE decisions SET stage = 'production' WHERE decision_id = 'd2'",
    )
    _broken(db, 4, _content.ROW_DIFFERS.format(what="decision", table="decisions", id="d2", seq=4))


def test_row_without_any_audit_record_is_reported(db: Path) -> None:
    _tamper(
        db,
        """INSERT INTO decisions SELECT * REPLACE ('forged' AS decision_id, 'allow' AS result)
           FROM decisions WHERE decision_id = 'd1'""",
    )
    r = _verify(db)
    assert (r.ok, r.first_bad_seq) == (False, None)
    assert r.problem == _content.UNRECORDED.format(what="decision", id="forged", table="decisions")


def test_records_without_digest_are_counted_not_failed(db_path: Path) -> None:
    """As written before content digests: the row and a payload without content_sha256."""
    with Store.open(db_path, create=True) as store:
        with store.transaction() as conn:
            conn.execute(
                """INSERT INTO decisions VALUES ('old', 'm', '1', 'production', 'deny', '[]',
                   'b', 'i', '{}', 'regorus', '0', TIMESTAMP '2026-01-02')"""
            )
            audit.append(conn, action="decision", subject="m@1", payload={"decision_id": "old"})
        record_decision(store, _decision("new"), INPUT)
    _tamper(db_path, "UPDATE decisions SET result = 'allow' WHERE decision_id = 'old'")
    r = _verify(db_path)
    assert r.ok, r.problem
    assert (r.content_covered, r.not_content_covered) == (1, 1)


def test_cli_reports_table_and_seq(db: Path) -> None:
    env = {**os.environ, "TZ": "Asia/Kolkata"}
    run = [GOVERN, "--db", str(db), "audit", "verify"]
    ok = subprocess.run(run, env=env, capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    assert "content: 6 scan/decision/baseline records match their rows, 0 not" in ok.stdout
    _tamper(db, "UPDATE evidence SET value = 0.01 WHERE scan_id = 's1' AND subject = 'income'")
    bad = subprocess.run(run, env=env, capture_output=True, text=True, check=False)
    assert bad.returncode == 1
    msg = (
        "audit log BROKEN at seq 2: rows of scan s1 in table scans or table evidence "
        "differ from what seq 2"
    )
    assert msg in bad.stdout
    js = subprocess.run([*run, "--format", "json"], capture_output=True, text=True, check=False)
    doc = json.loads(js.stdout)
    assert (doc["ok"], doc["first_bad_seq"], doc["content_covered"]) == (False, 2, 6)


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(_json)
def test_canonical_is_rfc8785_after_number_rules(value: object) -> None:
    """The fast json.dumps path gives the reference encoder's bytes, and survives a reparse."""
    slow = [False]
    plain = _digest._plain(value, slow)
    try:
        ref = bytes(rfc8785.dumps(plain))
    except (rfc8785.CanonicalizationError, UnicodeEncodeError, ValueError):
        return  # lone surrogates: the reference refuses too, and so does canonical()
    assert _digest.canonical(value) == ref
    assert _digest.canonical(json.loads(json.dumps(value))) == ref
