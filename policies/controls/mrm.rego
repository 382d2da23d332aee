# METADATA
# title: Model risk management (SR 26-2 current; SR 11-7 lineage baseline)
# description: |
#   Inventory, tiering, development, vendor, implementation and retirement controls of US
#   model risk management. SR 26-2 (17 Apr 2026) superseded SR 11-7; SR 11-7 wording is
#   kept as a rescinded baseline (RESC). Validation and monitoring controls are in
#   mrm_validation.rego, same package.
# custom:
#   source: SR 26-2 / OCC Bulletin 2026-13; SR 11-7 (RESC); CBUAE MMS (2022)
package govern.controls.mrm

import data.govern.lib
import rego.v1

m := lib.m

# METADATA
# title: Every model in use or in development has an inventory record
# description: The version is registered, and no inference traffic comes from a version the inventory does not hold.
# custom:
#   id: MRM-INV-01
#   source: SR 11-7 §VI Model Inventory; SR 26-2 §VI; NIST GOVERN 1.6; CBUAE MMS 4.4.1
#   article: SR 26-2 §VI
#   severity: critical
#   basis: SUP
deny contains v if {
	lib.applies("MRM-INV-01")
	not lib.valid_ts(object.get(m, "registered_at", null))
	v := {
		"control": "MRM-INV-01", "severity": "critical",
		"msg": "inventory: the model version has no registry record (registered_at is missing)",
		"remediation": "register the model card with `govern register`",
	}
}

deny contains v if {
	lib.applies("MRM-INV-01")
	some l in lib.records("inference_logs")
	sprintf("%v", [l.version]) != sprintf("%v", [m.version])
	v := {
		"control": "MRM-INV-01", "severity": "critical",
		"msg": sprintf("inventory: inference traffic from unregistered version %v", [lib.show(l.version)]),
		"remediation": "register every served version, or stop serving it",
		"evidence": {"version": l.version},
	}
}

# METADATA
# title: Inventory attributes are populated
# description: Purpose, products, restrictions, inputs, outputs, last update, developers, validator, validation dates and validity period.
# custom:
#   id: MRM-INV-02
#   source: SR 11-7 §VI Model Inventory (inventory content); SR 26-2 §VI
#   article: SR 11-7 §VI
#   severity: high
#   basis: RESC
deny contains v if {
	lib.applies("MRM-INV-02")
	some f in lib.global.required_inventory_fields
	lib.missing(m, f)
	v := {
		"control": "MRM-INV-02", "severity": "high",
		"msg": sprintf("inventory field %v: missing", [f]),
		"remediation": sprintf("set `%v` in the model card", [f]),
	}
}

# METADATA
# title: Each version or recalibration has its own identity
# description: The deployed calibration is the one registered for this version, and a variant names its parent.
# custom:
#   id: MRM-INV-03
#   source: SR 11-7 §VI (separate model, cross-referenced); CBUAE MMS 4.4.3
#   article: CBUAE MMS 4.4.3
#   severity: medium
#   basis: RESC
deny contains v if {
	lib.applies("MRM-INV-03")
	deployed := object.get(lib.ev, ["deployment", "calibration_hash"], lib.get(m, "deployment.calibration_hash"))
	deployed != object.get(m, "registered_calibration_hash", null)
	v := {
		"control": "MRM-INV-03", "severity": "medium",
		"msg": sprintf("deployed calibration %v: does not match the registered calibration %v", [lib.show(deployed), lib.show(object.get(m, "registered_calibration_hash", null))]),
		"remediation": "register the recalibrated model as a new version",
	}
}

# METADATA
# title: A risk tier is assigned with a recorded rationale
# custom:
#   id: MRM-TIER-01
#   source: SR 26-2 §III (materiality = purpose and exposure); CBUAE MMS 4.4.5; NIST GOVERN 1.3, MAP 1.5
#   article: SR 26-2 §III
#   severity: high
#   basis: SUP
deny contains v if {
	lib.applies("MRM-TIER-01")
	not lib.tier in {"1", "2", "3"}
	v := {
		"control": "MRM-TIER-01", "severity": "high",
		"msg": sprintf("risk tier %v: not one of 1, 2, 3", [lib.show(lib.tier)]),
		"remediation": "set `risk_tier` to 1, 2 or 3",
	}
}

