# METADATA
# title: Fairness (four-fifths rule; NYC Local Law 144 bias audits)
# description: |
#   Adverse impact ratios from `input.evidence.fairness`. The 0.80 threshold is the federal
#   four-fifths rule (29 CFR 1607.4(D)); NYC LL 144 sets no pass mark: it requires impact
#   ratios to be calculated and published, with an independent audit no older than a year.
#   Wording: "disparity", never a claim that a model is free of it.
# custom:
#   source: 29 CFR 1607.4 (UGESP); NYC Admin. Code §20-870..874; 6 RCNY §5-300..5-304
package govern.controls.fairness

import data.govern.lib
import rego.v1

fair := lib.ev.fairness

audit := object.get(lib.m, "bias_audit", {})

# METADATA
# title: Adverse impact ratio at or above four-fifths for every group
# custom:
#   id: FAIR-AIR-01
#   source: 29 CFR 1607.4(D) (four-fifths rule)
#   article: 29 CFR 1607.4(D)
#   severity: high
#   basis: LAW
deny contains v if {
	lib.applies("FAIR-AIR-01")
	not fair_usable
	v := {
		"control": "FAIR-AIR-01", "severity": "high",
		"msg": "fairness: no usable evidence (absent, or status not ok)",
		"remediation": "run the fairness scan on decisions with protected attributes",
	}
}

# Every attribute the card monitors (`monitoring.protected`: a column, or a list of columns
# for an intersection, named `a,b` in the evidence) must be in the latest scan's evidence: a
# scan from before the attribute was added, or of logs without its column, says nothing
# about it.
deny contains v if {
	lib.applies("FAIR-AIR-01")
	fair
	some name in monitored_attributes
	not name in {object.get(lib.obj(a), "name", null) | some a in lib.coll(fair.attributes)}
	v := {
		"control": "FAIR-AIR-01", "severity": "high",
		"msg": sprintf("attribute %v: monitored (monitoring.protected) but absent from the latest scan's fairness evidence", [name]),
		"remediation": "scan inference logs that carry the attribute's columns (`govern scan`)",
	}
}

deny contains v if {
	lib.applies("FAIR-AIR-01")
	"fairness" in lib.stale_config
	v := {
		"control": "FAIR-AIR-01", "severity": "high",
		"msg": lib.stale_config_msg("fairness"),
		"remediation": lib.stale_config_fix,
	}
}

monitored_attributes contains name if {
	some p in lib.coll(object.get(lib.plan, "protected", []))
	name := attribute_name(p)
}

attribute_name(p) := concat(",", [lib.show(c) | some c in p]) if is_array(p) else := lib.show(p)

deny contains v if {
	lib.applies("FAIR-AIR-01")
	some a in lib.coll(fair.attributes)
	object.get(lib.obj(a), "status", null) != "ok" # absent status: not measured (fail closed)
	v := {
		"control": "FAIR-AIR-01", "severity": "high",
		"msg": sprintf("attribute %v: impact ratios could not be computed (%v)", [lib.show(a.name), concat("; ", object.get(a, "reasons", []))]),
		"remediation": "collect enough decisions per group for this attribute",
	}
}

deny contains v if {
	lib.applies("FAIR-AIR-01")
	some a in lib.coll(fair.attributes)
	a.status == "ok"
	some g in lib.coll(a.groups)
	not small_group(g)
	not lib.ok_number(object.get(g, "adverse_impact_ratio", null))
	v := {
		"control": "FAIR-AIR-01", "severity": "high",
		"msg": sprintf("attribute %v group %v: impact ratio is null", [lib.show(a.name), lib.show(g.group)]),
		"remediation": "recompute the fairness metrics",
	}
}

deny contains v if {
	lib.applies("FAIR-AIR-01")
	some a in lib.coll(fair.attributes)
	a.status == "ok"
	some g in lib.coll(a.groups)
	not small_group(g)
	lib.ok_number(g.adverse_impact_ratio)
	g.adverse_impact_ratio < lib.global.air_min
	not ll144_only
	v := {
		"control": "FAIR-AIR-01", "severity": "high",
		"msg": sprintf("attribute %v group %v: impact ratio %v below %v (selection-rate disparity)", [lib.show(a.name), lib.show(g.group), lib.fixed(g.adverse_impact_ratio, 3), lib.show(lib.global.air_min)]),
		"remediation": "investigate the disparity; document the business necessity or mitigate",
		"evidence": {"n": object.get(g, "n", null), "selection_rate": object.get(g, "selection_rate", null)},
	}
}

