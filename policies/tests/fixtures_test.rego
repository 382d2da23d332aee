# Shared fixtures for the library's tests: one complete, compliant tier-1 model in
# production, and helpers to derive failing variants from it.
package govern.fixtures_test

import rego.v1

now := "2026-11-23T12:00:00Z"

model := {
	"name": "fx", "version": "3", "owner": "owner@example.com", "risk_tier": 1,
	"tier_rationale": "high exposure", "use_case": "credit underwriting",
	"regulatory_scope": ["us_sr26_2"], "lifecycle_stage": "deployment",
	"registered_at": "2026-10-01T00:00:00Z", "go_live_at": "2026-11-30",
	"intended_use": "rank applicants", "purpose_statement": "estimate PD", "products": ["loan"],
	"approved_use_cases": ["credit underwriting"], "restrictions_on_use": "none else",
	"input_sources": ["bureau"], "outputs": "PD", "assumptions": "stable mix",
	"limitations": "thin files", "last_updated_at": "2026-06-30", "developer_ids": ["dev@example.com"],
	"next_validation_due": "2027-09-15", "valid_until": "2027-09-15",
	"docs": {"development_uri": "s3://d"}, "data_quality_report_uri": "s3://q",
	"dev_tests": {"out_of_sample": 0.78, "out_of_time": 0.77},
	"lineage": {"training_data": "s3://t"},
	"validation": {
		"outcome": "approved", "date": "2026-09-15", "report_uri": "s3://v",
		"validator_id": "val@example.com",
		"scope": {"conceptual_soundness": true, "ongoing_monitoring": true, "outcomes_analysis": true},
		"baseline": {"auc": 0.8},
	},
	"benchmark": {"latest_at": "2026-09-10"},
	"uat_rounds": [
		{"round": 1, "passed": true, "signed_off_by": "ops"},
		{"round": 2, "passed": true, "signed_off_by": "ops"},
	],
	"approved_artifact_sha": "abc", "deployment": {"artifact_sha": "abc", "calibration_hash": "c1"},
	"registered_calibration_hash": "c1",
	"shadow": {"start_at": "2026-10-20", "end_at": "2026-11-17", "n_decisions": 5000, "score_psi_vs_champion": 0.03},
	"monitoring": {
		"features": ["a", "b"], "metrics": ["psi", "performance"], "limits": {"psi_deny": 0.25},
		"frequency_days": 30, "escalation": "owner",
	},
}

drift := {
	"scan_id": "s1", "scanned_at": "2026-11-22T00:00:00Z", "rows": 20000, "max_psi": 0.02,
	"features": [
		{"name": "a", "psi": 0.01, "missing_rate": 0.01, "inf_rate": 0.0, "status": "ok", "reasons": []},
		{"name": "b", "psi": 0.02, "missing_rate": 0.0, "inf_rate": 0.0, "status": "ok", "reasons": []},
	],
}

evidence := {"drift": drift, "performance": {"auc": 0.79, "status": "ok", "scanned_at": "2026-11-22T00:00:00Z"}}

# Approvals that count are the registry's records (`govern approve`), not the card's.
approvals := [{"stage": "deployment", "role": "committee", "body": "model_risk_committee", "by": "mrc", "at": "2026-09-20T00:00:00Z"}]

# Open retraining triggers (govern monitor): none.
retraining := {"open": [], "predecessors": []}

good := {"now": now, "stage": "production", "model": model, "evidence": evidence, "approvals": approvals, "retraining": retraining}

# `good` with the model patched (deep merge) / with model fields removed.
with_model(patch) := object.union(good, {"model": patch})

without_model(paths) := json.remove(good, [concat("/", ["model", p]) | some p in paths])

with_evidence(patch) := object.union(good, {"evidence": patch})

at_stage(inp, stage) := object.union(inp, {"stage": stage})

feature(name, psi) := {"name": name, "psi": psi, "missing_rate": 0.0, "inf_rate": 0.0, "status": "ok", "reasons": []}

# `good` whose recent scans re-read old files: every family's data last changed at `changed`
# (a scan's data_changed_at: when the newest of its files was first scanned).
data_changed(changed) := with_evidence({"drift": {"data_changed_at": changed}, "performance": {"data_changed_at": changed}})
