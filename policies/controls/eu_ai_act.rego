# METADATA
# title: EU AI Act - high-risk provider obligations
# description: |
#   Regulation (EU) 2024/1689. Annex III obligations apply from 2 Aug 2026 (Art. 113) unless
#   the Digital Omnibus (deferral to 2 Dec 2027) is published first: the pack applies when a
#   model carries the `eu_ai_act` scope, and the date decision is the organisation's.
#   Rules with `lib.provider` bind providers, `lib.deployer` deployers (eu_ai_act_deployer.rego).
# custom:
#   source: Regulation (EU) 2024/1689 Arts 6, 9-20, 43, 47, 49, 72, 73; Annex III, IV
package govern.controls.eu_ai_act

import data.govern.lib
import rego.v1

m := lib.m

eu := object.get(m, "eu", {})

cls := object.get(m, "eu_ai_act", {})

msg(id, sev, text, fix) := {"control": id, "severity": sev, "msg": text, "remediation": fix}

# METADATA
# title: Every EU-facing model has a recorded Annex III classification
# description: And an Art. 6(3) exemption is never claimed for a system that profiles.
# custom:
#   id: EUAIA-CLS-01
#   source: EU AI Act Art. 6(2)-(4), Annex III
#   article: Art. 6
#   severity: critical
#   basis: LAW
deny contains v if {
	lib.applies("EUAIA-CLS-01")
	lib.missing(cls, "annex_iii_point")
	lib.missing(cls, "not_annex_iii_rationale")
	not is_boolean(object.get(cls, "high_risk", null))
	v := msg("EUAIA-CLS-01", "critical", "classification: no Annex III point, no rationale, no high_risk flag", "classify the system (eu_ai_act.annex_iii_point or not_annex_iii_rationale, high_risk)")
}

deny contains v if {
	lib.applies("EUAIA-CLS-01")
	not is_boolean(object.get(cls, "high_risk", null))
	v := msg("EUAIA-CLS-01", "critical", "classification: eu_ai_act.high_risk is not set to true or false", "record the Art. 6 classification outcome")
}

deny contains v if {
	lib.applies("EUAIA-CLS-01")
	cls.art6_3_exemption == true
	cls.profiling == true
	v := msg("EUAIA-CLS-01", "critical", "classification: Art. 6(3) exemption claimed for a system that profiles natural persons", "treat the system as high-risk (Art. 6(3) last subparagraph)")
}

# METADATA
# title: Risk management system documented, reviewed and fed by post-market monitoring
# custom:
#   id: EUAIA-RMS-01
#   source: EU AI Act Art. 9(1)-(5)
#   article: Art. 9
#   severity: high
#   basis: LAW
deny contains v if {
	lib.applies("EUAIA-RMS-01")
	lib.provider
	some f in ["rms_uri", "residual_risk_accepted_by"]
	lib.missing(eu, f)
	v := msg("EUAIA-RMS-01", "high", sprintf("risk management system eu.%v: missing", [f]), sprintf("set `eu.%v`", [f]))
}

deny contains v if {
	lib.applies("EUAIA-RMS-01")
	lib.provider
	lib.stale(object.get(eu, "rms_last_review", null), lib.params.rms_review_days)
	v := msg("EUAIA-RMS-01", "high", sprintf("risk management system: not reviewed within %v days", [lib.show(lib.params.rms_review_days)]), "review the risk register and set `eu.rms_last_review`")
}

# METADATA
# title: Acceptance metrics frozen before testing, and the test run passes
# custom:
#   id: EUAIA-TST-01
#   source: EU AI Act Art. 9(8)
#   article: Art. 9(8)
#   severity: critical
#   basis: LAW
deny contains v if {
	lib.applies("EUAIA-TST-01")
	lib.provider
	not lib.before(lib.get(m, "test_plan.defined_at"), lib.get(m, "test_run.executed_at"))
	v := msg("EUAIA-TST-01", "critical", "testing: metrics and thresholds were not defined before the test run", "freeze `test_plan` before executing `test_run`")
}

deny contains v if {
	lib.applies("EUAIA-TST-01")
	lib.provider
	not lib.get(m, "test_run.all_pass") == true
	v := msg("EUAIA-TST-01", "critical", "testing: the test run did not pass its predefined thresholds", "fix the system and rerun the tests")
}

