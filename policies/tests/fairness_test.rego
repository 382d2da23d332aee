package govern.controls.fairness_test

import data.govern.controls.fairness
import data.govern.fixtures_test as fx
import rego.v1

denied(inp) := {v.control | some v in d} if d := fairness.deny with input as inp

warned(inp) := {v.control | some v in w} if w := fairness.warn with input as inp

# Negative assertions that fail (rather than pass) when the evaluation is undefined.
not_denied(id, inp) if {
	d := denied(inp)
	not id in d
}

not_warned(id, inp) if {
	w := warned(inp)
	not id in w
}

group(name, n, air) := {"group": name, "n": n, "selection_rate": 0.4, "adverse_impact_ratio": air}

attr(name, groups) := {"name": name, "status": "ok", "reasons": [], "groups": groups}

fair_ok := {
	"status": "ok", "scanned_at": "2026-11-22T00:00:00Z",
	"attributes": [
		attr("sex", [group("f", 480, 0.93), group("m", 520, 1.0)]),
		attr("race_ethnicity", [group("a", 300, 1.0), group("b", 350, 0.86), group("c", 350, 0.9)]),
	],
}

audit := {
	"date": "2026-03-01", "auditor": "Audit LLP", "auditor_independent": true,
	"impact_ratios": {"sex": {"f": 0.93}, "race_ethnicity": {"b": 0.86}, "intersectional": {"f_b": 0.84}},
	"exclusions": [{"category": "other", "share": 0.012}],
	"uses_test_data": false, "public_summary_url": "https://example.com/audit",
}

# A compliant NYC automated employment decision tool in production.
base := object.union(fx.good, {
	"model": {
		"domain": "employment", "regulatory_scope": ["nyc_ll144", "us_ugesp"],
		"bias_audit": audit, "aedt": {"notice_lead_business_days": 10},
	},
	"evidence": {"fairness": fair_ok},
})

patched(patch) := object.union(base, patch)

with_fair(attributes) := patched({"evidence": {"fairness": {"attributes": attributes}}})

with_audit(patch) := patched({"model": {"bias_audit": patch}})

sex_groups(groups) := with_fair([attr("sex", groups), fair_ok.attributes[1]])

test_compliant_aedt_has_no_fairness_violation if {
	count(denied(base)) == 0
	count(warned(base)) == 0
}

test_air01_fails_closed_without_usable_evidence if {
	"FAIR-AIR-01" in denied(json.remove(base, ["evidence/fairness"]))
	"FAIR-AIR-01" in denied(patched({"evidence": {"fairness": {"status": "insufficient_data"}}}))
	"FAIR-AIR-01" in denied(with_fair([]))
}

test_air01_evidence_measured_under_another_card_section_is_stale if {
	"FAIR-AIR-01" in denied(patched({"evidence": {"fairness": {"monitoring_sha256": "a", "card_monitoring_sha256": "b"}}}))
	not_denied("FAIR-AIR-01", patched({"evidence": {"fairness": {"monitoring_sha256": "a", "card_monitoring_sha256": "a"}}}))
	not_denied("FAIR-AIR-01", patched({"evidence": {"fairness": {"monitoring_sha256": null, "card_monitoring_sha256": "a"}}}))
}

test_air01_attribute_not_computed if {
	"FAIR-AIR-01" in denied(with_fair([{"name": "sex", "status": "insufficient_data", "reasons": ["one group"], "groups": []}]))
}

test_air01_null_ratio if "FAIR-AIR-01" in denied(sex_groups([group("f", 480, null), group("m", 520, 1.0)]))

test_air01_four_fifths_boundary if {
	"FAIR-AIR-01" in denied(sex_groups([group("f", 480, 0.79), group("m", 520, 1.0)]))
	not_denied("FAIR-AIR-01", sex_groups([group("f", 480, 0.8), group("m", 520, 1.0)]))
}

test_air01_small_group_warns_and_is_not_decided if {
	inp := sex_groups([group("f", 29, 0.5), group("m", 520, 1.0)])
	"FAIR-AIR-01" in warned(inp)
	not_denied("FAIR-AIR-01", inp)
	not_warned("FAIR-AIR-01", sex_groups([group("f", 30, 0.9), group("m", 520, 1.0)]))
}

