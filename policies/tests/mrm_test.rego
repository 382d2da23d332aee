package govern.controls.mrm_test

import data.govern.controls.mrm
import data.govern.fixtures_test as fx
import rego.v1

denied(inp) := {v.control | some v in d} if d := mrm.deny with input as inp

warned(inp) := {v.control | some v in w} if w := mrm.warn with input as inp

test_good_model_has_no_mrm_violation if {
	count(denied(fx.good)) == 0
	count(warned(fx.good)) == 0
}

test_inv01 if {
	"MRM-INV-01" in denied(fx.without_model(["registered_at"]))
	"MRM-INV-01" in denied(fx.with_evidence({"inference_logs": [{"version": "2", "use_case": "credit underwriting"}]}))
}

test_inv02 if "MRM-INV-02" in denied(fx.without_model(["products"]))

test_inv03 if "MRM-INV-03" in denied(fx.with_model({"deployment": {"calibration_hash": "c2"}}))

test_tier01 if {
	"MRM-TIER-01" in denied(fx.with_model({"risk_tier": 5}))
	"MRM-TIER-01" in denied(fx.without_model(["tier_rationale"]))
}

test_scope01 if "MRM-SCOPE-01" in warned(fx.with_model({"is_generative": true}))

test_dev01 if "MRM-DEV-01" in denied(fx.without_model(["limitations"]))

test_dev02 if {
	"MRM-DEV-02" in denied(fx.with_model({"dev_tests": {"out_of_time": null}}))
	"MRM-DEV-02" in denied(fx.without_model(["data_quality_report_uri"]))
}

test_ven01_ven02 if {
	inp := fx.with_model({"is_vendor": true})
	"MRM-VEN-01" in denied(inp)
	"MRM-VEN-02" in denied(inp)
	not "MRM-VEN-01" in denied(fx.with_model({"is_vendor": true, "vendor": {"dev_evidence_uri": "x"}, "validation": {"own_use": true}}))
}

test_uat01 if {
	"MRM-UAT-01" in denied(fx.with_model({"uat_rounds": [{"round": 1, "passed": true, "signed_off_by": "x"}]}))
	"MRM-UAT-01" in denied(fx.with_model({"uat_rounds": [{"round": 1, "passed": true}, {"round": 2, "passed": true, "signed_off_by": "x"}]}))
}

test_chg01 if {
	"MRM-CHG-01" in denied(fx.with_model({"deployment": {"artifact_sha": "zzz"}}))
	"MRM-CHG-01" in denied(fx.without_model(["approved_artifact_sha", "deployment"]))
}

test_ret01 if {
	inp := fx.at_stage(fx.with_model({"retirement": {"date": "2026-11-01", "reason": "superseded"}}), "retired")
	"MRM-RET-01" in denied(inp)
	not "MRM-RET-01" in denied(fx.at_stage(fx.with_model({"retirement": {"date": "2026-11-01", "reason": "x", "archive_uri": "s3://a"}}), "retired"))
}

test_val01 if {
	"MRM-VAL-01" in denied(fx.with_model({"validation": {"outcome": "rejected"}}))
	"MRM-VAL-01" in denied(fx.with_model({"validation": {"report_uri": ""}}))
}

test_val01_live_exception_allows_use if {
	exc := {"id": "E1", "type": "validation", "approved_by": "cro", "expires_at": "2026-12-31", "compensating_controls": ["limits"]}
	not "MRM-VAL-01" in denied(fx.with_model({"validation": {"outcome": "pending"}, "exceptions": [exc]}))
}

test_val02 if "MRM-VAL-02" in denied(fx.with_model({"validation": {"scope": {"outcomes_analysis": false}}}))

test_val03 if {
	"MRM-VAL-03" in denied(fx.with_model({"validation": {"validator_id": ""}}))
	"MRM-VAL-03" in denied(fx.with_model({"validation": {"validator_id": "dev@example.com"}}))
	"MRM-VAL-03" in denied(fx.with_model({"validation": {"validator_id": "owner@example.com"}}))
}

test_val04 if "MRM-VAL-04" in denied(fx.with_model({"last_material_change_at": "2026-10-01"}))

test_val05_cadence_is_by_tier if {
	old := {"validation": {"date": "2025-06-01"}}
	"MRM-VAL-05" in denied(fx.with_model(old))
	not "MRM-VAL-05" in denied(fx.with_model(object.union(old, {"risk_tier": 2})))
}