# A group is exempt only when its size is a number below the minimum: an absent or
# mistyped `n` keeps the group under the control (fail closed).
small_group(g) if {
	n := object.get(lib.obj(g), "n", null)
	lib.ok_number(n)
	n < lib.params.min_group_n
}

# NYC LL 144 sets no pass mark (6 RCNY §5-301 asks for the ratios, not a threshold): for a model whose only fairness
# scope is nyc_ll144, a ratio under four-fifths is reported as a warning, not a denial.
ll144_only if {
	lib.in_scope("nyc_ll144")
	not lib.in_scope("us_ugesp")
	not lib.in_scope("fairness")
}

warn contains v if {
	lib.applies("FAIR-AIR-01")
	ll144_only
	some a in lib.coll(fair.attributes)
	a.status == "ok"
	some g in lib.coll(a.groups)
	not small_group(g)
	lib.ok_number(g.adverse_impact_ratio)
	g.adverse_impact_ratio < lib.global.air_min
	v := {
		"control": "FAIR-AIR-01", "severity": "medium",
		"msg": sprintf("attribute %v group %v: impact ratio %v below the four-fifths indicator %v (LL 144 sets no pass mark)", [lib.show(a.name), lib.show(g.group), lib.fixed(g.adverse_impact_ratio, 3), lib.show(lib.global.air_min)]),
		"remediation": "publish the ratio in the bias-audit summary; investigate the disparity",
		"evidence": {"n": object.get(g, "n", null), "selection_rate": object.get(g, "selection_rate", null)},
	}
}

# 1607.4(D): smaller differences may still constitute adverse impact where they are
# statistically significant; a significant disparity above four-fifths is flagged.
warn contains v if {
	lib.applies("FAIR-AIR-01")
	some a in lib.coll(fair.attributes)
	a.status == "ok"
	some g in lib.coll(a.groups)
	not small_group(g)
	lib.ok_number(g.adverse_impact_ratio)
	g.adverse_impact_ratio >= lib.global.air_min
	g.adverse_impact_ratio < 1
	lib.ok_number(object.get(g, "p_value", null))
	g.p_value < lib.global.air_alpha
	v := {
		"control": "FAIR-AIR-01", "severity": "medium",
		"msg": sprintf("attribute %v group %v: impact ratio %v with p = %v below %v (statistically significant disparity)", [lib.show(a.name), lib.show(g.group), lib.fixed(g.adverse_impact_ratio, 3), lib.show(g.p_value), lib.show(lib.global.air_alpha)]),
		"remediation": "assess whether the disparity is practically significant; document it",
		"evidence": {"n": object.get(g, "n", null), "p_value": g.p_value},
	}
}

warn contains v if {
	lib.applies("FAIR-AIR-01")
	some a in lib.coll(fair.attributes)
	some g in lib.coll(a.groups)
	g.n < lib.params.min_group_n
	v := {
		"control": "FAIR-AIR-01", "severity": "low",
		"msg": sprintf("attribute %v group %v: %v decisions, below %v; impact ratio not decided", [lib.show(a.name), lib.show(g.group), lib.show(g.n), lib.show(lib.params.min_group_n)]),
		"remediation": "collect more decisions, or document the exclusion",
	}
}

fair_usable if {
	fair.status == "ok"
	count(fair.attributes) > 0
}

fair_usable if {
	not fair.status
	count(fair.attributes) > 0
}

# METADATA
# title: Employment models keep outcome data by sex and race/ethnicity
# custom:
#   id: FAIR-REC-01
#   source: 29 CFR 1607.4(A)-(B) (records by identifiable race, sex or ethnic group)
#   article: 29 CFR 1607.4(B)
#   severity: medium
#   basis: LAW
deny contains v if {
	lib.applies("FAIR-REC-01")
	object.get(lib.m, "domain", "") == "employment"
	some attr in ["sex", "race_ethnicity"]
	not attr in {a.name | some a in lib.coll(object.get(fair, "attributes", []))}
	v := {
		"control": "FAIR-REC-01", "severity": "medium",
		"msg": sprintf("fairness records %v: absent for an employment model", [attr]),
		"remediation": sprintf("record outcomes by %v", [attr]),
	}
}

