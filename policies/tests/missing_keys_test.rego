# A missing key must deny: for each control that reads a card field or evidence, remove the
# field from the compliant fixture and expect that control's denial. Written so that it fires
# on OPA too, where `not f(x.y)` with `x.y` undefined never fires (issue 12; OPA issue 1877).
package govern.missing_keys_test

import data.govern.controls.fairness
import data.govern.controls.fairness_test as fair
import data.govern.controls.inventory
import data.govern.controls.monitoring
import data.govern.controls.mrm
import data.govern.controls.retraining
import data.govern.fixtures_test as fx
import data.govern.gates.production
import rego.v1

# [pack, control, JSON pointer removed from fx.good]
cases := [
	["mrm", "MRM-INV-01", "model/registered_at"],
	["mrm", "MRM-INV-02", "model/intended_use"],
	["mrm", "MRM-INV-02", "model/valid_until"],
	["mrm", "MRM-INV-02", "model/validation/validator_id"],
	["mrm", "MRM-INV-03", "model/registered_calibration_hash"],
	["mrm", "MRM-TIER-01", "model/risk_tier"],
	["mrm", "MRM-TIER-01", "model/tier_rationale"],
	["mrm", "MRM-DEV-01", "model/docs/development_uri"],
	["mrm", "MRM-DEV-01", "model/limitations"],
	["mrm", "MRM-DEV-02", "model/dev_tests/out_of_sample"],
	["mrm", "MRM-DEV-02", "model/lineage/training_data"],
	["mrm", "MRM-VAL-01", "model/validation/outcome"],
	["mrm", "MRM-VAL-01", "model/validation/report_uri"],
	["mrm", "MRM-VAL-02", "model/validation/scope"],
	["mrm", "MRM-VAL-03", "model/validation/validator_id"],
	["mrm", "MRM-VAL-05", "model/validation/date"],
	["mrm", "MRM-MON-01", "model/monitoring/escalation"],
	["mrm", "MRM-UAT-01", "model/uat_rounds"],
	["mrm", "MRM-CHG-01", "model/approved_artifact_sha"],
	["mrm", "MRM-USE-01", "model/approved_use_cases"],
	["mrm", "MRM-GOV-01", "approvals"],
	["monitoring", "MON-CSI-01", "evidence/drift"],
	["monitoring", "MON-CSI-01", "evidence/drift/features/0/psi"],
	["monitoring", "MON-CSI-01", "evidence/drift/features/0/status"],
	["monitoring", "MON-PERF-01", "evidence/performance"],
	["monitoring", "MON-PERF-01", "evidence/performance/auc"],
	["monitoring", "MON-PERF-01", "model/validation/baseline/auc"],
	["inventory", "INV-ZMB-01", "model/owner"],
	["retraining", "MON-RTR-01", "retraining"],
	["retraining", "MON-RTR-01", "retraining/open"],
	["retraining", "MON-RTR-01", "retraining/predecessors"],
]

denied("mrm", inp) := {v.control | some v in d} if d := mrm.deny with input as inp

denied("monitoring", inp) := {v.control | some v in d} if d := monitoring.deny with input as inp

denied("inventory", inp) := {v.control | some v in d} if d := inventory.deny with input as inp

denied("retraining", inp) := {v.control | some v in d} if d := retraining.deny with input as inp

denied("fairness", inp) := {v.control | some v in d} if d := fairness.deny with input as inp

fires(pack, id, inp) if id in denied(pack, inp)

silent := [c | some c in cases; not fires(c[0], c[1], json.remove(fx.good, [c[2]]))]

test_every_missing_key_denies if {
	count(cases) >= 25
	silent == []
}

test_the_compliant_fixture_denies_none_of_them if {
	fired := [c | some c in cases; fires(c[0], c[1], fx.good)]
	fired == []
}

gate_denied(inp) := {v.control | some v in d} if d := production.deny with input as inp

gate_fires(id, inp) if id in gate_denied(inp)

test_missing_clock_denies if gate_fires("GATE-CLOCK", json.remove(fx.good, ["now"]))

test_missing_go_live_denies if gate_fires("GATE-GOLIVE", json.remove(fx.good, ["model/go_live_at"]))

# FAIR-AIR-01: a group of a decided size without an impact ratio
test_group_without_impact_ratio_denies if {
	inp := json.remove(fair.base, ["evidence/fairness/attributes/0/groups/0/adverse_impact_ratio"])
	fires("fairness", "FAIR-AIR-01", inp)
}

# NYC-BA-02: an exclusion without a share is not "under 2%"
test_exclusion_without_share_denies if {
	inp := json.remove(fair.base, ["model/bias_audit/exclusions/0/share"])
	fires("fairness", "NYC-BA-02", inp)
}

test_fairness_base_is_compliant if {
	not fires("fairness", "FAIR-AIR-01", fair.base)
	not fires("fairness", "NYC-BA-02", fair.base)
}