deny contains v if {
	lib.applies("MRM-TIER-01")
	lib.missing(m, "tier_rationale")
	v := {
		"control": "MRM-TIER-01", "severity": "high",
		"msg": "risk tier: no rationale recorded (materiality exposure and purpose)",
		"remediation": "set `tier_rationale` in the model card",
	}
}

# METADATA
# title: Generative and agentic AI are outside SR 26-2
# description: Such models are routed to a separate governance pack, never certified as SR 26-2 compliant.
# custom:
#   id: MRM-SCOPE-01
#   source: SR 26-2 footnote 3
#   article: SR 26-2 fn. 3
#   severity: medium
#   basis: SUP
warn contains v if {
	lib.applies("MRM-SCOPE-01")
	lib.in_scope("us_sr26_2")
	some k in ["is_generative", "is_agentic"]
	m[k] == true
	v := {
		"control": "MRM-SCOPE-01", "severity": "medium",
		"msg": sprintf("scope: %v model claims SR 26-2 scope, which excludes generative and agentic AI", [k]),
		"remediation": "govern the model under a generative-AI pack and drop `us_sr26_2` from regulatory_scope",
	}
}

# METADATA
# title: Development documentation exists before validation
# description: Purpose, design, assumptions and limitations are documented so that parties unfamiliar with the model can understand it.
# custom:
#   id: MRM-DEV-01
#   source: SR 11-7 §VI Documentation; SR 26-2 (clear statement of purpose)
#   article: SR 11-7 §VI
#   severity: high
#   basis: RESC
deny contains v if {
	lib.applies("MRM-DEV-01")
	some f in ["docs.development_uri", "purpose_statement", "assumptions", "limitations"]
	lib.missing(m, f)
	v := {
		"control": "MRM-DEV-01", "severity": "high",
		"msg": sprintf("development documentation %v: missing", [f]),
		"remediation": sprintf("set `%v` in the model card", [f]),
	}
}

# METADATA
# title: Developmental testing covers out-of-sample, out-of-time and data quality
# custom:
#   id: MRM-DEV-02
#   source: SR 26-2 Model testing (out-of-sample and out-of-time testing; data quality)
#   article: SR 26-2 §IV
#   severity: high
#   basis: SUP
deny contains v if {
	lib.applies("MRM-DEV-02")
	some f in ["dev_tests.out_of_sample", "dev_tests.out_of_time"]
	not lib.ok_number(lib.get(m, f))
	v := {
		"control": "MRM-DEV-02", "severity": "high",
		"msg": sprintf("developmental test %v: no numeric result", [f]),
		"remediation": sprintf("record the metric of the test under `%v`", [f]),
	}
}

deny contains v if {
	lib.applies("MRM-DEV-02")
	some f in ["data_quality_report_uri", "lineage.training_data"]
	lib.missing(m, f)
	v := {
		"control": "MRM-DEV-02", "severity": "high",
		"msg": sprintf("data assessment %v: missing", [f]),
		"remediation": sprintf("set `%v` in the model card", [f]),
	}
}

# METADATA
# title: Vendor models get the same MRM as in-house models
# description: Developmental evidence from the vendor and an own-use validation.
# custom:
#   id: MRM-VEN-01
#   source: SR 11-7 §V vendor products; OCC 2011-12 p.15; SR 26-2 §VII; NIST MANAGE 3.1, 3.2
#   article: SR 26-2 §VII
#   severity: high
#   basis: SUP
deny contains v if {
	lib.applies("MRM-VEN-01")
	m.is_vendor == true
	some f in ["vendor.dev_evidence_uri", "validation.own_use"]
	lib.missing(m, f)
	v := {
		"control": "MRM-VEN-01", "severity": "high",
		"msg": sprintf("vendor model %v: missing", [f]),
		"remediation": sprintf("obtain the vendor evidence and set `%v`", [f]),
	}
}