# METADATA
# title: Data governance covers the eight Art. 10(2) items
# custom:
#   id: EUAIA-DAT-01
#   source: EU AI Act Art. 10(2)(a)-(h)
#   article: Art. 10(2)
#   severity: high
#   basis: LAW
deny contains v if {
	lib.applies("EUAIA-DAT-01")
	lib.provider
	some k in lib.global.art10_items
	lib.missing(object.get(m, "data_governance", {}), k)
	v := msg("EUAIA-DAT-01", "high", sprintf("data governance %v: missing", [k]), sprintf("document `data_governance.%v`", [k]))
}

# METADATA
# title: Representativeness analysis with coverage per group
# custom:
#   id: EUAIA-DAT-02
#   source: EU AI Act Art. 10(3)-(4)
#   article: Art. 10(3)
#   severity: medium
#   basis: LAW
deny contains v if {
	lib.applies("EUAIA-DAT-02")
	lib.provider
	lib.missing(m, "representativeness_report_uri")
	v := msg("EUAIA-DAT-02", "medium", "representativeness report: missing", "set `representativeness_report_uri`")
}

# METADATA
# title: Technical documentation (all nine Annex IV sections) current with the system
# custom:
#   id: EUAIA-DOC-01
#   source: EU AI Act Art. 11(1), Annex IV
#   article: Art. 11
#   severity: critical
#   basis: LAW
deny contains v if {
	lib.applies("EUAIA-DOC-01")
	lib.provider
	some s in lib.global.annex_iv_sections
	lib.missing(object.get(m, ["tech_doc", "sections"], {}), s)
	v := msg("EUAIA-DOC-01", "critical", sprintf("technical documentation Annex IV section %v: missing", [s]), "complete the Annex IV technical documentation")
}

deny contains v if {
	lib.applies("EUAIA-DOC-01")
	lib.provider
	changed := object.get(m, "last_change_at", null)
	lib.valid_ts(changed)
	not lib.before(changed, lib.get(m, "tech_doc.updated_at"))
	v := msg("EUAIA-DOC-01", "critical", "technical documentation: not updated since the last change", "update the technical documentation (`tech_doc.updated_at`)")
}

# METADATA
# title: Test reports are dated, signed and include discriminatory-impact metrics
# custom:
#   id: EUAIA-DOC-02
#   source: EU AI Act Annex IV 2(g)
#   article: Annex IV 2(g)
#   severity: high
#   basis: LAW
deny contains v if {
	lib.applies("EUAIA-DOC-02")
	lib.provider
	count(lib.records("test_reports")) == 0
	v := msg("EUAIA-DOC-02", "high", "test reports: none recorded", "record the dated, signed test reports (`test_reports`)")
}

deny contains v if {
	lib.applies("EUAIA-DOC-02")
	lib.provider
	some r in lib.records("test_reports")
	some f in ["date", "signed_by", "metrics.fairness"]
	lib.missing(r, f)
	v := msg("EUAIA-DOC-02", "high", sprintf("test report %v: %v missing", [lib.show(object.get(r, "id", "?")), f]), "date and sign every report and include discriminatory-impact metrics")
}

# METADATA
# title: Documentation kept ten years after placing on the market
# custom:
#   id: EUAIA-DOC-03
#   source: EU AI Act Art. 18(1), (3)
#   article: Art. 18
#   severity: medium
#   basis: LAW
deny contains v if {
	lib.applies("EUAIA-DOC-03")
	lib.provider
	not retention_ok
	v := msg("EUAIA-DOC-03", "medium", sprintf("documentation retention: docs.retention_until is not at least %v years after eu.placed_on_market_at", [lib.show(lib.global.eu_doc_retention_years)]), "set the retention date (`docs.retention_until`)")
}

retention_ok if {
	placed := lib.ts_ns(eu.placed_on_market_at)
	lib.ts_ns(lib.get(m, "docs.retention_until")) >= lib.add_years(placed, lib.global.eu_doc_retention_years)
}

# METADATA
# title: Automatic event logging over the lifetime
# custom:
#   id: EUAIA-LOG-01
#   source: EU AI Act Art. 12(1)-(2)
#   article: Art. 12
#   severity: high
#   basis: LAW
deny contains v if {
	lib.applies("EUAIA-LOG-01")
	lib.hr
	not object.get(m, "logging_enabled", null) == true
	v := msg("EUAIA-LOG-01", "high", "logging: automatic event logging is not enabled", "enable inference logging (`logging_enabled: true`)")
}

deny contains v if {
	lib.applies("EUAIA-LOG-01")
	lib.hr
	cov := object.get(lib.ev, ["operational", "log_coverage"], null)
	lib.ok_number(cov)
	cov < lib.params.min_log_coverage
	v := msg("EUAIA-LOG-01", "high", sprintf("logging: coverage %v below %v", [lib.show(cov), lib.show(lib.params.min_log_coverage)]), "log every served decision")
}

