package govern.controls.iso42001_test

import data.govern.controls.iso42001
import data.govern.fixtures_test as fx
import rego.v1

denied(inp) := {v.control | some v in d} if d := iso42001.deny with input as inp

# Negative assertion that fails (rather than passes) when the evaluation is undefined.
not_denied(id, inp) if {
	d := denied(inp)
	not id in d
}

base := object.union(fx.good, {
	"model": {
		"regulatory_scope": ["us_sr26_2", "iso42001"],
		"impact_assessment_uri": "s3://aiia", "impact_assessment_at": "2026-08-01",
	},
	"evidence": {"monitoring": {"first_success_at": "2026-10-21T00:00:00Z"}},
})

without(paths) := json.remove(base, paths)

test_compliant_model_has_no_iso_violation if count(denied(base)) == 0

test_ia01_impact_assessment if {
	"ISO-IA-01" in denied(without(["model/impact_assessment_uri"]))
	"ISO-IA-01" in denied(without(["model/impact_assessment_at"]))
	"ISO-IA-01" in denied(fx.at_stage(without(["model/impact_assessment_uri"]), "deployment"))
	not_denied("ISO-IA-01", fx.at_stage(without(["model/impact_assessment_uri"]), "validation"))
}

test_dep01_monitoring_ran_before_go_live if {
	"ISO-DEP-01" in denied(without(["evidence/monitoring"]))
	"ISO-DEP-01" in denied(object.union(base, {"evidence": {"monitoring": {"first_success_at": "2026-11-30T00:00:00Z"}}}))
	"ISO-DEP-01" in denied(without(["model/go_live_at"]))
	not_denied("ISO-DEP-01", fx.at_stage(without(["evidence/monitoring"]), "deployment"))
}

test_dep01_first_success_from_the_monitoring_plan if {
	inp := object.union(without(["evidence/monitoring"]), {"model": {"monitoring": {"first_success_at": "2026-10-21"}}})
	not_denied("ISO-DEP-01", inp)
}