# METADATA
# title: High-risk third-party models have a contingency plan
# custom:
#   id: MRM-VEN-02
#   source: NIST AI RMF GOVERN 6.2
#   article: GOVERN 6.2
#   severity: medium
#   basis: VOL
deny contains v if {
	lib.applies("MRM-VEN-02")
	m.is_vendor == true
	lib.tier == "1"
	lib.missing(m, "vendor.contingency_plan_uri")
	v := {
		"control": "MRM-VEN-02", "severity": "medium",
		"msg": "vendor model: tier 1 without a contingency plan",
		"remediation": "set `vendor.contingency_plan_uri` (fallback model or manual process)",
	}
}

# METADATA
# title: Implementation testing (UAT) has at least two signed-off rounds
# custom:
#   id: MRM-UAT-01
#   source: CBUAE MMS 7.5.3 (at least two rounds of UAT, signed off)
#   article: CBUAE MMS 7.5
#   severity: medium
#   basis: LAW
deny contains v if {
	lib.applies("MRM-UAT-01")
	rounds := [r | some r in lib.records("uat_rounds"); r.passed == true]
	count(rounds) < 2
	v := {
		"control": "MRM-UAT-01", "severity": "medium",
		"msg": sprintf("UAT: %d passed round(s), at least 2 required", [count(rounds)]),
		"remediation": "run and record a second UAT round under `uat_rounds`",
	}
}

deny contains v if {
	lib.applies("MRM-UAT-01")
	some r in lib.records("uat_rounds")
	lib.blank(object.get(r, "signed_off_by", null))
	v := {
		"control": "MRM-UAT-01", "severity": "medium",
		"msg": sprintf("UAT round %v: not signed off", [lib.show(object.get(r, "round", "?"))]),
		"remediation": "record `signed_off_by` for every UAT round",
	}
}

# METADATA
# title: The deployed artifact is the approved artifact
# custom:
#   id: MRM-CHG-01
#   source: SR 11-7 change control ("all changes are logged and can be audited"); CBUAE MMS 7.5.7
#   article: SR 11-7 §IV
#   severity: critical
#   basis: RESC
deny contains v if {
	lib.applies("MRM-CHG-01")
	approved := object.get(m, "approved_artifact_sha", null)
	deployed := object.get(lib.ev, ["deployment", "artifact_sha"], lib.get(m, "deployment.artifact_sha"))
	not artifact_match(approved, deployed)
	v := {
		"control": "MRM-CHG-01", "severity": "critical",
		"msg": sprintf("artifact %v: does not match the approved artifact %v", [lib.show(deployed), lib.show(approved)]),
		"remediation": "deploy the approved artifact, or validate and approve the new one",
	}
}

artifact_match(a, b) if {
	not lib.blank(a)
	a == b
}

# METADATA
# title: Retired models keep their inventory record, date and archive
# custom:
#   id: MRM-RET-01
#   source: SR 11-7 §VI ("recently retired"); CBUAE MMS 4.4.2 (archive, roll back); NIST GOVERN 1.7
#   article: SR 11-7 §VI
#   severity: medium
#   basis: RESC
deny contains v if {
	lib.applies("MRM-RET-01")
	some f in ["retirement.date", "retirement.reason", "retirement.archive_uri"]
	lib.missing(m, f)
	v := {
		"control": "MRM-RET-01", "severity": "medium",
		"msg": sprintf("retirement record %v: missing", [f]),
		"remediation": sprintf("set `%v` in the model card", [f]),
	}
}

val := object.get(lib.m, "validation", {})

# METADATA
# title: No use before an approved validation (or a live, time-boxed exception)
# custom:
#   id: MRM-VAL-01
#   source: SR 11-7 §V ("prior to first use"); SR 26-2 (validation prior to first use)
#   article: SR 26-2 §V
#   severity: critical
#   basis: SUP
deny contains v if {
	lib.applies("MRM-VAL-01")
	not object.get(val, "outcome", null) in {"approved", "approved_with_conditions"}
	not active_exception("validation")
	v := {
		"control": "MRM-VAL-01", "severity": "critical",
		"msg": sprintf("validation outcome %v: not approved", [lib.show(object.get(val, "outcome", null))]),
		"remediation": "complete an independent validation, or record a time-boxed exception of type `validation`",
	}
}