# METADATA
# title: Logs retained at least six months
# custom:
#   id: EUAIA-LOG-02
#   source: EU AI Act Art. 19(1) (provider), Art. 26(6) (deployer)
#   article: Art. 19, 26(6)
#   severity: high
#   basis: LAW
deny contains v if {
	lib.applies("EUAIA-LOG-02")
	lib.hr
	not object.get(m, "log_retention_days", 0) >= lib.global.log_retention_min_days
	v := msg("EUAIA-LOG-02", "high", sprintf("log retention %v days: below %v", [lib.show(object.get(m, "log_retention_days", 0)), lib.show(lib.global.log_retention_min_days)]), "retain logs at least six months")
}

# METADATA
# title: Instructions for use declare accuracy metrics and group performance
# custom:
#   id: EUAIA-TRN-01
#   source: EU AI Act Art. 13(3), Art. 15(3)
#   article: Art. 13(3)
#   severity: high
#   basis: LAW
deny contains v if {
	lib.applies("EUAIA-TRN-01")
	lib.provider
	some f in ["ifu.uri", "ifu.declared_metrics", "ifu.group_performance"]
	lib.missing(m, f)
	v := msg("EUAIA-TRN-01", "high", sprintf("instructions for use %v: missing", [f]), sprintf("set `%v`", [f]))
}

# METADATA
# title: Human oversight - override, stop, named and trained overseers
# custom:
#   id: EUAIA-HO-01
#   source: EU AI Act Art. 14(1), (4); Art. 26(2)
#   article: Art. 14
#   severity: high
#   basis: LAW
deny contains v if {
	lib.applies("EUAIA-HO-01")
	lib.hr
	some f in ["override_enabled", "stop_mechanism"]
	lib.missing(object.get(m, "oversight", {}), f)
	v := msg("EUAIA-HO-01", "high", sprintf("human oversight %v: missing", [f]), sprintf("set `oversight.%v`", [f]))
}

deny contains v if {
	lib.applies("EUAIA-HO-01")
	lib.hr
	trained := [o | some o in lib.coll(object.get(m, ["oversight", "overseers"], [])); lib.valid_ts(object.get(o, "trained_at", null))]
	count(trained) == 0
	v := msg("EUAIA-HO-01", "high", "human oversight: no named overseer with recorded training", "assign trained overseers (`oversight.overseers`)")
}

# METADATA
# title: Production accuracy not below the level declared in the instructions for use
# custom:
#   id: EUAIA-ACC-01
#   source: EU AI Act Art. 15(1), (3)
#   article: Art. 15
#   severity: high
#   basis: LAW
deny contains v if {
	lib.applies("EUAIA-ACC-01")
	lib.hr
	declared_metrics := object.get(m, ["ifu", "declared_metrics"], {})
	is_object(declared_metrics)
	some k, declared in declared_metrics
	not accuracy_ok(k, declared)
	v := msg("EUAIA-ACC-01", "high", sprintf("accuracy %v: measured %v below the declared %v (or not measured)", [k, lib.show(object.get(lib.ev, ["performance", k], null)), lib.show(declared)]), "restore the declared accuracy or correct the declaration")
}

accuracy_ok(k, declared) if {
	lib.ev.performance.status == "ok"
	got := lib.ev.performance[k]
	lib.ok_number(got)
	is_number(declared)
	tolerance := object.get(lib.params, ["perf_tolerance", k], 0)
	is_number(tolerance)
	lib.reaches(got, declared - tolerance)
}

# METADATA
# title: Robustness and security assessed; feedback loops mitigated
# custom:
#   id: EUAIA-ROB-01
#   source: EU AI Act Art. 15(4)-(5)
#   article: Art. 15(4)
#   severity: medium
#   basis: LAW
deny contains v if {
	lib.applies("EUAIA-ROB-01")
	lib.hr
	not lib.valid_ts(lib.get(m, "security_assessment.date"))
	v := msg("EUAIA-ROB-01", "medium", "robustness: no security assessment date", "assess robustness and cybersecurity (`security_assessment.date`)")
}

deny contains v if {
	lib.applies("EUAIA-ROB-01")
	lib.hr
	m.online_learning == true
	lib.missing(m, "feedback_loop_mitigation_uri")
	v := msg("EUAIA-ROB-01", "medium", "robustness: online learning without feedback-loop mitigation", "document the mitigation (`feedback_loop_mitigation_uri`)")
}

