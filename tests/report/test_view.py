"""The view model against the database (SQL) and against numpy on the scanned data."""

from __future__ import annotations

import numpy as np
import pytest

from govern.metrics._profile import NumericProfile
from govern.report import ReportView, build_report, resolve_refs
from govern.report._build import reference_psi_counts
from govern.report._view import FOUR_FIFTHS, PSI_DENY, PSI_WARN, psi_band
from govern.store import views
from govern.store.views import open_read_only

from .conftest import SCANS, Built


@pytest.fixture(scope="module")
def report(built: Built) -> ReportView:
    with open_read_only(built.db) as store:
        return build_report(store, None)


def _sql(built: Built, sql: str, params: list[object] | None = None) -> list[tuple]:
    with open_read_only(built.db) as store:
        return store.query(sql, params)


def _model(report: ReportView, ref: str):
    return next(m for m in report.models if m.ref == ref)


def test_every_registered_version_has_a_view_and_an_inventory_row(
    built: Built, report: ReportView
) -> None:
    refs = {f"{n}@{v}" for n, v in _sql(built, "SELECT name, version FROM model_versions")}
    assert {m.ref for m in report.models} == refs
    assert {f"{r.name}@{r.version}" for r in report.inventory} == refs


def test_drift_numbers_equal_the_latest_scan(built: Built, report: ReportView) -> None:
    m = _model(report, "m@1")
    stored = dict(
        _sql(
            built,
            """SELECT subject, value FROM v_latest_evidence
               WHERE name = 'm' AND metric = 'psi' AND status = 'ok'""",
        )
    )
    assert m.drift is not None
    shown = {c.name: c.psi for c in m.drift.features}
    assert m.drift.output is not None
    shown[m.drift.output.name] = m.drift.output.psi
    assert shown == stored


def test_features_are_sorted_by_psi_highest_first(report: ReportView) -> None:
    drift = _model(report, "m@1").drift
    assert drift is not None
    psis = [c.psi for c in drift.features]
    assert psis == sorted(psis, reverse=True)


def test_bin_shares_match_numpy_histograms(built: Built, report: ReportView) -> None:
    """Reference shares from the profile and current shares from the scan, vs np.histogram."""
    drift = _model(report, "m@1").drift
    assert drift is not None
    col = next(c for c in drift.features if c.name == "f0")
    with open_read_only(built.db) as store:
        prof = store.query("SELECT profile FROM profiles WHERE name = 'm'")[0][0]
    import json

    f0 = next(c for c in json.loads(prof)["columns"] if c["name"] == "f0")
    edges = np.asarray(f0["psi_edges"])
    bounds = np.concatenate([[-np.inf], edges, [np.inf]])
    for values, shares in (
        (built.train["f0"].to_numpy(), [b.reference for b in col.bins]),
        (built.current[-1]["f0"].to_numpy(), [b.current for b in col.bins]),
    ):
        finite = values[np.isfinite(values)]
        # PSI bins are [e_i, e_{i+1}); np.histogram's are too, except that its last bin is
        # closed, which the infinite outer edge makes irrelevant.
        counts, _ = np.histogram(finite, bins=bounds)
        assert shares == pytest.approx((counts / finite.size).tolist(), abs=1e-12)


def test_categorical_bins_include_unseen(report: ReportView) -> None:
    drift = _model(report, "m@1").drift
    assert drift is not None
    col = next(c for c in drift.features if c.name == "channel")
    assert [b.label for b in col.bins][-1] == "(unseen)"
    assert sum(b.current for b in col.bins) == pytest.approx(1.0)


def test_reference_counts_equal_the_scan_engine_binning(built: Built) -> None:
    with open_read_only(built.db) as store:
        docs = views.profiles(store, [r[0] for r in store.query("SELECT profile_id FROM profiles")])
    cols = [c for d in docs.values() for c in d["profile"]["columns"] if c["kind"] == "numeric"]
    assert cols
    for c in cols:
        p = NumericProfile.from_dict(c)
        assert p.bins is not None
        assert reference_psi_counts(c) == p.bins.psi_counts(p.reference.counts).tolist()


@pytest.mark.parametrize(
    ("psi", "band"),
    [(None, "n/a"), (0.0, "stable"), (0.0999, "stable"), (0.1, "moderate"), (0.25, "significant")],
)
def test_psi_bands(psi: float | None, band: str) -> None:
    assert psi_band(psi, PSI_WARN, PSI_DENY) == band


def test_fairness_matches_numpy_and_withholds_small_groups(
    built: Built, report: ReportView
) -> None:
    (attr,) = _model(report, "m@1").fairness
    t = built.current[-1]
    g = np.asarray(t["group"].to_pylist())
    s = t["score"].to_numpy()
    y = t["label"].to_numpy()
    groups = {x.group: x for x in attr.groups}
    assert groups["d"].withheld and groups["d"].selection_rate is None
    assert groups["d"].n == int(np.sum(g == "d")) < 200
    rates = {}
    for name in ("a", "b", "c"):
        sel = s[g == name] >= 0.5
        rates[name] = float(np.mean(sel))
        assert groups[name].selection_rate == pytest.approx(rates[name], abs=1e-12)
        pos = y[g == name] == 1
        assert groups[name].tpr == pytest.approx(float(np.mean(sel[pos])), abs=1e-12)
        assert groups[name].fnr == pytest.approx(float(np.mean(~sel[pos])), abs=1e-12)
        assert groups[name].fpr == pytest.approx(float(np.mean(sel[~pos])), abs=1e-12)
    line = FOUR_FIFTHS * max(rates.values())
    assert attr.four_fifths_line == pytest.approx(line)
    assert {k for k, v in groups.items() if v.below_four_fifths} == {
        k for k, r in rates.items() if r < line
    }