test_val06 if {
	f := {"id": "F1", "severity": "high", "status": "open", "due_date": "2026-10-01"}
	"MRM-VAL-06" in denied(fx.with_model({"findings": [f]}))
	not "MRM-VAL-06" in denied(fx.with_model({"findings": [object.union(f, {"accepted_by": "cro"})]}))
}

test_mon01 if "MRM-MON-01" in denied(fx.with_model({"monitoring": {"escalation": ""}}))

test_mon02 if {
	"MRM-MON-02" in denied(fx.with_evidence({"drift": {"scanned_at": "2026-09-01T00:00:00Z"}, "performance": {"scanned_at": "2026-09-01T00:00:00Z"}}))
}

mon02_msgs(inp) := {v.msg | some v in mrm.deny with input as inp; v.control == "MRM-MON-02"}

# Fresh scans of files first scanned 175 days ago: the pipeline died, the re-scans do not count.
test_mon02_data_unchanged_denies if {
	msgs := mon02_msgs(fx.data_changed("2026-06-01T00:00:00Z"))
	count(msgs) == 1
	some m in msgs
	m == "monitoring: no new inference data since 2026-06-01T00:00:00Z (175 days); the scans since re-read the same files, more than the 30-day gap"
}

# The gap is the plan's frequency (30 days), not only the tier's maximum (92).
test_mon02_data_unchanged_uses_the_plan_frequency if {
	"MRM-MON-02" in denied(fx.data_changed("2026-10-01T00:00:00Z"))
	not "MRM-MON-02" in denied(fx.data_changed("2026-11-20T00:00:00Z"))
}

# The newest data of any family counts; a date after the evaluation clock proves nothing.
test_mon02_data_unchanged_newest_family_counts if {
	not "MRM-MON-02" in denied(fx.with_evidence({"drift": {"data_changed_at": "2026-06-01"}, "performance": {"data_changed_at": "2026-11-20"}}))
	"MRM-MON-02" in denied(fx.with_evidence({"drift": {"data_changed_at": "2026-06-01"}, "performance": {"data_changed_at": "2026-12-20"}}))
}

# Without the field (older stores, supplied evidence), or with it null or malformed, the
# decision is today's: fresh scans allow.
test_mon02_without_data_changed_at_allows if {
	not "MRM-MON-02" in denied(fx.good)
	not "MRM-MON-02" in denied(fx.data_changed(null))
	not "MRM-MON-02" in denied(fx.data_changed("last june"))
}

# Old scans of old data: one denial, the one that says no scan ran.
test_mon02_old_scans_deny_once if {
	inp := fx.with_evidence({
		"drift": {"scanned_at": "2026-09-01T00:00:00Z", "data_changed_at": "2026-06-01T00:00:00Z"},
		"performance": {"scanned_at": "2026-09-01T00:00:00Z", "data_changed_at": "2026-06-01T00:00:00Z"},
	})
	mon02_msgs(inp) == {"monitoring: no evidence within the last 30 days"}
}

test_out01 if "MRM-OUT-01" in denied(fx.with_evidence({"backtest": {"consecutive_breaches": 3}}))

test_bmk01 if "MRM-BMK-01" in warned(fx.without_model(["benchmark"]))

test_use01 if {
	"MRM-USE-01" in denied(fx.without_model(["approved_use_cases"]))
	"MRM-USE-01" in denied(fx.with_evidence({"inference_logs": [{"version": "3", "use_case": "marketing"}]}))
}

test_exc01 if {
	"MRM-EXC-01" in denied(fx.with_model({"exceptions": [{"id": "E", "approved_by": "x", "compensating_controls": ["y"], "expires_at": "2026-01-01"}]}))
	"MRM-EXC-01" in denied(fx.with_model({"exceptions": [{"id": "E", "expires_at": "2027-01-01"}]}))
}

test_gov01 if "MRM-GOV-01" in denied(object.union(fx.good, {"approvals": [{"stage": "deployment", "body": "team"}]}))

# A card cannot approve itself: its declared approvals (claims) never satisfy the control.
test_gov01_card_claims_do_not_count if {
	committee := [{"stage": "deployment", "body": "model_risk_committee", "decision": "approved"}]
	"MRM-GOV-01" in denied(object.union(fx.good, {"approvals": [], "model": {"claimed_approvals": committee, "approvals": committee}}))
}