# METADATA
# title: NYC AEDT - independent bias audit no older than one year
# custom:
#   id: NYC-BA-01
#   source: NYC Admin. Code §20-871; 6 RCNY §5-301
#   article: §20-871(a)(1)
#   severity: critical
#   basis: LAW
deny contains v if {
	lib.applies("NYC-BA-01")
	lib.in_scope("nyc_ll144")
	lib.stale(object.get(audit, "date", null), lib.global.nyc_audit_max_days)
	v := {
		"control": "NYC-BA-01", "severity": "critical",
		"msg": sprintf("bias audit date %v: missing or older than %v days", [lib.show(object.get(audit, "date", null)), lib.show(lib.global.nyc_audit_max_days)]),
		"remediation": "commission an independent bias audit before further use",
	}
}

deny contains v if {
	lib.applies("NYC-BA-01")
	lib.in_scope("nyc_ll144")
	not object.get(audit, "auditor_independent", false) == true
	v := {
		"control": "NYC-BA-01", "severity": "critical",
		"msg": "bias audit: the auditor is not recorded as independent",
		"remediation": "use an independent auditor and set `bias_audit.auditor_independent: true`",
	}
}

# METADATA
# title: NYC AEDT - impact ratios for sex, race/ethnicity and intersectional categories
# custom:
#   id: NYC-BA-02
#   source: 6 RCNY §5-301, §5-302
#   article: 6 RCNY §5-301
#   severity: high
#   basis: LAW
deny contains v if {
	lib.applies("NYC-BA-02")
	lib.in_scope("nyc_ll144")
	some c in ["sex", "race_ethnicity", "intersectional"]
	lib.blank(object.get(audit, ["impact_ratios", c], null)) # (a path array: no path text to build and split)
	v := {
		"control": "NYC-BA-02", "severity": "high",
		"msg": sprintf("bias audit impact ratios %v: missing", [c]),
		"remediation": sprintf("calculate selection (or scoring) rates and impact ratios for %v", [c]),
	}
}

deny contains v if {
	lib.applies("NYC-BA-02")
	lib.in_scope("nyc_ll144")
	some x in lib.coll(object.get(audit, "exclusions", []))
	not share_below(object.get(x, "share", null))
	v := {
		"control": "NYC-BA-02", "severity": "high",
		"msg": sprintf("bias audit exclusion %v: share %v not below %v", [lib.show(object.get(x, "category", "?")), lib.show(object.get(x, "share", null)), lib.show(lib.global.nyc_exclusion_max_share)]),
		"remediation": "include the category in the impact-ratio tables",
	}
}

deny contains v if {
	lib.applies("NYC-BA-02")
	lib.in_scope("nyc_ll144")
	object.get(audit, "uses_test_data", false) == true
	lib.missing(audit, "test_data_explanation")
	v := {
		"control": "NYC-BA-02", "severity": "high",
		"msg": "bias audit: test data used without an explanation",
		"remediation": "explain why historical data was not used (`bias_audit.test_data_explanation`)",
	}
}

# A missing, null or non-numeric share is not "below" (fail closed on every engine).
share_below(s) if {
	is_number(s)
	s < lib.global.nyc_exclusion_max_share
}

# METADATA
# title: NYC AEDT - public summary posted and candidate notice at least 10 business days ahead
# custom:
#   id: NYC-PUB-01
#   source: NYC Admin. Code §20-871(a)(2), (b); 6 RCNY §5-303, §5-304
#   article: §20-871(b)
#   severity: high
#   basis: LAW
deny contains v if {
	lib.applies("NYC-PUB-01")
	lib.in_scope("nyc_ll144")
	lib.missing(audit, "public_summary_url")
	v := {
		"control": "NYC-PUB-01", "severity": "high",
		"msg": "bias audit: public summary not posted (bias_audit.public_summary_url)",
		"remediation": "publish the audit summary before use",
	}
}

deny contains v if {
	lib.applies("NYC-PUB-01")
	lib.in_scope("nyc_ll144")
	lead := object.get(lib.m, ["aedt", "notice_lead_business_days"], 0)
	not lead >= lib.global.nyc_notice_business_days
	v := {
		"control": "NYC-PUB-01", "severity": "high",
		"msg": sprintf("candidate notice: %v business days before use, at least %v required", [lib.show(lead), lib.show(lib.global.nyc_notice_business_days)]),
		"remediation": "give candidates notice at least 10 business days before use",
	}
}