# METADATA
# title: Quality management system procedures exist
# custom:
#   id: EUAIA-QMS-01
#   source: EU AI Act Art. 17(1), (4)
#   article: Art. 17
#   severity: medium
#   basis: LAW
deny contains v if {
	lib.applies("EUAIA-QMS-01")
	lib.provider
	some k in lib.global.qms_procedures
	lib.missing(qms_procedures, k)
	v := msg("EUAIA-QMS-01", "medium", sprintf("quality management procedure %v: missing", [k]), sprintf("reference the %v procedure (data.govern.org.qms.procedures or card qms.procedures)", [k]))
}

# Organisation-level QMS (data overlay) first, else the card. Read by path: reading the
# whole data.govern document would include this package's own rules (a cycle).
qms_procedures := p if {
	p := data.govern.org.qms.procedures
	is_object(p)
} else := object.get(m, ["qms", "procedures"], {})

# METADATA
# title: Conformity assessed and declared for the current version before production
# custom:
#   id: EUAIA-CA-01
#   source: EU AI Act Art. 43(2), Art. 47
#   article: Art. 43
#   severity: critical
#   basis: LAW
deny contains v if {
	lib.applies("EUAIA-CA-01")
	lib.provider
	some f in ["conformity_assessment_at", "declaration_uri"]
	lib.missing(eu, f)
	v := msg("EUAIA-CA-01", "critical", sprintf("conformity eu.%v: missing", [f]), "assess conformity (Annex VI) and sign the EU declaration")
}

deny contains v if {
	lib.applies("EUAIA-CA-01")
	lib.provider
	sprintf("%v", [object.get(eu, "declared_version", null)]) != sprintf("%v", [m.version])
	v := msg("EUAIA-CA-01", "critical", sprintf("conformity: declaration covers version %v, not %v", [lib.show(object.get(eu, "declared_version", null)), lib.show(m.version)]), "reassess conformity for the modified system")
}

# METADATA
# title: Registered in the EU database before go-live
# custom:
#   id: EUAIA-REG-01
#   source: EU AI Act Art. 49(1)-(3)
#   article: Art. 49
#   severity: high
#   basis: LAW
deny contains v if {
	lib.applies("EUAIA-REG-01")
	needs_registration
	lib.missing(eu, "eu_db_registration_id")
	v := msg("EUAIA-REG-01", "high", "EU database: no registration id (eu.eu_db_registration_id)", "register the system in the EU database before go-live")
}

needs_registration if lib.provider

needs_registration if {
	lib.in_scope("eu_ai_act")
	cls.art6_3_exemption == true
}

# METADATA
# title: Post-market monitoring plan exists and collects data
# description: In production, monitoring evidence within the tier's pmm_max_gap_days whose data is new within it too (data_changed_at), not re-reads of old files.
# custom:
#   id: EUAIA-PMM-01
#   source: EU AI Act Art. 72(1)-(3)
#   article: Art. 72
#   severity: high
#   basis: LAW
deny contains v if {
	lib.applies("EUAIA-PMM-01")
	lib.provider
	lib.missing(eu, "pmm_plan_uri")
	v := msg("EUAIA-PMM-01", "high", "post-market monitoring: no plan (eu.pmm_plan_uri)", "write the PMM plan (part of Annex IV)")
}

deny contains v if {
	lib.applies("EUAIA-PMM-01")
	lib.provider
	lib.current_stage == "production"
	lib.monitoring_stale(lib.params.pmm_max_gap_days)
	v := msg("EUAIA-PMM-01", "high", sprintf("post-market monitoring: no data collected within %v days", [lib.show(lib.params.pmm_max_gap_days)]), "run the PMM collection")
}

deny contains v if {
	lib.applies("EUAIA-PMM-01")
	lib.provider
	lib.current_stage == "production"
	lib.data_unchanged(lib.params.pmm_max_gap_days)
	v := msg("EUAIA-PMM-01", "high", sprintf("post-market monitoring: %v, more than %v days", [lib.data_unchanged_text, lib.show(lib.params.pmm_max_gap_days)]), "restore the collection of inference data and scan it")
}

# METADATA
# title: Serious incidents reported within the Art. 73 deadlines
# description: 2 days (widespread or critical infrastructure), 10 days (death), otherwise 15 days from awareness.
# custom:
#   id: EUAIA-INC-01
#   source: EU AI Act Art. 73(2)-(6); Art. 3(49)
#   article: Art. 73
#   severity: critical
#   basis: LAW
deny contains v if {
	lib.applies("EUAIA-INC-01")
	lib.hr
	some i in lib.records("incidents")
	i.serious == true
	not reported_in_time(i)
	v := msg("EUAIA-INC-01", "critical", sprintf("serious incident %v: not reported within %v days of awareness", [lib.show(object.get(i, "id", "?")), lib.show(incident_days(i))]), "report to the market surveillance authority now (an initial incomplete report is allowed)")
}

