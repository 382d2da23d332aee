package govern.controls.eu_ai_act_test

import data.govern.controls.eu_ai_act
import data.govern.fixtures_test as fx
import rego.v1

denied(inp) := {v.control | some v in d} if d := eu_ai_act.deny with input as inp

# Negative assertion that fails (rather than passes) when the evaluation is undefined.
not_denied(id, inp) if {
	d := denied(inp)
	not id in d
}

# A compliant high-risk credit-scoring system (Annex III 5(b)) that the firm both provides
# and deploys, entering production.
eu_model := {
	"regulatory_scope": ["us_sr26_2", "eu_ai_act"],
	"eu_ai_act": {"high_risk": true, "annex_iii_point": "5b", "role": "provider_and_deployer", "profiling": true, "art6_3_exemption": false},
	"eu": {
		"rms_uri": "s3://rms", "residual_risk_accepted_by": "cro", "rms_last_review": "2026-06-01",
		"placed_on_market_at": "2026-11-30", "conformity_assessment_at": "2026-10-01",
		"declaration_uri": "s3://doc", "declared_version": "3", "eu_db_registration_id": "EU-123",
		"pmm_plan_uri": "s3://pmm", "affected_person_notice_uri": "https://example.com/notice",
		"fria_completed_at": "2026-10-15",
	},
	"test_plan": {"defined_at": "2026-07-01", "metrics": ["auc"]},
	"test_run": {"executed_at": "2026-07-15", "all_pass": true},
	"data_governance": {k: "documented" | some k in data.govern.params.global.art10_items},
	"representativeness_report_uri": "s3://repr",
	"tech_doc": {"sections": {s: "s3://td" | some s in data.govern.params.global.annex_iv_sections}, "updated_at": "2026-09-01"},
	"last_change_at": "2026-08-01",
	"test_reports": [{"id": "T1", "date": "2026-07-15", "signed_by": "qa lead", "metrics": {"auc": 0.78, "fairness": {"air_min": 0.9}}}],
	"docs": {"retention_until": "2036-11-30"},
	"logging_enabled": true, "log_retention_days": 365,
	"ifu": {"uri": "s3://ifu", "declared_metrics": {"auc": 0.78}, "group_performance": "s3://gp", "expected_lifetime": "3y"},
	"oversight": {"override_enabled": true, "stop_mechanism": "feature flag", "overseers": [{"id": "ops1", "trained_at": "2026-09-01"}]},
	"security_assessment": {"date": "2026-09-01", "scope": "adversarial, poisoning"},
	"qms": {"procedures": {"risk_mgmt": "s3://q1", "pmm": "s3://q2", "serious_incident": "s3://q3"}},
	"explanations": {"per_decision_enabled": true},
}

base := object.union(fx.good, {"model": eu_model, "evidence": {"operational": {"log_coverage": 0.999}}})

patched(patch) := object.union(base, patch)

with_model(patch) := patched({"model": patch})

with_eu(patch) := with_model({"eu": patch})

without(paths) := json.remove(base, [concat("/", ["model", p]) | some p in paths])

in_production := with_model({"lifecycle_stage": "production"})

incident(patch) := with_model({"incidents": [object.union({"id": "I1", "serious": true, "aware_at": "2026-11-01T00:00:00Z"}, patch)]})

test_compliant_high_risk_system_has_no_violation if {
	count(denied(base)) == 0
	count(denied(in_production)) == 0
}

test_not_high_risk_system_has_no_violation if {
	d := denied(object.union(fx.good, {"model": {"regulatory_scope": ["eu_ai_act"], "eu_ai_act": {"high_risk": false, "not_annex_iii_rationale": "fraud detection (Annex III 5(b) exception)"}}}))
	count(d) == 0
}

test_cls01_unclassified if {
	"EUAIA-CLS-01" in denied(without(["eu_ai_act"]))
	"EUAIA-CLS-01" in denied(with_model({"eu_ai_act": {"high_risk": "yes"}}))
}

test_cls01_no_art6_3_exemption_when_profiling if {
	"EUAIA-CLS-01" in denied(with_model({"eu_ai_act": {"high_risk": false, "art6_3_exemption": true, "profiling": true}}))
	not_denied("EUAIA-CLS-01", with_model({"eu_ai_act": {"high_risk": false, "art6_3_exemption": true, "profiling": false}}))
}

test_rms01 if {
	"EUAIA-RMS-01" in denied(without(["eu/rms_uri"]))
	"EUAIA-RMS-01" in denied(without(["eu/residual_risk_accepted_by"]))
	"EUAIA-RMS-01" in denied(with_eu({"rms_last_review": "2025-11-01"}))
	"EUAIA-RMS-01" in denied(without(["eu/rms_last_review"]))
}

