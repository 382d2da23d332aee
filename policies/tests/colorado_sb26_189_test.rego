package govern.controls.colorado_sb26_189_test

import data.govern.controls.colorado_sb26_189 as co
import data.govern.fixtures_test as fx
import rego.v1

denied(inp) := {v.control | some v in d} if d := co.deny with input as inp

warned(inp) := {v.control | some v in w} if w := co.warn with input as inp

# Negative assertions that fail (rather than pass) when the evaluation is undefined.
not_denied(id, inp) if {
	d := denied(inp)
	not id in d
}

not_warned(id, inp) if {
	w := warned(inp)
	not id in w
}

outcome := {"decision_id": "D1", "decided_at": "2027-02-01", "explanation_sent_at": "2027-02-20"}

# A compliant Colorado-scope model, evaluated after SB 26-189 took effect.
base := object.union(fx.good, {
	"now": "2027-03-01T12:00:00Z",
	"model": {
		"regulatory_scope": ["us_sr26_2", "co_sb26_189"],
		"co": {"notice_uri": "https://example.com/admt-notice"}, "records_retention_years": 3,
	},
	"evidence": {"adverse_outcomes": [outcome]},
})

with_outcome(a) := object.union(base, {"evidence": {"adverse_outcomes": [a]}})

unexplained(decided_at) := with_outcome({"decision_id": "D2", "decided_at": decided_at})

test_compliant_model_has_no_colorado_violation if {
	count(denied(base)) == 0
	count(warned(base)) == 0
}

test_admt01_notice if {
	"CO-ADMT-01" in denied(json.remove(base, ["model/co/notice_uri"]))
	not_denied("CO-ADMT-01", fx.at_stage(json.remove(base, ["model/co/notice_uri"]), "deployment"))
}

test_admt01_three_year_records if {
	"CO-ADMT-01" in denied(object.union(base, {"model": {"records_retention_years": 2}}))
	"CO-ADMT-01" in denied(json.remove(base, ["model/records_retention_years"]))
}

test_admt01_explanation_within_thirty_days if {
	"CO-ADMT-01" in denied(with_outcome(object.union(outcome, {"explanation_sent_at": "2027-03-04"})))
	not_denied("CO-ADMT-01", with_outcome(object.union(outcome, {"explanation_sent_at": "2027-03-03"})))
}

test_admt01_unexplained_outcome_breaches_after_thirty_days if {
	"CO-ADMT-01" in denied(unexplained("2027-01-20"))
	not_denied("CO-ADMT-01", unexplained("2027-02-20"))
	"CO-ADMT-01" in denied(unexplained("last week"))
}

test_admt01_outcomes_before_the_effective_date_are_not_covered if {
	not_denied("CO-ADMT-01", unexplained("2026-12-15"))
	"CO-ADMT-01" in denied(unexplained("2027-01-01"))
}

test_legacy01_disabled_by_default if {
	not_warned("CO-LEGACY-01", object.union(base, {"model": {"impact_assessment_at": "2025-01-01"}}))
}

test_legacy01_annual_impact_assessment_when_enabled if {
	old := object.union(base, {"model": {"impact_assessment_at": "2025-01-01"}})
	ids := {v.control | some v in co.warn} with input as old with data.govern.params.global.co_legacy as true
	"CO-LEGACY-01" in ids
	fresh := object.union(base, {"model": {"impact_assessment_at": "2026-06-01"}})
	ids_fresh := {v.control | some v in co.warn} with input as fresh with data.govern.params.global.co_legacy as true
	not "CO-LEGACY-01" in ids_fresh
}
