from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

from govern.clock import rfc3339, utcnow
from govern.metrics import accumulators_from_card
from govern.results import ScanResult, SourceFile
from govern.runner.evidence_fairness import evidence_sections
from govern.store import Store
from govern.store import evidence as evidence_store
from tests.metrics._data import make_log, scan_parts, write

CARD = {
    "monitoring": {
        "prediction": "score",
        "label": "label",
        "protected": ["group"],
        "min_group_size": 30,
        "latency": "latency_ms",
        "error_code": "error_code",
        "ok_codes": [""],
        "timestamp": "ts",
    }
}


def test_sections_round_trip_through_duckdb(tmp_path: Path, db_path: Path) -> None:
    t = make_log(5000)
    path = write(t, tmp_path / "log.parquet", row_group_size=1000)
    metrics = []
    for acc in accumulators_from_card(CARD):
        if hasattr(acc, "now"):
            acc.now = datetime(2026, 6, 1)
        metrics += scan_parts(path, acc).finalize()
    result = ScanResult(
        str(uuid.uuid4()),
        "m",
        "1",
        len(t),
        (SourceFile(str(path), path.stat().st_size, 0.0, len(t)),),
        tuple(metrics),
        rfc3339(utcnow()),
    )
    with Store.open(db_path, create=True) as store:
        evidence_store.write_scan(store, result, kind="fairness", params={})
        doc = evidence_sections(store, "m", "1", kind="fairness")
        assert evidence_sections(store, "m", "1", kind="nothing") == {}
    assert set(doc) == {"fairness", "performance", "operational"}
    fair = doc["fairness"]
    assert fair["rows"] == 5000 and fair["scan_id"] == result.scan_id
    by = {(g["attr"], g["group"]): g for a in fair["attributes"] for g in a["groups"]}
    stored = {(m.subject, m.metric): m.value for m in metrics}
    assert by[("group", "B")]["adverse_impact_ratio"] == stored[("group=B", "adverse_impact_ratio")]
    assert by[("group", "B")]["n"] == int(stored[("group=B", "group_size")])
    attr = fair["by_attr"]["group"]
    assert attr["min_adverse_impact_ratio"] == stored[("group", "min_adverse_impact_ratio")]
    assert attr["most_favoured_group"] == "C" and attr["status"] == "ok"
    perf = doc["performance"]
    assert perf["gini"] == 2 * perf["auc"] - 1 and perf["auc_method"] == "exact"
    ops = doc["operational"]
    assert set(ops["error_rate_by_code"]) == {"429", "500"}
    assert ops["latency_p99"] == stored[("latency_ms", "latency_p99")]
