package govern.controls.ecoa_reg_b_test

import data.govern.controls.ecoa_reg_b
import data.govern.fixtures_test as fx
import rego.v1

denied(inp) := {v.control | some v in d} if d := ecoa_reg_b.deny with input as inp

warned(inp) := {v.control | some v in w} if w := ecoa_reg_b.warn with input as inp

# Negative assertions that fail (rather than pass) when the evaluation is undefined.
not_denied(id, inp) if {
	d := denied(inp)
	not id in d
}

not_warned(id, inp) if {
	w := warned(inp)
	not id in w
}

reason(code) := {"code": code, "rank": 1, "source": "model_attribution"}

notice := {
	"app_id": "A1", "type": "denial", "completed_at": "2026-11-01", "decision_at": "2026-11-02",
	"sent_at": "2026-11-05", "reasons": [reason("debt_ratio_high"), reason("short_credit_history")],
	"right_to_reasons_disclosed": true,
}

# A compliant credit model with one adverse action notice on record.
base := object.union(fx.good, {
	"model": {
		"regulatory_scope": ["us_sr26_2", "ecoa_reg_b"],
		"ecoa": {"notice_process_uri": "s3://aan", "reason_code_method": "model_attribution"},
	},
	"evidence": {"adverse_action_notices": [notice]},
})

with_notice(patch) := object.union(base, {"evidence": {"adverse_action_notices": [object.union(notice, patch)]}})

# A notice given as a whole (no merge with the compliant one).
only_notice(n) := object.union(base, {"evidence": {"adverse_action_notices": [n]}})

test_compliant_credit_model_has_no_ecoa_violation if {
	count(denied(base)) == 0
	count(warned(base)) == 0
}

test_notices_are_read_from_the_card_too if {
	late := object.union(notice, {"sent_at": "2026-12-15"})
	"ECOA-AAN-01" in denied(object.union(json.remove(base, ["evidence/adverse_action_notices"]), {"model": {"adverse_action_notices": [late]}}))
}

test_aan01_notice_process_declared if {
	"ECOA-AAN-01" in denied(json.remove(base, ["model/ecoa/notice_process_uri"]))
	not_denied("ECOA-AAN-01", fx.at_stage(json.remove(base, ["model/ecoa/notice_process_uri"]), "deployment"))
}

test_aan01_thirty_days_after_a_completed_application if {
	"ECOA-AAN-01" in denied(with_notice({"sent_at": "2026-12-02"}))
	not_denied("ECOA-AAN-01", with_notice({"sent_at": "2026-12-01"}))
	"ECOA-AAN-01" in denied(only_notice(json.remove(notice, ["completed_at"])))
}

test_aan01_clock_starts_at_adverse_action_for_incomplete_or_existing if {
	incomplete := json.remove(object.union(notice, {"type": "incomplete_application", "decision_at": "2026-10-10"}), ["completed_at"])
	not_denied("ECOA-AAN-01", only_notice(incomplete))
	existing := json.remove(object.union(notice, {"type": "existing_account", "decision_at": "2026-09-01"}), ["completed_at"])
	"ECOA-AAN-01" in denied(only_notice(existing))
}

test_aan01_ninety_days_after_an_unaccepted_counteroffer if {
	co := {"type": "counteroffer_not_accepted", "counteroffer_at": "2026-08-01"}
	not_denied("ECOA-AAN-01", with_notice(object.union(co, {"sent_at": "2026-10-30"})))
	"ECOA-AAN-01" in denied(with_notice(object.union(co, {"sent_at": "2026-10-31"})))
}

test_aan01_unsent_notice_breaches_only_after_the_deadline if {
	not_denied("ECOA-AAN-01", only_notice(json.remove(object.union(notice, {"completed_at": "2026-11-10"}), ["sent_at"])))
	"ECOA-AAN-01" in denied(only_notice(json.remove(object.union(notice, {"completed_at": "2026-10-20"}), ["sent_at"])))
}

test_aan01_reasons_or_right_to_reasons if {
	"ECOA-AAN-01" in denied(with_notice({"reasons": [], "right_to_reasons_disclosed": false}))
	not_denied("ECOA-AAN-01", with_notice({"reasons": [], "right_to_reasons_disclosed": true}))
}

test_aan02_reason_code_method if {
	"ECOA-AAN-02" in denied(object.union(base, {"model": {"ecoa": {"reason_code_method": "checklist"}}}))
	"ECOA-AAN-02" in denied(json.remove(base, ["model/ecoa/reason_code_method"]))
}

test_aan02_no_vague_reasons if {
	"ECOA-AAN-02" in denied(with_notice({"reasons": [reason("internal_policy")]}))
	"ECOA-AAN-02" in denied(with_notice({"reasons": [reason("insufficient_score")]}))
}

test_aan02_reasons_from_model_attributions if {
	"ECOA-AAN-02" in denied(with_notice({"reasons": [{"code": "debt_ratio_high", "source": "checklist"}]}))
	"ECOA-AAN-02" in denied(with_notice({"reasons": [{"code": "debt_ratio_high"}]}))
}

test_aan02_more_than_four_reasons_warn if {
	codes := ["a", "b", "c", "d"]
	not_warned("ECOA-AAN-02", with_notice({"reasons": [reason(c) | some c in codes]}))
	"ECOA-AAN-02" in warned(with_notice({"reasons": [reason(c) | some c in array.concat(codes, ["e"])]}))
}

test_aan02_from_deployment if {
	"ECOA-AAN-02" in denied(fx.at_stage(json.remove(base, ["model/ecoa/reason_code_method"]), "deployment"))
	not_denied("ECOA-AAN-02", fx.at_stage(json.remove(base, ["model/ecoa/reason_code_method"]), "validation"))
}