deny contains v if {
	lib.applies("MRM-VAL-01")
	lib.missing(val, "report_uri")
	v := {
		"control": "MRM-VAL-01", "severity": "critical",
		"msg": "validation report: missing (validation.report_uri)",
		"remediation": "attach the validation report under `validation.report_uri`",
	}
}

active_exception(kind) if {
	some x in lib.records("exceptions")
	x.type == kind
	not lib.blank(object.get(x, "approved_by", null))
	not lib.stale(object.get(x, "expires_at", null), 0)
	lib.within(lib.days_since(x.expires_at), 0)
}

# METADATA
# title: Validation covers conceptual soundness, ongoing monitoring and outcomes analysis
# custom:
#   id: MRM-VAL-02
#   source: SR 11-7 §V (three core elements); SR 26-2 §V
#   article: SR 26-2 §V
#   severity: high
#   basis: SUP
deny contains v if {
	lib.applies("MRM-VAL-02")
	some e in lib.global.validation_scope
	not object.get(val, ["scope", e], false) == true
	v := {
		"control": "MRM-VAL-02", "severity": "high",
		"msg": sprintf("validation scope %v: not covered", [e]),
		"remediation": sprintf("extend the validation to %v and set `validation.scope.%v: true`", [e, e]),
	}
}

# METADATA
# title: The validator is independent of development, ownership and use
# custom:
#   id: MRM-VAL-03
#   source: SR 11-7 (no stake in the outcome); SR 26-2 (effective challenge, sufficient independence); NIST MEASURE 1.3
#   article: SR 26-2 §V
#   severity: high
#   basis: SUP
deny contains v if {
	lib.applies("MRM-VAL-03")
	lib.missing(val, "validator_id")
	v := {
		"control": "MRM-VAL-03", "severity": "high",
		"msg": "validator: not named (validation.validator_id)",
		"remediation": "record the independent validator",
	}
}

deny contains v if {
	lib.applies("MRM-VAL-03")
	who := val.validator_id
	conflicted := {x | some x in lib.coll(object.get(lib.m, "developer_ids", []))} | {lib.owner}
	who in conflicted
	v := {
		"control": "MRM-VAL-03", "severity": "high",
		"msg": sprintf("validator %v: also developer or owner of the model", [lib.show(who)]),
		"remediation": "have the model validated by someone independent of its development and ownership",
	}
}

# METADATA
# title: A material change after the last validation requires revalidation
# custom:
#   id: MRM-VAL-04
#   source: SR 11-7 (material changes subject to validation before implementation)
#   article: SR 11-7 §V
#   severity: critical
#   basis: RESC
deny contains v if {
	lib.applies("MRM-VAL-04")
	changed := object.get(lib.m, "last_material_change_at", null)
	lib.valid_ts(changed)
	not lib.before(changed, object.get(val, "date", null))
	v := {
		"control": "MRM-VAL-04", "severity": "critical",
		"msg": sprintf("material change at %v: not covered by the validation of %v", [lib.show(changed), lib.show(object.get(val, "date", null))]),
		"remediation": "revalidate the changed model before it stays in production",
	}
}

# METADATA
# title: Periodic review within the tier's maximum interval
# description: The review cadence is a tier parameter (max_days_between_reviews), not a fixed 365 days.
# custom:
#   id: MRM-VAL-05
#   source: SR 11-7 (at least annually, RESC); SR 26-2 (risk-based frequency); CBUAE MMS 10.5 Table 2
#   article: SR 26-2 §V; CBUAE MMS 10.5
#   severity: high
#   basis: SUP
deny contains v if {
	lib.applies("MRM-VAL-05")
	lib.stale(object.get(val, "date", null), lib.params.max_days_between_reviews)
	v := {
		"control": "MRM-VAL-05", "severity": "high",
		"msg": sprintf("last validation %v: older than the tier %v interval of %v days (or invalid)", [lib.show(object.get(val, "date", null)), lib.show(lib.tier), lib.show(lib.params.max_days_between_reviews)]),
		"remediation": "run the periodic review, or adjust the tier cadence in a data overlay",
	}
}