test_provider_duties_do_not_bind_a_deployer if {
	not_denied("EUAIA-RMS-01", object.union(without(["eu/rms_uri"]), {"model": {"eu_ai_act": {"role": "deployer"}}}))
}

test_tst01 if {
	"EUAIA-TST-01" in denied(with_model({"test_plan": {"defined_at": "2026-07-16"}}))
	"EUAIA-TST-01" in denied(without(["test_plan"]))
	"EUAIA-TST-01" in denied(with_model({"test_run": {"all_pass": false}}))
}

test_dat01 if "EUAIA-DAT-01" in denied(without(["data_governance/data_gaps"]))

test_dat02 if "EUAIA-DAT-02" in denied(without(["representativeness_report_uri"]))

test_dat_not_before_validation if {
	inp := fx.at_stage(without(["representativeness_report_uri", "data_governance"]), "development")
	not_denied("EUAIA-DAT-01", inp)
	not_denied("EUAIA-DAT-02", inp)
}

test_doc01 if {
	"EUAIA-DOC-01" in denied(without(["tech_doc/sections/9"]))
	"EUAIA-DOC-01" in denied(with_model({"tech_doc": {"updated_at": "2026-07-01"}}))
	not_denied("EUAIA-DOC-01", without(["last_change_at"]))
}

test_doc02 if {
	"EUAIA-DOC-02" in denied(with_model({"test_reports": []}))
	"EUAIA-DOC-02" in denied(with_model({"test_reports": [{"id": "T1", "date": "2026-07-15", "metrics": {"fairness": {}}}]}))
	"EUAIA-DOC-02" in denied(with_model({"test_reports": [{"id": "T1", "date": "2026-07-15", "signed_by": "qa", "metrics": {"auc": 0.8}}]}))
}

test_doc03_ten_years_after_placing if {
	"EUAIA-DOC-03" in denied(with_model({"docs": {"retention_until": "2036-11-29"}}))
	"EUAIA-DOC-03" in denied(without(["eu/placed_on_market_at"]))
	not_denied("EUAIA-DOC-03", with_model({"docs": {"retention_until": "2037-01-01"}}))
}

test_log01 if {
	"EUAIA-LOG-01" in denied(with_model({"logging_enabled": false}))
	"EUAIA-LOG-01" in denied(patched({"evidence": {"operational": {"log_coverage": 0.98}}}))
}

test_log02_six_months if {
	"EUAIA-LOG-02" in denied(with_model({"log_retention_days": 182}))
	"EUAIA-LOG-02" in denied(without(["log_retention_days"]))
	not_denied("EUAIA-LOG-02", with_model({"log_retention_days": 183}))
}

test_trn01 if {
	"EUAIA-TRN-01" in denied(without(["ifu/group_performance"]))
	"EUAIA-TRN-01" in denied(with_model({"ifu": {"declared_metrics": null}}))
}

test_ho01 if {
	"EUAIA-HO-01" in denied(with_model({"oversight": {"override_enabled": false}}))
	"EUAIA-HO-01" in denied(with_model({"oversight": {"overseers": [{"id": "ops1"}]}}))
}

test_acc01_declared_accuracy if {
	"EUAIA-ACC-01" in denied(patched({"evidence": {"performance": {"auc": 0.77}}}))
	"EUAIA-ACC-01" in denied(patched({"evidence": {"performance": {"status": "insufficient_data"}}}))
	not_denied("EUAIA-ACC-01", patched({"evidence": {"performance": {"auc": 0.77}}})) with data.govern.params.tier["1"].perf_tolerance as {"auc": 0.02}
}

test_rob01 if {
	"EUAIA-ROB-01" in denied(without(["security_assessment"]))
	"EUAIA-ROB-01" in denied(with_model({"online_learning": true}))
	not_denied("EUAIA-ROB-01", with_model({"online_learning": true, "feedback_loop_mitigation_uri": "s3://fl"}))
}

test_qms01 if {
	"EUAIA-QMS-01" in denied(without(["qms/procedures/pmm"]))
	"EUAIA-QMS-01" in denied(without(["qms"]))
}

# The organisation's QMS procedures (a data overlay) stand in for the card's. Written with
# one `with` statement: regorus 0.13 drops an outer `with data.<new path>` across the
# `with input` inside denied().
test_qms01_org_level_procedures if {
	ids := {v.control | some v in eu_ai_act.deny} with input as without(["qms"])
		with data.govern.org.qms.procedures as eu_model.qms.procedures
	not "EUAIA-QMS-01" in ids
}

test_ca01 if {
	"EUAIA-CA-01" in denied(without(["eu/declaration_uri"]))
	"EUAIA-CA-01" in denied(with_eu({"declared_version": "2"}))
	not_denied("EUAIA-CA-01", with_eu({"declared_version": 3}))
}