def test_performance_against_baseline_and_sql(built: Built, report: ReportView) -> None:
    m = _model(report, "m@1")
    perf = {p.metric: p for p in m.performance}
    stored = dict(
        _sql(
            built,
            """SELECT metric, value FROM v_latest_evidence
               WHERE name = 'm' AND family = 'performance' AND status = 'ok'""",
        )
    )
    assert {k: v.current for k, v in perf.items() if v.current is not None} == stored
    assert perf["auc"].baseline == 0.7 and perf["accuracy"].baseline == 0.6
    ops = {p.metric: p.current for p in m.operational}
    assert {"latency_p50", "latency_p95", "latency_p99", "error_rate"} <= set(ops)


def test_trend_has_every_scan(built: Built, report: ReportView) -> None:
    m = _model(report, "m@1")
    auc = [p for p in m.trend if p.metric == "auc"]
    assert len(auc) == SCANS
    stored = _sql(
        built,
        """SELECT e.value FROM evidence e JOIN scans s USING (scan_id)
           WHERE s.name = 'm' AND e.metric = 'auc' ORDER BY s.finished_at""",
    )
    assert [p.value for p in auc] == [v for (v,) in stored]
    assert m.provenance.scans == SCANS


def test_header_decision_and_provenance(built: Built, report: ReportView) -> None:
    m = _model(report, "m@1")
    (dec_id, result, bundle, n) = _sql(
        built,
        """SELECT decision_id, result, bundle_hash, json_array_length(violations)
           FROM decisions WHERE name = 'm'""",
    )[0]
    assert m.last_decision is not None
    assert (m.last_decision.decision_id, m.last_decision.result) == (dec_id, result)
    assert len(m.last_decision.violations) == n
    assert all(v.title and v.control for v in m.last_decision.violations)
    assert m.provenance.bundle_hash == bundle
    assert m.provenance.decision_ids == (dec_id,)
    assert [e.action for e in m.history][0] == "register"
    ((by, role, stage),) = _sql(built, "SELECT approved_by, role, stage FROM approvals")
    assert [(a.by, a.role, a.stage) for a in m.approvals] == [(by, role, stage)]
    assert m.owner == "owner@example.com" and m.scope == ("fairness",)


def test_a_version_without_evidence_has_empty_sections(report: ReportView) -> None:
    q = _model(report, "quiet@1")
    assert q.drift is None and q.fairness == () and q.performance == ()
    assert q.provenance.scan_id is None and q.last_decision is None


def test_insufficient_data_is_carried_with_its_reason(report: ReportView) -> None:
    thin = _model(report, "thin@1")
    assert thin.drift is not None
    col = next(c for c in thin.drift.features if c.name == "f0")
    assert col.psi is None and col.band == "n/a"
    assert col.status == "insufficient_data"
    assert any("fewer than the minimum" in r for r in col.reasons)


def test_audit_status_matches_the_chain(built: Built, report: ReportView) -> None:
    seq, digest = _sql(built, "SELECT seq, row_hash FROM audit_log ORDER BY seq DESC LIMIT 1")[0]
    assert report.audit.ok
    assert (report.audit.head_seq, report.audit.head_hash) == (seq, digest)


def test_resolve_refs_takes_bare_names_and_deduplicates(built: Built) -> None:
    with open_read_only(built.db) as store:
        assert resolve_refs(store, ["m", "m@1", "quiet@1"]) == [("m", "1"), ("quiet", "1")]


def test_the_view_is_json_serialisable(report: ReportView) -> None:
    import json

    doc = json.loads(json.dumps(report.to_dict()))
    assert doc["models"][0]["ref"] == report.models[0].ref


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (
            "UPDATE audit_log SET row_hash = repeat('0', 64) WHERE seq = 3",
            "row_hash mismatch at seq 3",
        ),
        (
            "UPDATE audit_log SET canon = canon || 'x'::BLOB WHERE seq = 2",
            "row_hash mismatch at seq 2",
        ),
        ("DELETE FROM audit_log WHERE seq = 4", "seq gap or reorder at seq 5 (expected 4)"),
        ("UPDATE audit_log SET prev_hash = repeat('1', 64) WHERE seq = 5", "prev_hash at seq 5"),
    ],
)
def test_a_broken_chain_is_reported_with_the_first_bad_seq(
    built: Built, tmp_path, edit: str, problem: str
) -> None:
    import shutil

    import duckdb

    db = tmp_path / "g.duckdb"
    shutil.copy(built.db, db)
    with duckdb.connect(str(db)) as conn:
        conn.execute(edit)
    with open_read_only(db) as store:
        audit = build_report(store, []).audit
    assert not audit.ok
    assert audit.problem is not None and audit.problem.startswith(problem)
