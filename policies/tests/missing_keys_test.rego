# A missing key must deny: for each control that reads a card field or evidence, remove the
# field from the compliant fixture and expect that control's denial. Written so that it fires
# on OPA too, where `not f(x.y)` with `x.y` undefined never fires (issue 12; OPA issue 1877).
package govern.missing_keys_test

import data.govern.controls.colorado_sb26_189
import data.govern.controls.colorado_sb26_189_test as co_test
import data.govern.controls.ecoa_reg_b
import data.govern.controls.ecoa_reg_b_test as ecoa_test
import data.govern.controls.eu_ai_act
import data.govern.controls.eu_ai_act_test as eu_test
import data.govern.controls.fairness
import data.govern.controls.fairness_test as fair
import data.govern.controls.inventory
import data.govern.controls.iso42001
import data.govern.controls.iso42001_test as iso_test
import data.govern.controls.monitoring
import data.govern.controls.monitoring_test as mon_test
import data.govern.controls.mrm
import data.govern.controls.nist_ai_rmf
import data.govern.controls.nist_ai_rmf_test as nist_test
import data.govern.controls.retraining
import data.govern.fixtures_test as fx
import data.govern.gates
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

# Every other control that reads a card field or evidence (tests/policy/test_missing_keys.py
# fails when a control reading a field has no case here or in `cases`, and is not listed
# there as not yet covered): [pack, violation control, base fixture, stage, JSON pointer
# removed]. The base fixture is one where the control is silent; removing the key makes it
# deny. Gates are `gate_<stage>`; their case names the GATE-* violation that fires.
bases := {
	"good": fx.good,
	"pred": mon_test.with_prediction,
	"eu": eu_test.base,
	"fair": fair.base,
	"co": co_test.base,
	"ecoa": ecoa_test.base,
	"iso": iso_test.base,
	"nist": nist_test.base,
	"retired": fx.with_model({"retirement": {"date": "2026-11-01", "reason": "replaced by v4", "archive_uri": "s3://archive/fx/3"}}),
	"vendor": fx.with_model({
		"is_vendor": true,
		"vendor": {"dev_evidence_uri": "s3://vendor/dev", "contingency_plan_uri": "s3://vendor/plan"},
		"validation": {"own_use": "s3://validation/own-use"},
	}),
	"exception": fx.with_model({"exceptions": [{"id": "EX-1", "expires_at": "2027-01-31", "approved_by": "cro@example.com", "compensating_controls": ["manual review"]}]}),
	"finding": fx.with_model({"findings": [{"id": "F-1", "status": "open", "severity": "high", "due_date": "2027-01-31"}]}),
	"changed": fx.with_model({"last_material_change_at": "2026-09-01"}),
	"old_validation": fx.with_model({"validation": {"date": "2025-06-01"}}),
	"eu_incident": object.union(eu_test.base, {"model": {"incidents": [{"id": "INC-1", "serious": true, "aware_at": "2026-11-20", "reported_at": "2026-11-21"}]}}),
	"eu_breach": object.union(eu_test.base, {"evidence": {"fairness": {"breaches": [{"id": "B-1"}]}, "incident_triage": {"B-1": "not serious: no harm to health, safety or rights"}}}),
	"eu_nonconformity": object.union(eu_test.base, {"model": {"nonconformities": [{"id": "NC-1", "open": true, "corrective_action": "recall"}]}}),
	"output_psi": object.union(mon_test.with_prediction, {"evidence": {"drift": {"output": {"name": "score", "psi": 0.01, "status": "ok"}}}}),
	"ops": object.union(fx.with_model({"slo": {"max_error_rate": 0.01}}), {"evidence": {"operational": {"status": "ok", "error_rate": 0.001, "scanned_at": "2026-11-22T00:00:00Z"}}}),
}