test_reg01 if {
	"EUAIA-REG-01" in denied(without(["eu/eu_db_registration_id"]))
	exempt := object.union(without(["eu/eu_db_registration_id"]), {"model": {"eu_ai_act": {"high_risk": false, "art6_3_exemption": true, "profiling": false}}})
	"EUAIA-REG-01" in denied(exempt)
}

test_pmm01 if {
	"EUAIA-PMM-01" in denied(without(["eu/pmm_plan_uri"]))
	stale := json.remove(in_production, ["evidence/drift", "evidence/performance", "evidence/operational"])
	"EUAIA-PMM-01" in denied(stale)
	not_denied("EUAIA-PMM-01", json.remove(base, ["evidence/drift", "evidence/performance", "evidence/operational"]))
}

# Post-market monitoring that re-reads the same files collects no data: denied in production.
test_pmm01_no_new_data if {
	old := object.union(in_production, {"evidence": {"drift": {"data_changed_at": "2026-06-01T00:00:00Z"}, "performance": {"data_changed_at": "2026-06-01T00:00:00Z"}}})
	msgs := {v.msg | some v in eu_ai_act.deny with input as old; v.control == "EUAIA-PMM-01"}
	msgs == {"post-market monitoring: no new inference data since 2026-06-01T00:00:00Z (175 days); the scans since re-read the same files, more than 92 days"}
	recent := object.union(in_production, {"evidence": {"drift": {"data_changed_at": "2026-10-01T00:00:00Z"}}})
	not_denied("EUAIA-PMM-01", recent)
	# entering production (current stage deployment) is not judged on collected data
	not_denied("EUAIA-PMM-01", object.union(base, {"evidence": {"drift": {"data_changed_at": "2026-06-01T00:00:00Z"}}}))
}

test_inc01_deadlines if {
	"EUAIA-INC-01" in denied(incident({}))
	not_denied("EUAIA-INC-01", incident({"reported_at": "2026-11-16T00:00:00Z"}))
	"EUAIA-INC-01" in denied(incident({"reported_at": "2026-11-17T00:00:00Z"}))
	"EUAIA-INC-01" in denied(incident({"widespread": true, "reported_at": "2026-11-04T00:00:00Z"}))
	not_denied("EUAIA-INC-01", incident({"widespread": true, "reported_at": "2026-11-03T00:00:00Z"}))
	"EUAIA-INC-01" in denied(incident({"death": true, "reported_at": "2026-11-12T00:00:00Z"}))
	not_denied("EUAIA-INC-01", incident({"death": true, "reported_at": "2026-11-11T00:00:00Z"}))
}

test_inc01_not_yet_due if {
	not_denied("EUAIA-INC-01", incident({"aware_at": "2026-11-20T00:00:00Z"}))
	"EUAIA-INC-01" in denied(incident({"aware_at": "2026-11-20T00:00:00Z", "critical_infrastructure": true}))
	not_denied("EUAIA-INC-01", incident({"serious": false}))
}

test_inc02 if {
	breach := {"evidence": {"fairness": {"breaches": [{"id": "B1", "attribute": "sex"}]}}}
	"EUAIA-INC-02" in denied(patched(breach))
	not_denied("EUAIA-INC-02", patched(object.union(breach, {"evidence": {"incident_triage": {"B1": {"decision": "not serious", "decided_at": "2026-11-20"}}}})))
}

test_cor01 if {
	"EUAIA-COR-01" in denied(with_model({"nonconformities": [{"id": "N1", "open": true}]}))
	not_denied("EUAIA-COR-01", with_model({"nonconformities": [{"id": "N1", "open": true, "corrective_action": "recalibrated"}]}))
}

test_dep01 if {
	"EUAIA-DEP-01" in denied(with_model({"eu_ai_act": {"annex_iii_point": "4a"}}))
	not_denied("EUAIA-DEP-01", with_model({"eu_ai_act": {"annex_iii_point": "4a"}, "eu": {"worker_reps_informed_at": "2026-10-01"}}))
	"EUAIA-DEP-01" in denied(without(["eu/affected_person_notice_uri"]))
	not_denied("EUAIA-DEP-01", object.union(without(["eu/affected_person_notice_uri"]), {"model": {"eu_ai_act": {"role": "provider"}}}))
}

test_fria01 if {
	"EUAIA-FRIA-01" in denied(without(["eu/fria_completed_at"]))
	not_denied("EUAIA-FRIA-01", object.union(without(["eu/fria_completed_at"]), {"model": {"eu_ai_act": {"annex_iii_point": "4a"}, "eu": {"worker_reps_informed_at": "2026-10-01"}}}))
}

test_exp01 if {
	"EUAIA-EXP-01" in denied(with_model({"explanations": {"per_decision_enabled": false}}))
	not_denied("EUAIA-EXP-01", object.union(without(["explanations"]), {"model": {"eu_ai_act": {"role": "provider"}}}))
}
