package govern.controls.nist_ai_rmf_test

import data.govern.controls.nist_ai_rmf
import data.govern.fixtures_test as fx
import rego.v1

denied(inp) := {v.control | some v in d} if d := nist_ai_rmf.deny with input as inp

warned(inp) := {v.control | some v in w} if w := nist_ai_rmf.warn with input as inp

# Negative assertions that fail (rather than pass) when the evaluation is undefined.
not_denied(id, inp) if {
	d := denied(inp)
	not id in d
}

not_warned(id, inp) if {
	w := warned(inp)
	not id in w
}

covers := {k: true | some k in data.govern.params.global.plan_covers}

base := object.union(fx.good, {"model": {
	"regulatory_scope": ["us_sr26_2", "nist_ai_rmf"],
	"deployment_context": "branch and online loan applications", "risk_tolerance": "PD error within 5%",
	"roles": {"developer": "dev@example.com", "validator": "val@example.com", "approver": "mrc"},
	"review_frequency_days": 365,
	"kill_switch": {"owner": "ops@example.com", "last_tested_at": "2026-09-01"},
	"monitoring": {"covers": covers},
	"validation": {"generalizability_limits": "thin files", "fairness_results_uri": "s3://fair"},
}})

with_model(patch) := object.union(base, {"model": patch})

without(paths) := json.remove(base, [concat("/", ["model", p]) | some p in paths])

test_compliant_model_has_no_nist_violation if {
	count(denied(base)) == 0
	count(warned(base)) == 0
}

test_map01_use_case_mapped if {
	"NIST-MAP-01" in denied(without(["risk_tolerance"]))
	"NIST-MAP-01" in denied(fx.at_stage(without(["deployment_context"]), "proposed"))
}

test_gv01_roles_named if {
	"NIST-GV-01" in denied(without(["roles/approver"]))
	"NIST-GV-01" in denied(without(["owner"]))
	not_denied("NIST-GV-01", with_model({"owner": "", "roles": {"owner": "jane"}}))
}

test_gv01_review_frequency if {
	"NIST-GV-01" in denied(without(["review_frequency_days"]))
	"NIST-GV-01" in denied(with_model({"review_frequency_days": "yearly"}))
}

test_mg01_gate_decision_recorded if {
	"NIST-MG-01" in denied(with_model({"lifecycle_stage": "validation"}))
	"NIST-MG-01" in denied(object.union(base, {"approvals": [{"stage": "deployment", "body": "model_risk_committee", "decision": "rejected"}]}))
	not_denied("NIST-MG-01", fx.at_stage(with_model({"lifecycle_stage": "proposed"}), "proposed"))
}

test_mg01_card_claims_do_not_count if {
	claim := [{"stage": "deployment", "body": "model_risk_committee", "decision": "approved"}]
	"NIST-MG-01" in denied(object.union(base, {"approvals": [], "model": {"claimed_approvals": claim, "approvals": claim}}))
}

test_mg01_registry_approvals_count if {
	inp := object.union(with_model({"lifecycle_stage": "validation"}), {"approvals": [{"stage": "validation", "decision": "approved"}]})
	not_denied("NIST-MG-01", inp)
}

test_mg02_kill_switch_owner if {
	"NIST-MG-02" in denied(without(["kill_switch/owner"]))
	not_denied("NIST-MG-02", fx.at_stage(without(["kill_switch/owner"]), "deployment"))
}

test_mg02_kill_switch_tested_by_tier_cadence if {
	"NIST-MG-02" in warned(with_model({"kill_switch": {"last_tested_at": "2026-05-01"}}))
	"NIST-MG-02" in warned(without(["kill_switch/last_tested_at"]))
	not_warned("NIST-MG-02", with_model({"risk_tier": 2, "kill_switch": {"last_tested_at": "2026-05-01"}}))
}

test_mg03_plan_covers if {
	"NIST-MG-03" in denied(with_model({"monitoring": {"covers": {"appeal": false}}}))
	"NIST-MG-03" in denied(without(["monitoring/covers/change_management"]))
}

test_ms01_validation_record if {
	"NIST-MS-01" in denied(without(["validation/generalizability_limits"]))
	"NIST-MS-01" in denied(without(["validation/fairness_results_uri"]))
	not_denied("NIST-MS-01", fx.at_stage(without(["validation/fairness_results_uri"]), "validation"))
}