every_control := [
	["colorado_sb26_189", "CO-ADMT-01", "co", "production", "evidence/adverse_outcomes/0/decided_at"],
	["ecoa_reg_b", "ECOA-AAN-01", "ecoa", "production", "model/ecoa/notice_process_uri"],
	["ecoa_reg_b", "ECOA-AAN-02", "ecoa", "production", "model/ecoa/reason_code_method"],
	["eu_ai_act", "EUAIA-ACC-01", "eu", "production", "evidence/performance/auc"],
	["eu_ai_act", "EUAIA-CA-01", "eu", "production", "model/eu"],
	["eu_ai_act", "EUAIA-CLS-01", "eu", "production", "model/eu_ai_act/high_risk"],
	["eu_ai_act", "EUAIA-DAT-01", "eu", "production", "model/data_governance/assumptions"],
	["eu_ai_act", "EUAIA-DAT-02", "eu", "production", "model/representativeness_report_uri"],
	["eu_ai_act", "EUAIA-DEP-01", "eu", "production", "model/eu"],
	["eu_ai_act", "EUAIA-DOC-01", "eu", "production", "model/tech_doc/sections/1"],
	["eu_ai_act", "EUAIA-DOC-02", "eu", "production", "model/test_reports/0/metrics/fairness/air_min"],
	["eu_ai_act", "EUAIA-DOC-03", "eu", "production", "model/docs/retention_until"],
	["eu_ai_act", "EUAIA-EXP-01", "eu", "production", "model/explanations/per_decision_enabled"],
	["eu_ai_act", "EUAIA-FRIA-01", "eu", "production", "model/eu"],
	["eu_ai_act", "EUAIA-HO-01", "eu", "production", "model/oversight/overseers/0/trained_at"],
	["eu_ai_act", "EUAIA-LOG-01", "eu", "production", "model/logging_enabled"],
	["eu_ai_act", "EUAIA-LOG-02", "eu", "production", "model/log_retention_days"],
	["eu_ai_act", "EUAIA-PMM-01", "eu", "production", "model/eu"],
	["eu_ai_act", "EUAIA-QMS-01", "eu", "production", "model/qms/procedures/pmm"],
	["eu_ai_act", "EUAIA-REG-01", "eu", "production", "model/eu"],
	["eu_ai_act", "EUAIA-RMS-01", "eu", "production", "model/eu"],
	["eu_ai_act", "EUAIA-ROB-01", "eu", "production", "model/security_assessment/date"],
	["eu_ai_act", "EUAIA-TRN-01", "eu", "production", "model/ifu/declared_metrics/auc"],
	["eu_ai_act", "EUAIA-TST-01", "eu", "production", "model/test_plan/defined_at"],
	["fairness", "FAIR-AIR-01", "fair", "production", "evidence/fairness/attributes/0/groups/0/adverse_impact_ratio"],
	["fairness", "FAIR-REC-01", "fair", "production", "evidence/fairness/attributes/0/name"],
	["gate_deployment", "GATE-ORDER", "good", "deployment", "model/lifecycle_stage"],
	["gate_development", "GATE-PARAMS", "good", "development", "model/risk_tier"],
	["gate_production", "GATE-SHADOW", "good", "production", "model/shadow/end_at"],
	["gate_proposed", "GATE-PARAMS", "good", "proposed", "model/risk_tier"],
	["gate_retired", "GATE-PARAMS", "good", "retired", "model/risk_tier"],
	["gate_validation", "GATE-PARAMS", "good", "validation", "model/risk_tier"],
	["iso42001", "ISO-DEP-01", "iso", "production", "evidence/monitoring/first_success_at"],
	["iso42001", "ISO-IA-01", "iso", "production", "model/impact_assessment_at"],
	["monitoring", "MON-CSI-01", "good", "production", "evidence/drift/features/0/name"],
	["monitoring", "MON-DQ-01", "good", "production", "evidence/drift/features/0/inf_rate"],
	["mrm", "MRM-CHG-01", "good", "production", "model/deployment/artifact_sha"],
	["mrm", "MRM-GOV-01", "good", "production", "approvals/0"],
	["mrm", "MRM-INV-02", "good", "production", "model/developer_ids/0"],
	["mrm", "MRM-INV-03", "good", "production", "model/deployment/calibration_hash"],
	["mrm", "MRM-MON-01", "good", "production", "model/monitoring/limits/psi_deny"],
	["mrm", "MRM-MON-02", "good", "production", "model/monitoring/frequency_days"],
	["mrm", "MRM-UAT-01", "good", "production", "model/uat_rounds/0/passed"],
	["mrm", "MRM-USE-01", "good", "production", "model/approved_use_cases/0"],
	["mrm", "MRM-VAL-02", "good", "production", "model/validation/scope/conceptual_soundness"],
	["nist_ai_rmf", "NIST-GV-01", "nist", "production", "model/owner"],
	["nist_ai_rmf", "NIST-MAP-01", "nist", "production", "model/deployment_context"],
	["nist_ai_rmf", "NIST-MG-01", "good", "production", "approvals/0/stage"],
	["nist_ai_rmf", "NIST-MG-02", "nist", "production", "model/kill_switch/owner"],
	["nist_ai_rmf", "NIST-MG-03", "nist", "production", "model/monitoring/covers/appeal"],
	["nist_ai_rmf", "NIST-MS-01", "nist", "production", "model/validation/fairness_results_uri"],
	["fairness", "NYC-BA-01", "fair", "production", "model/bias_audit/auditor_independent"],
	["fairness", "NYC-BA-02", "fair", "production", "model/bias_audit/exclusions/0/share"],
	["fairness", "NYC-PUB-01", "fair", "production", "model/aedt/notice_lead_business_days"],
	["mrm", "MRM-RET-01", "retired", "retired", "model/retirement/archive_uri"],
	["mrm", "MRM-VEN-01", "vendor", "production", "model/vendor/dev_evidence_uri"],
	["mrm", "MRM-VEN-01", "vendor", "production", "model/validation/own_use"],
	["mrm", "MRM-VEN-02", "vendor", "production", "model/vendor/contingency_plan_uri"],
	["mrm", "MRM-EXC-01", "exception", "production", "model/exceptions/0/expires_at"],
	["mrm", "MRM-EXC-01", "exception", "production", "model/exceptions/0/approved_by"],
	["mrm", "MRM-VAL-06", "finding", "production", "model/findings/0/due_date"],
	["mrm", "MRM-VAL-04", "changed", "production", "model/validation/date"],
	["inventory", "INV-ZMB-02", "good", "production", "evidence"],
	["inventory", "INV-ZMB-03", "old_validation", "production", "model/next_validation_due"],
	["monitoring", "MON-OPS-01", "ops", "production", "evidence/operational/error_rate"],
	["monitoring", "MON-PSI-01", "output_psi", "production", "evidence/drift/output/psi"],
	["eu_ai_act", "EUAIA-INC-01", "eu_incident", "production", "model/incidents/0/aware_at"],
	["eu_ai_act", "EUAIA-INC-02", "eu_breach", "production", "evidence/incident_triage/B-1"],
	["eu_ai_act", "EUAIA-COR-01", "eu_nonconformity", "production", "model/nonconformities/0/corrective_action"],
]