# METADATA
# title: High-severity validation findings are closed or accepted by their due date
# custom:
#   id: MRM-VAL-06
#   source: SR 11-7 and SR 26-2 (tracking of recommendations, responses and exceptions)
#   article: SR 26-2 §VI
#   severity: medium
#   basis: SUP
deny contains v if {
	lib.applies("MRM-VAL-06")
	some f in lib.records("findings")
	f.status == "open"
	f.severity in {"high", "critical"}
	lib.blank(object.get(f, "accepted_by", null))
	lib.stale(object.get(f, "due_date", null), 0)
	v := {
		"control": "MRM-VAL-06", "severity": "medium",
		"msg": sprintf("finding %v: open past its due date %v", [lib.show(f.id), lib.show(object.get(f, "due_date", null))]),
		"remediation": "close the finding, or have it formally accepted (`accepted_by`)",
	}
}

# METADATA
# title: A monitoring plan with metrics, limits and frequency exists before go-live
# custom:
#   id: MRM-MON-01
#   source: SR 26-2 (ongoing monitoring plan); CBUAE MMS 9.5.2; NIST MANAGE 4.1
#   article: SR 26-2 §V
#   severity: high
#   basis: SUP
deny contains v if {
	lib.applies("MRM-MON-01")
	some f in ["features", "metrics", "limits", "frequency_days", "escalation"]
	lib.missing(lib.plan, f)
	v := {
		"control": "MRM-MON-01", "severity": "high",
		"msg": sprintf("monitoring plan %v: missing", [f]),
		"remediation": sprintf("set `monitoring.%v` in the model card", [f]),
	}
}

# METADATA
# title: Monitoring ran within the planned frequency
# description: |
#   The latest scan is within the gap (the plan's frequency_days, capped by the tier's
#   monitoring_max_gap_days), and so is the data it read: evidence whose data_changed_at is
#   older than the gap (re-scans of the same files, no new inference data) does not count.
# custom:
#   id: MRM-MON-02
#   source: SR 26-2 (frequency depends on materiality); CBUAE MMS 10.5.2
#   article: SR 26-2 §V
#   severity: high
#   basis: SUP
deny contains v if {
	lib.applies("MRM-MON-02")
	gap := min([object.get(lib.plan, "frequency_days", 0), lib.params.monitoring_max_gap_days])
	not monitored_within(gap)
	v := {
		"control": "MRM-MON-02", "severity": "high",
		"msg": sprintf("monitoring: no evidence within the last %v days", [lib.show(gap)]),
		"remediation": "run `govern scan` on recent inference logs",
	}
}

deny contains v if {
	lib.applies("MRM-MON-02")
	gap := min([object.get(lib.plan, "frequency_days", 0), lib.params.monitoring_max_gap_days])
	lib.data_unchanged(gap)
	v := {
		"control": "MRM-MON-02", "severity": "high",
		"msg": sprintf("monitoring: %v, more than the %v-day gap", [lib.data_unchanged_text, lib.show(gap)]),
		"remediation": "restore the inference-log pipeline and scan the new logs, or retire the model",
		"evidence": {"data_changed_at": lib.last_data_change_at, "last_monitoring_at": lib.last_monitoring_at},
	}
}

monitored_within(days) if not lib.monitoring_stale(days)

# METADATA
# title: Persistent back-test breaches open a remediation
# custom:
#   id: MRM-OUT-01
#   source: SR 11-7 (outcomes outside thresholds warrant recalibration); SR 26-2 outcomes analysis
#   article: SR 26-2 §V
#   severity: high
#   basis: SUP
deny contains v if {
	lib.applies("MRM-OUT-01")
	n := object.get(lib.ev, ["backtest", "consecutive_breaches"], 0)
	n >= lib.params.max_consecutive_breaches
	lib.missing(lib.m, "remediation_ticket")
	v := {
		"control": "MRM-OUT-01", "severity": "high",
		"msg": sprintf("back-test: %v consecutive breaches without a remediation ticket", [lib.show(n)]),
		"remediation": "open a remediation (recalibration or redevelopment) and set `remediation_ticket`",
	}
}

