package govern.controls.monitoring_test

import data.govern.controls.monitoring
import data.govern.fixtures_test as fx
import rego.v1

denied(inp) := {v.control | some v in d} if d := monitoring.deny with input as inp

warned(inp) := {v.control | some v in w} if w := monitoring.warn with input as inp

drift_with(features) := object.union(fx.good, {"evidence": {"drift": {"features": features}}})

test_good_model_has_no_monitoring_violation if {
	count(denied(fx.good)) == 0
	count(warned(fx.good)) == 0
}

test_psi01_output_bands if {
	"MON-PSI-01" in denied(fx.with_evidence({"drift": {"output": {"name": "score", "psi": 0.3, "status": "ok"}}}))
	"MON-PSI-01" in warned(fx.with_evidence({"drift": {"output": {"name": "score", "psi": 0.12, "status": "ok"}}}))
}

with_prediction := object.union(fx.good, {"model": {"monitoring": {"prediction": "score"}}})

test_psi01_output_required_when_the_card_names_a_prediction if {
	"MON-PSI-01" in denied(with_prediction)
	not "MON-PSI-01" in denied(fx.good)
	not "MON-PSI-01" in denied(with_prediction) with data.govern.params.tier["1"].require_output_psi as false
	not "MON-PSI-01" in denied(object.union(with_prediction, {"evidence": {"drift": {"output": {"name": "score", "psi": 0.01, "status": "ok"}}}}))
}

test_csi01_fails_closed if {
	"MON-CSI-01" in denied(json.remove(fx.good, ["evidence/drift"]))
	"MON-CSI-01" in denied(drift_with([{"name": "a", "psi": null, "status": "insufficient_data", "reasons": ["12 rows"]}, fx.feature("b", 0.0)]))
	"MON-CSI-01" in denied(drift_with([fx.feature("a", 0.0)]))
}

with_profiles(measured, current) := object.union(fx.good, {"evidence": {"drift": {"profile_id": measured, "reference_profile_id": current}}})

test_csi01_evidence_against_a_replaced_reference_is_stale if {
	"MON-CSI-01" in denied(with_profiles("p-old", "p-new"))
	"MON-CSI-01" in denied(with_profiles("p-old", null))
	"MON-CSI-01" in denied(json.remove(with_profiles("p-old", "p-old"), ["evidence/drift/reference_profile_id"]))
	"MON-CSI-01" in denied(with_profiles(7, "p-new"))
	not "MON-CSI-01" in denied(with_profiles("p-1", "p-1"))
	not "MON-CSI-01" in denied(with_profiles(null, "p-1")) # an ad-hoc --baseline scan
	not "MON-CSI-01" in denied(json.remove(with_profiles("p-1", "p-1"), ["evidence/drift/profile_id"]))
}

# The scan stores the digest of the card's monitoring section it measured with; the input
# carries the digest of the card being decided. Another section: stale, whatever the age.
with_config(fam, measured, current) := object.union(fx.good, {"evidence": {fam: {"scan_id": "s-1", "monitoring_sha256": measured, "card_monitoring_sha256": current}}})

test_evidence_measured_under_another_card_section_is_stale if {
	"MON-CSI-01" in denied(with_config("drift", "a", "b"))
	"MON-CSI-01" in denied(with_config("drift", "a", null))
	"MON-CSI-01" in denied(json.remove(with_config("drift", "a", "a"), ["evidence/drift/card_monitoring_sha256"]))
	not "MON-CSI-01" in denied(with_config("drift", "a", "a"))
	not "MON-CSI-01" in denied(with_config("drift", null, "a")) # scans from before the digest
	not "MON-CSI-01" in denied(json.remove(with_config("drift", "a", "b"), ["evidence/drift/monitoring_sha256"]))
	"MON-PERF-01" in denied(with_config("performance", "a", "b"))
	not "MON-PERF-01" in denied(with_config("performance", "a", "a"))
	# operational evidence is read only where SLOs are declared
	slo := object.union(with_config("operational", "a", "b"), {"model": {"slo": {"max_error_rate": 0.5}}})
	"MON-OPS-01" in denied(slo)
	not "MON-OPS-01" in denied(with_config("operational", "a", "b"))
}

test_stale_card_section_message if {
	some v in monitoring.deny with input as with_config("drift", "a", "b")
	v.control == "MON-CSI-01"
	startswith(v.msg, "drift: the latest scan (s-1) measured the card's monitoring section as it was before a change")
}