test_air01_significant_disparity_above_four_fifths_warns if {
	sig := object.union(group("f", 4800, 0.85), {"p_value": 0.001})
	"FAIR-AIR-01" in warned(sex_groups([sig, group("m", 5200, 1.0)]))
	not_denied("FAIR-AIR-01", sex_groups([sig, group("m", 5200, 1.0)]))
	not_warned("FAIR-AIR-01", sex_groups([object.union(sig, {"p_value": 0.2}), group("m", 5200, 1.0)]))
}

test_air01_ll144_only_scope_has_no_pass_mark if {
	ll144 := object.union(sex_groups([group("f", 480, 0.7), group("m", 520, 1.0)]), {"model": {"regulatory_scope": ["nyc_ll144"]}})
	not_denied("FAIR-AIR-01", ll144)
	"FAIR-AIR-01" in warned(ll144)
}

test_air01_not_before_validation if {
	not_denied("FAIR-AIR-01", fx.at_stage(json.remove(base, ["evidence/fairness"]), "development"))
	"FAIR-AIR-01" in denied(fx.at_stage(json.remove(base, ["evidence/fairness"]), "validation"))
}

test_rec01_employment_records_by_sex_and_race if {
	"FAIR-REC-01" in denied(with_fair([fair_ok.attributes[0]]))
	"FAIR-REC-01" in denied(json.remove(base, ["evidence/fairness"]))
	not_denied("FAIR-REC-01", object.union(with_fair([fair_ok.attributes[0]]), {"model": {"domain": "credit"}}))
}

test_ba01_audit_older_than_a_year if {
	"NYC-BA-01" in denied(with_audit({"date": "2025-11-22"}))
	not_denied("NYC-BA-01", with_audit({"date": "2025-11-24"}))
	"NYC-BA-01" in denied(json.remove(base, ["model/bias_audit/date"]))
}

test_ba01_auditor_independent if {
	"NYC-BA-01" in denied(with_audit({"auditor_independent": false}))
	"NYC-BA-01" in denied(json.remove(base, ["model/bias_audit/auditor_independent"]))
}

test_ba01_only_in_ll144_scope if {
	not_denied("NYC-BA-01", object.union(json.remove(base, ["model/bias_audit"]), {"model": {"regulatory_scope": ["us_ugesp"]}}))
}

test_ba02_three_category_families if {
	"NYC-BA-02" in denied(json.remove(base, ["model/bias_audit/impact_ratios/intersectional"]))
	"NYC-BA-02" in denied(with_audit({"impact_ratios": {"sex": null}}))
}

test_ba02_exclusions_under_two_percent if {
	"NYC-BA-02" in denied(with_audit({"exclusions": [{"category": "other", "share": 0.02}]}))
	"NYC-BA-02" in denied(with_audit({"exclusions": [{"category": "other"}]}))
	not_denied("NYC-BA-02", with_audit({"exclusions": [{"category": "other", "share": 0.0199}]}))
}

test_ba02_test_data_needs_explanation if {
	"NYC-BA-02" in denied(with_audit({"uses_test_data": true}))
	not_denied("NYC-BA-02", with_audit({"uses_test_data": true, "test_data_explanation": "no historical data: new tool"}))
}

test_pub01_public_summary if "NYC-PUB-01" in denied(json.remove(base, ["model/bias_audit/public_summary_url"]))

test_pub01_ten_business_days_notice if {
	"NYC-PUB-01" in denied(patched({"model": {"aedt": {"notice_lead_business_days": 9}}}))
	"NYC-PUB-01" in denied(json.remove(base, ["model/aedt"]))
}

test_pub01_applies_from_production if {
	not_denied("NYC-PUB-01", fx.at_stage(json.remove(base, ["model/aedt"]), "deployment"))
}

with_protected(protected) := object.union(base, {"model": {"monitoring": {"protected": protected}}})

test_air01_every_monitored_attribute_is_in_the_evidence if {
	not_denied("FAIR-AIR-01", with_protected(["sex", "race_ethnicity"]))
	"FAIR-AIR-01" in denied(with_protected(["sex", "race_ethnicity", "age_band"]))
	"FAIR-AIR-01" in denied(with_protected(["sex", ["sex", "race_ethnicity"]]))
	not_denied("FAIR-AIR-01", patched({
		"model": {"monitoring": {"protected": ["sex", ["sex", "race_ethnicity"]]}},
		"evidence": {"fairness": {"attributes": array.concat(fair_ok.attributes, [attr("sex,race_ethnicity", [group("f,a", 300, 1.0)])])}},
	}))
	"FAIR-AIR-01" in denied(with_protected([7]))
}
