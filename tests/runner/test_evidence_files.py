"""Evidence files: a wrong value is refused when the file is read, naming the file and field.

The class of bad values (absent where required, mistyped, out of range, null where the
status claims a measurement, in the future, nested too deep, not a regular file) is tested
over every gated field of every family; a document exported from a real scan must pass.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from govern.cards import parse_card
from govern.cli import main
from govern.clock import rfc3339, utcnow
from govern.errors import UserInputError
from govern.lifecycle import ModelRef
from govern.runner._evidence_files import MAX_DEPTH, read_evidence
from govern.runner.baseline import baseline
from govern.runner.evidence_doc import evidence_document
from govern.runner.scan import scan
from govern.store import Store
from govern.store.registry import upsert_card

from ..conftest import CARDS, POLICIES
from .test_scan_partials import CARD as ALL_FAMILIES_CARD
from .test_scan_partials import _table

FEATURE = {
    "name": "income",
    "kind": "numeric",
    "psi": 0.031,
    "chi2": 12.0,
    "p_value": 0.2,
    "missing_rate": 0.01,
    "missing_rate_change": -0.002,
    "out_of_range_rate": 0.001,
    "inf_rate": 0.0,
    "status": "ok",
    "reasons": [],
}
GOOD: dict[str, Any] = {
    "drift": {
        "scan_id": "00000000-0000-4000-8000-000000000001",
        "scanned_at": "2026-11-20T08:00:00.000000Z",
        "data_changed_at": "2026-11-19T08:00:00.000000Z",
        "rows": 20_000,
        "sources": ["logs/2026-11.parquet"],
        "max_psi": 0.031,
        "features": [FEATURE, {**FEATURE, "name": "c", "kind": "categorical", "unseen_rate": 0.0}],
        "output": {**FEATURE, "name": "score"},
    },
    "fairness": {
        "scanned_at": "2026-11-20T08:00:00Z",
        "rows": 20_000,
        "attributes": [
            {
                "name": "sex",
                "status": "ok",
                "reasons": [],
                "group_count": 2,
                "demographic_parity_ratio": 0.9,
                "min_adverse_impact_ratio": 0.9,
                "groups": [
                    {"group": "f", "n": 900, "selection_rate": 0.45, "adverse_impact_ratio": 0.9},
                    {"group": "m", "n": 1100, "selection_rate": 0.5, "adverse_impact_ratio": 1.0},
                ],
            }
        ],
    },
    "performance": {"status": "ok", "reasons": [], "auc": 0.81, "gini": 0.62, "labelled": 900},
    "operational": {
        "status": "ok",
        "reasons": [],
        "latency_p99": 120.0,
        "error_rate": 0.01,
        "freshness_seconds": 3600.0,
        "error_rate_by_code": {"E500": 0.01},
    },
}

FUTURE = rfc3339(utcnow() + timedelta(days=1))
MISTYPED = ["0.5", False, True, [0.5], {"v": 0.5}]
RATE_BAD = [*MISTYPED, -1, -0.01, 1.01, None]
NONNEG_BAD = [*MISTYPED, -0.1, None]
# (path to the field, bad values, what the message says about it)
CASES: list[tuple[tuple[Any, ...], list[Any]]] = [
    (("drift", "rows"), [0, -1, 1.5, "20000", False, None]),
    (
        ("drift", "scanned_at"),
        [FUTURE, "yesterday", "2026-13-45T00:00:00Z", "2026-11-20T08:00:00", 0, None],
    ),
    # when the scanned data last changed: a time, not in the future, not after the scan
    (
        ("drift", "data_changed_at"),
        [FUTURE, "yesterday", "2026-11-20T08:00:01Z", "2026-11-21", 0, None],
    ),
    (("drift", "max_psi"), [-0.1, "0.03", True]),
    (("drift", "sources"), ["logs.parquet", [1]]),
    (("drift", "features"), [{"name": "x"}, "income"]),
    (("drift", "features", 0, "psi"), NONNEG_BAD),
    (("drift", "features", 0, "chi2"), NONNEG_BAD),
    (("drift", "features", 0, "missing_rate"), RATE_BAD),
    (("drift", "features", 0, "inf_rate"), RATE_BAD),
    (("drift", "features", 0, "out_of_range_rate"), RATE_BAD),
    (("drift", "features", 0, "p_value"), RATE_BAD),
    (("drift", "features", 0, "missing_rate_change"), [-1.5, 2, "0", None]),
    (("drift", "features", 1, "unseen_rate"), RATE_BAD),
    (("drift", "features", 0, "status"), ["fine", None, 1, "OK"]),
    (("drift", "features", 0, "name"), ["", None, 3]),
    (("drift", "features", 0, "reasons"), ["too few rows", [1]]),
    (("drift", "output", "psi"), NONNEG_BAD),
    (("fairness", "attributes", 0, "min_adverse_impact_ratio"), NONNEG_BAD),
    (("fairness", "attributes", 0, "demographic_parity_ratio"), RATE_BAD),
    (("fairness", "attributes", 0, "groups", 0, "n"), [-1, 2.5, "900", None, True]),
    (("fairness", "attributes", 0, "groups", 0, "adverse_impact_ratio"), NONNEG_BAD),
    (("fairness", "attributes", 0, "groups", 0, "selection_rate"), RATE_BAD),
    (("fairness", "attributes", 0, "groups", 0, "group"), [None, 1, ""]),
    (("fairness", "rows"), [0, "many"]),
    (("performance", "auc"), RATE_BAD),
    (("performance", "gini"), [-1.5, 2, "0.6", None]),
    (("performance", "labelled"), [-1, 0.5]),
    (("operational", "error_rate"), RATE_BAD),
    (("operational", "latency_p99"), NONNEG_BAD),
    (("operational", "freshness_seconds"), [-3600, "1h", None]),
    (("operational", "error_rate_by_code", "E500"), [1.5, "0.01"]),
]
MISSING = [
    ("drift", "features", 0, "name"),
    ("fairness", "attributes", 0, "name"),
    ("fairness", "attributes", 0, "groups", 0, "group"),
]


CHECK = ["check", str(CARDS / "credit-risk.yaml"), "--policies", str(POLICIES)]


def _dotted(path: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in path)


def _with(path: tuple[Any, ...], value: Any, *, delete: bool = False) -> dict[str, Any]:
    doc = copy.deepcopy(GOOD)
    node: Any = doc
    for key in path[:-1]:
        node = node[key]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


def _write(tmp_path: Path, doc: Any) -> Path:
    p = tmp_path / "evidence.json"
    p.write_text(json.dumps(doc))
    return p


def test_the_good_document_is_accepted(tmp_path: Path) -> None:
    assert read_evidence(_write(tmp_path, GOOD)) == GOOD


@pytest.mark.parametrize(
    ("path", "bad"),
    [
        pytest.param(path, bad, id=f"{_dotted(path)}={json.dumps(bad)}")
        for path, values in CASES
        for bad in values
    ],
)
def test_bad_values_are_refused_naming_the_file_and_field(
    tmp_path: Path, path: tuple[Any, ...], bad: Any
) -> None:
    p = _write(tmp_path, _with(path, bad))
    with pytest.raises(UserInputError) as info:
        read_evidence(p)
    assert info.value.exit_code == 2 and info.value.path == str(p)
    assert f"{p}: invalid evidence: {_dotted(path)}" in str(info.value), str(info.value)


@pytest.mark.parametrize("path", MISSING, ids=_dotted)
def test_names_that_messages_need_are_required(tmp_path: Path, path: tuple[Any, ...]) -> None:
    with pytest.raises(UserInputError, match=f"{_dotted(path)} is missing"):
        read_evidence(_write(tmp_path, _with(path, None, delete=True)))


@pytest.mark.parametrize(
    "path",
    [("drift", "features", 0, "psi"), ("performance", "auc"), ("operational", "latency_p99")],
    ids=_dotted,
)
def test_null_means_not_measured_only_with_a_status_that_says_so(
    tmp_path: Path, path: tuple[Any, ...]
) -> None:
    doc = _with(path, None)
    node: Any = doc
    for key in path[:-1]:
        node = node[key]
    node["status"] = "insufficient_data"
    assert read_evidence(_write(tmp_path, doc)) == doc


def test_a_bad_value_is_exit_2_through_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = _write(tmp_path, _with(("drift", "features", 0, "missing_rate"), "0.99"))
    rc = main(
        [
            "check",
            str(CARDS / "credit-risk.yaml"),
            "--policies",
            str(POLICIES),
            "--evidence",
            str(p),
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2
    assert err == (
        f"error: {p}: invalid evidence: drift.features.0.missing_rate must be a number in "
        "[0, 1], got the string '0.99'\n"
    )


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 100_000])
def test_deep_nesting_is_exit_2_not_a_recursion_error(
    tmp_path: Path, depth: int, capsys: pytest.CaptureFixture[str]
) -> None:
    p = tmp_path / "deep.json"
    p.write_text('{"drift": {"x": ' + "[" * depth + "]" * depth + "}}")
    rc = main(
        [
            "check",
            str(CARDS / "credit-risk.yaml"),
            "--policies",
            str(POLICIES),
            "--evidence",
            str(p),
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2, err
    assert err == f"error: {p}: invalid evidence: JSON nested deeper than {MAX_DEPTH} levels\n"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_is_refused_instead_of_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "evidence.json"
    os.mkfifo(fifo)
    argv = ["check", str(CARDS / "credit-risk.yaml"), "--policies", str(POLICIES)]
    code = "import sys; from govern.cli import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run(
        [sys.executable, "-c", code, *argv, "--evidence", str(fifo)],
        capture_output=True,
        text=True,
        timeout=120,  # a regression blocks forever on open(); this turns it into a failure
    )
    assert done.returncode == 2, done.stderr
    assert f"{fifo}: evidence file is not a regular file" in done.stderr


def test_evidence_exported_from_a_real_scan_is_accepted(tmp_path: Path) -> None:
    """Every family as `govern scan` writes it round-trips through an evidence file."""
    pq.write_table(_table(1, 3_000, 1), tmp_path / "train.parquet")
    pq.write_table(_table(2, 3_000, 2), tmp_path / "day.parquet")
    with Store.open(tmp_path / "g.duckdb", create=True) as store:
        upsert_card(store, parse_card(ALL_FAMILIES_CARD, "m.yaml"))
        ref = ModelRef("m", "1")
        baseline(store, ref, data=[tmp_path / "train.parquet"])
        scan(store, ref, data=[tmp_path / "day.parquet"])
        doc = json.loads(json.dumps(evidence_document(store, "m", "1"), default=str))
    assert set(doc) == {"drift", "fairness", "performance", "operational"}
    # every family says when its data last changed: at this first scan of the file
    assert len({doc[f]["data_changed_at"] for f in doc}) == 1
    assert all(doc[f]["data_changed_at"] <= doc[f]["scanned_at"] for f in doc)
    assert read_evidence(_write(tmp_path, doc)) == doc