pack_denied("colorado_sb26_189", inp) := {v.control | some v in d} if d := colorado_sb26_189.deny with input as inp

pack_denied("ecoa_reg_b", inp) := {v.control | some v in d} if d := ecoa_reg_b.deny with input as inp

pack_denied("eu_ai_act", inp) := {v.control | some v in d} if d := eu_ai_act.deny with input as inp

pack_denied("iso42001", inp) := {v.control | some v in d} if d := iso42001.deny with input as inp

pack_denied("nist_ai_rmf", inp) := {v.control | some v in d} if d := nist_ai_rmf.deny with input as inp

pack_denied("gate_proposed", inp) := {v.control | some v in d} if d := gates.proposed.deny with input as inp

pack_denied("gate_development", inp) := {v.control | some v in d} if d := gates.development.deny with input as inp

pack_denied("gate_validation", inp) := {v.control | some v in d} if d := gates.validation.deny with input as inp

pack_denied("gate_deployment", inp) := {v.control | some v in d} if d := gates.deployment.deny with input as inp

pack_denied("gate_production", inp) := {v.control | some v in d} if d := gates.production.deny with input as inp

pack_denied("gate_retired", inp) := {v.control | some v in d} if d := gates.retired.deny with input as inp

pack_denied(pack, inp) := denied(pack, inp) if pack in {"mrm", "monitoring", "inventory", "fairness"}

case_base(c) := object.union(bases[c[2]], {"stage": c[3]})

test_every_control_denies_its_missing_key if {
	count(every_control) >= 50
	silent_cases := [c |
		some c in every_control
		not c[1] in pack_denied(c[0], json.remove(case_base(c), [c[4]]))
	]
	silent_cases == []
}

test_every_control_is_silent_on_its_base if {
	fired := [c | some c in every_control; c[1] in pack_denied(c[0], case_base(c))]
	fired == []
}

# data_changed_at is the one monitoring key whose absence must NOT deny: evidence of older
# stores and supplied evidence have none, and keep the decision they had. Removing it from
# evidence whose data is stale lifts the no-new-data denial on every engine (a negated
# helper over an undefined value would fire on regorus and not on OPA).
stale_data := object.union(fx.good, {"evidence": {
	"drift": {"data_changed_at": "2026-06-01T00:00:00Z"},
	"performance": {"data_changed_at": "2026-06-01T00:00:00Z"},
}})

no_change_key := json.remove(stale_data, ["evidence/drift/data_changed_at", "evidence/performance/data_changed_at"])

test_missing_data_changed_at_keeps_todays_decision if {
	{"MRM-MON-02", "INV-ZMB-02"} & (pack_denied("mrm", stale_data) | pack_denied("inventory", stale_data)) == {"MRM-MON-02", "INV-ZMB-02"}
	not "MRM-MON-02" in pack_denied("mrm", no_change_key)
	not "INV-ZMB-02" in pack_denied("inventory", no_change_key)
	# one family without the key: the other's date still counts
	one := json.remove(stale_data, ["evidence/performance/data_changed_at"])
	"MRM-MON-02" in pack_denied("mrm", one)
}

# A family that is not an object: no date read from it, and no evaluation error.
test_data_changed_at_of_a_non_object_family_is_ignored if {
	scalar := object.union(stale_data, {"evidence": {"drift": "not an object"}})
	"MRM-MON-02" in pack_denied("mrm", scalar) # performance's date still counts
	only := object.union(no_change_key, {"evidence": {"drift": ["x"]}})
	not "INV-ZMB-02" in pack_denied("inventory", only)
}

# Controls that only warn: [pack, warning control, base fixture, stage, JSON pointer removed].
warn_controls := [["mrm", "MRM-BMK-01", "good", "production", "model/benchmark/latest_at"]]

pack_warned("mrm", inp) := {v.control | some v in w} if w := mrm.warn with input as inp

test_every_warning_control_warns_on_its_missing_key if {
	silent_cases := [c |
		some c in warn_controls
		not c[1] in pack_warned(c[0], json.remove(case_base(c), [c[4]]))
	]
	silent_cases == []
}

test_every_warning_control_is_silent_on_its_base if {
	fired := [c | some c in warn_controls; c[1] in pack_warned(c[0], case_base(c))]
	fired == []
}