incident_days(i) := d if {
	kinds := {k | some k in ["widespread", "critical_infrastructure", "death"]; object.get(i, k, false) == true}
	d := min({lib.global.eu_incident_days[k] | some k in kinds} | {lib.global.eu_incident_days["default"]})
}

reported_in_time(i) if {
	lib.within(lib.days_between(i.aware_at, i.reported_at), incident_days(i))
}

# the deadline has not passed yet and nothing is reported: not (yet) a breach
reported_in_time(i) if {
	lib.blank(object.get(i, "reported_at", null))
	lib.within(lib.days_since(i.aware_at), incident_days(i))
}

# METADATA
# title: Fairness breaches get a documented serious-incident triage
# custom:
#   id: EUAIA-INC-02
#   source: EU AI Act Art. 3(49)(c)
#   article: Art. 3(49)(c)
#   severity: high
#   basis: LAW
deny contains v if {
	lib.applies("EUAIA-INC-02")
	lib.hr
	some b in lib.coll(object.get(lib.ev, ["fairness", "breaches"], []))
	lib.missing(object.get(lib.ev, "incident_triage", {}), sprintf("%v", [b.id]))
	v := msg("EUAIA-INC-02", "high", sprintf("fairness breach %v: no serious-incident triage decision", [lib.show(b.id)]), "triage the breach under Art. 3(49)(c) and record the decision")
}

# METADATA
# title: Open non-conformities have corrective action
# custom:
#   id: EUAIA-COR-01
#   source: EU AI Act Art. 20(1)-(2)
#   article: Art. 20
#   severity: high
#   basis: LAW
deny contains v if {
	lib.applies("EUAIA-COR-01")
	lib.hr
	some n in lib.records("nonconformities")
	n.open == true
	lib.missing(n, "corrective_action")
	v := msg("EUAIA-COR-01", "high", sprintf("non-conformity %v: open without corrective action", [lib.show(object.get(n, "id", "?"))]), "correct, withdraw, disable or recall, and notify deployers")
}

# METADATA
# title: Deployer duties - worker information and affected-person notice
# custom:
#   id: EUAIA-DEP-01
#   source: EU AI Act Art. 26(4)-(7), (11)
#   article: Art. 26
#   severity: high
#   basis: LAW
deny contains v if {
	lib.applies("EUAIA-DEP-01")
	lib.deployer
	startswith(sprintf("%v", [object.get(cls, "annex_iii_point", "")]), "4")
	not lib.valid_ts(object.get(eu, "worker_reps_informed_at", null))
	v := msg("EUAIA-DEP-01", "high", "deployer: workers' representatives not informed before workplace use", "inform workers' representatives and set `eu.worker_reps_informed_at`")
}

deny contains v if {
	lib.applies("EUAIA-DEP-01")
	lib.deployer
	lib.missing(eu, "affected_person_notice_uri")
	v := msg("EUAIA-DEP-01", "high", "deployer: no notice to affected persons (eu.affected_person_notice_uri)", "inform natural persons subject to the decisions")
}

# METADATA
# title: Fundamental-rights impact assessment before first use (credit scoring, insurance pricing)
# custom:
#   id: EUAIA-FRIA-01
#   source: EU AI Act Art. 27
#   article: Art. 27
#   severity: high
#   basis: LAW
deny contains v if {
	lib.applies("EUAIA-FRIA-01")
	lib.deployer
	object.get(cls, "annex_iii_point", "") in {"5b", "5c", "5(b)", "5(c)"}
	not lib.valid_ts(object.get(eu, "fria_completed_at", null))
	v := msg("EUAIA-FRIA-01", "high", "FRIA: not completed before first use", "complete the fundamental-rights impact assessment (`eu.fria_completed_at`)")
}

# METADATA
# title: Per-decision explanations can be given to affected persons
# custom:
#   id: EUAIA-EXP-01
#   source: EU AI Act Art. 86(1)
#   article: Art. 86
#   severity: medium
#   basis: LAW
deny contains v if {
	lib.applies("EUAIA-EXP-01")
	lib.deployer
	not lib.get(lib.m, "explanations.per_decision_enabled") == true
	v := msg("EUAIA-EXP-01", "medium", "explanations: per-decision explanations are not enabled", "enable per-decision explanations (`explanations.per_decision_enabled`)")
}
