package govern.gates_test

import data.govern.fixtures_test as fx
import data.govern.gates
import rego.v1

ids(d) := {v.control | some v in d}

test_good_model_passes_production_gate if count(gates.production.deny) == 0 with input as fx.good

test_bad_clock_denies_every_gate if {
	inp := object.union(fx.good, {"now": "yesterday"})
	"GATE-CLOCK" in ids(gates.proposed.deny) with input as fx.at_stage(inp, "proposed")
	"GATE-CLOCK" in ids(gates.development.deny) with input as fx.at_stage(inp, "development")
	"GATE-CLOCK" in ids(gates.validation.deny) with input as fx.at_stage(inp, "validation")
	"GATE-CLOCK" in ids(gates.deployment.deny) with input as fx.at_stage(inp, "deployment")
	"GATE-CLOCK" in ids(gates.production.deny) with input as inp
	"GATE-CLOCK" in ids(gates.retired.deny) with input as fx.at_stage(inp, "retired")
}

test_unknown_tier_denies if "GATE-PARAMS" in ids(gates.production.deny) with input as fx.with_model({"risk_tier": 9})

test_skipping_a_stage_denies if {
	inp := fx.with_model({"lifecycle_stage": "development"})
	"GATE-ORDER" in ids(gates.production.deny) with input as inp
}

test_retirement_from_any_stage_is_legal if {
	inp := fx.at_stage(fx.with_model({"lifecycle_stage": "development", "retirement": {"reason": "x", "date": "2026-11-01"}}), "retired")
	count(gates.retired.deny) == 0 with input as inp
}

test_proposed_needs_use_case if "NIST-MAP-01" in ids(gates.proposed.deny) with input as fx.at_stage(fx.without_model(["use_case"]), "proposed")

test_development_needs_owner if {
	inp := fx.at_stage(fx.without_model(["owner"]), "development")
	"NIST-GV-01" in ids(gates.development.deny) with input as object.union(inp, {"model": {"lifecycle_stage": "proposed"}})
}

test_validation_needs_lineage if {
	inp := fx.at_stage(fx.without_model(["lineage"]), "validation")
	"MRM-DEV-02" in ids(gates.validation.deny) with input as inp
}

test_deployment_needs_approved_artifact if {
	inp := fx.at_stage(fx.without_model(["approved_artifact_sha"]), "deployment")
	"MRM-CHG-01" in ids(gates.deployment.deny) with input as inp
}

test_production_needs_go_live if "GATE-GOLIVE" in ids(gates.production.deny) with input as fx.with_model({"go_live_at": "soon"})

test_short_shadow_denies if "GATE-SHADOW" in ids(gates.production.deny) with input as fx.with_model({"shadow": {"end_at": "2026-10-25"}})

test_small_shadow_denies if "GATE-SHADOW" in ids(gates.production.deny) with input as fx.with_model({"shadow": {"n_decisions": 10}})

test_unstable_shadow_denies if "GATE-SHADOW" in ids(gates.production.deny) with input as fx.with_model({"shadow": {"score_psi_vs_champion": 0.2}})

test_recheck_in_production_skips_shadow if {
	inp := object.union(fx.without_model(["shadow"]), {"model": {"lifecycle_stage": "production"}})
	count(gates.production.deny) == 0 with input as inp
}

test_retirement_needs_reason if "GATE-RETIRED" in ids(gates.retired.deny) with input as fx.at_stage(fx.good, "retired")