# METADATA
# title: Tier-1 models have a current benchmark or challenger
# custom:
#   id: MRM-BMK-01
#   source: SR 11-7 (benchmarking); SR 26-2 (conceptual soundness)
#   article: SR 26-2 §V
#   severity: low
#   basis: SUP
warn contains v if {
	lib.applies("MRM-BMK-01")
	lib.tier == "1"
	lib.stale(lib.get(lib.m, "benchmark.latest_at"), lib.params.max_days_between_reviews)
	v := {
		"control": "MRM-BMK-01", "severity": "low",
		"msg": "benchmark: no current challenger or benchmark comparison for a tier-1 model",
		"remediation": "compare against a challenger and record `benchmark.latest_at`",
	}
}

# METADATA
# title: The model is used only for approved use cases
# custom:
#   id: MRM-USE-01
#   source: SR 11-7 (extension beyond original scope); SR 26-2 (use beyond intended purpose); CBUAE MMS 9.5.5
#   article: SR 26-2 §IV
#   severity: high
#   basis: SUP
deny contains v if {
	lib.applies("MRM-USE-01")
	lib.missing(lib.m, "approved_use_cases")
	v := {
		"control": "MRM-USE-01", "severity": "high",
		"msg": "approved use cases: not fixed (approved_use_cases)",
		"remediation": "list the approved use cases in the model card",
	}
}

deny contains v if {
	lib.applies("MRM-USE-01")
	some l in lib.records("inference_logs")
	not object.get(l, "use_case", null) in lib.coll(object.get(lib.m, "approved_use_cases", []))
	v := {
		"control": "MRM-USE-01", "severity": "high",
		"msg": sprintf("use case %v: traffic outside the approved use cases", [lib.show(l.use_case)]),
		"remediation": "stop the unapproved use, or validate and approve the extension",
		"evidence": {"use_case": l.use_case},
	}
}

# METADATA
# title: Policy exceptions are approved, time-limited and compensated
# custom:
#   id: MRM-EXC-01
#   source: SR 11-7 §VI (exceptions to policy); SR 26-2 (use before validation under controls)
#   article: SR 26-2 §VI
#   severity: high
#   basis: SUP
deny contains v if {
	lib.applies("MRM-EXC-01")
	some x in lib.records("exceptions")
	lib.stale(object.get(x, "expires_at", null), 0)
	v := {
		"control": "MRM-EXC-01", "severity": "high",
		"msg": sprintf("exception %v: expired or without a valid expiry (%v)", [lib.show(object.get(x, "id", "?")), lib.show(object.get(x, "expires_at", null))]),
		"remediation": "close the exception, or renew it with a new approval and expiry",
	}
}

deny contains v if {
	lib.applies("MRM-EXC-01")
	some x in lib.records("exceptions")
	some f in ["approved_by", "compensating_controls"]
	lib.blank(object.get(x, f, null))
	v := {
		"control": "MRM-EXC-01", "severity": "high",
		"msg": sprintf("exception %v: %v missing", [lib.show(object.get(x, "id", "?")), f]),
		"remediation": sprintf("record `%v` for the exception", [f]),
	}
}

# METADATA
# title: Tier-1 approval by an independent body with authority
# custom:
#   id: MRM-GOV-01
#   source: SR 11-7 (incentives, competence, influence); SR 26-2 (organisational standing and influence)
#   article: SR 26-2 §III
#   severity: medium
#   basis: SUP
deny contains v if {
	lib.applies("MRM-GOV-01")
	lib.tier == "1"
	not committee_approved
	v := {
		"control": "MRM-GOV-01", "severity": "medium",
		"msg": "approval: no model risk committee approval for a tier-1 model",
		"remediation": "record the committee decision with `govern approve --role committee` (a card's own `approvals:` is a claim and does not count)",
	}
}

committee_approved if {
	some a in lib.approvals
	object.get(a, "body", object.get(a, "role", "")) in {"model_risk_committee", "committee"}
	object.get(a, "decision", "approve") in {"approve", "approved", "go"}
}