test_csi01_bands if {
	"MON-CSI-01" in denied(drift_with([fx.feature("a", 0.4), fx.feature("b", 0.0)]))
	"MON-CSI-01" in warned(drift_with([fx.feature("a", 0.15), fx.feature("b", 0.0)]))
	not "MON-CSI-01" in denied(drift_with([fx.feature("a", 0.15), fx.feature("b", 0.0)]))
}

test_csi01_thresholds_come_from_data if {
	not "MON-CSI-01" in denied(drift_with([fx.feature("a", 0.4), fx.feature("b", 0.0)])) with data.govern.params.tier["1"].psi_deny as 0.5
}

test_psi02_small_sample_band_breach_is_not_significant if {
	small := object.union(drift_with([fx.feature("a", 0.15), fx.feature("b", 0.0)]), {"evidence": {"drift": {"rows": 100}}})
	"MON-PSI-02" in warned(small)
	not "MON-PSI-02" in warned(drift_with([fx.feature("a", 0.15), fx.feature("b", 0.0)]))
}

test_perf01 if {
	"MON-PERF-01" in denied(fx.with_evidence({"performance": {"auc": null}}))
	"MON-PERF-01" in denied(fx.with_evidence({"performance": {"auc": 0.6}}))
	"MON-PERF-01" in warned(fx.with_evidence({"performance": {"auc": 0.7}}))
	not "MON-PERF-01" in denied(fx.with_evidence({"performance": {"auc": 0.7}}))
}

test_ops01 if {
	slo := fx.with_model({"slo": {"max_error_rate": 0.01, "p99_latency_ms": 200}})
	"MON-OPS-01" in denied(slo)
	"MON-OPS-01" in denied(object.union(slo, {"evidence": {"operational": {"status": "ok", "latency_p99_ms": 100}}}))
	"MON-OPS-01" in denied(object.union(slo, {"evidence": {"operational": {"status": "ok", "error_rate": 0.05, "latency_p99_ms": 100}}}))
	"MON-OPS-01" in warned(object.union(slo, {"evidence": {"operational": {"status": "ok", "error_rate": 0.001, "latency_p99_ms": 300}}}))
	not "MON-OPS-01" in denied(object.union(slo, {"evidence": {"operational": {"status": "ok", "error_rate": 0.001, "latency_p99_ms": 300}}}))
}

test_dq01 if "MON-DQ-01" in denied(drift_with([fx.feature("a", 0.0), {"name": "b", "psi": 0.0, "missing_rate": 0.3, "inf_rate": 0.0, "status": "ok"}]))

# +-inf counts against the limit with missing values (tier 1: 0.05).
test_dq01_infinities if {
	"MON-DQ-01" in denied(drift_with([fx.feature("a", 0.0), object.union(fx.feature("b", 0.0), {"inf_rate": 0.97})]))
	"MON-DQ-01" in denied(drift_with([fx.feature("a", 0.0), object.union(fx.feature("b", 0.0), {"missing_rate": 0.03, "inf_rate": 0.03})]))
	not "MON-DQ-01" in denied(drift_with([fx.feature("a", 0.0), object.union(fx.feature("b", 0.0), {"missing_rate": 0.02, "inf_rate": 0.02})]))
}

# Absent, mistyped or out-of-range shares deny instead of skipping the rule.
test_dq01_fails_closed if {
	"MON-DQ-01" in denied(drift_with([fx.feature("a", 0.0), {"name": "b", "psi": 0.0, "inf_rate": 0.0, "status": "ok"}]))
	"MON-DQ-01" in denied(drift_with([fx.feature("a", 0.0), {"name": "b", "psi": 0.0, "missing_rate": 0.0, "status": "ok"}]))
	every bad in ["0.99", false, -1, 1.5, null] {
		"MON-DQ-01" in denied(drift_with([fx.feature("a", 0.0), object.union(fx.feature("b", 0.0), {"missing_rate": bad})]))
		"MON-DQ-01" in denied(drift_with([fx.feature("a", 0.0), object.union(fx.feature("b", 0.0), {"inf_rate": bad})]))
	}
	not "MON-DQ-01" in denied(drift_with([fx.feature("a", 0.0), {"name": "b", "kind": "categorical", "psi": 0.0, "missing_rate": 0.0, "status": "ok"}]))
}
