# METADATA
# title: Colorado SB 26-189 (automated decision-making technology)
# description: |
#   Effective 1 Jan 2027; replaced SB 24-205, which never took effect. Notice before a
#   consequential decision, a plain-language explanation within 30 days of an adverse
#   outcome, records kept three years. CO-LEGACY-01 (SB 24-205 annual impact assessment)
#   ships disabled (data.govern.params.global.co_legacy: false).
# custom:
#   source: Colorado SB 26-189, C.R.S. 6-1-1702/1704
package govern.controls.colorado_sb26_189

import data.govern.lib
import rego.v1

# METADATA
# title: Notice, 30-day adverse-outcome explanations and 3-year records
# custom:
#   id: CO-ADMT-01
#   source: Colorado SB 26-189, C.R.S. 6-1-1702, 6-1-1704
#   article: C.R.S. 6-1-1704
#   severity: high
#   basis: LAW
deny contains v if {
	lib.applies("CO-ADMT-01")
	lib.missing(lib.m, "co.notice_uri")
	v := {
		"control": "CO-ADMT-01", "severity": "high",
		"msg": "Colorado ADMT: no consumer notice (co.notice_uri)",
		"remediation": "publish the notice shown before a consequential decision",
	}
}

deny contains v if {
	lib.applies("CO-ADMT-01")
	not object.get(lib.m, "records_retention_years", 0) >= lib.global.co_records_years
	v := {
		"control": "CO-ADMT-01", "severity": "high",
		"msg": sprintf("Colorado ADMT: records retained %v years, at least %v required", [lib.show(object.get(lib.m, "records_retention_years", 0)), lib.show(lib.global.co_records_years)]),
		"remediation": "set the record retention to at least 3 years",
	}
}

deny contains v if {
	lib.applies("CO-ADMT-01")
	some a in lib.records("adverse_outcomes")
	covered(a)
	not explained_in_time(a)
	v := {
		"control": "CO-ADMT-01", "severity": "high",
		"msg": sprintf("Colorado ADMT decision %v: no explanation within %v days", [lib.show(object.get(a, "decision_id", "?")), lib.show(lib.global.co_explanation_days)]),
		"remediation": "send the plain-language explanation of the ADMT's role",
	}
}

explained_in_time(a) if {
	lib.within(lib.days_between(a.decided_at, a.explanation_sent_at), lib.global.co_explanation_days)
}

# Not explained yet, but the 30 days have not run out: not (yet) a breach.
explained_in_time(a) if {
	lib.blank(object.get(a, "explanation_sent_at", null))
	lib.within(lib.days_since(a.decided_at), lib.global.co_explanation_days)
}

# The duty binds decisions taken from the effective date (1 Jan 2027) on; an outcome with
# no valid decision date is checked (fail closed).
covered(a) if not lib.before(object.get(a, "decided_at", null), lib.global.co_effective_date)

# METADATA
# title: Legacy SB 24-205 annual impact assessment (repealed; disabled by default)
# custom:
#   id: CO-LEGACY-01
#   source: Colorado SB 24-205, C.R.S. 6-1-1703(3) (repealed before taking effect)
#   article: C.R.S. 6-1-1703(3)
#   severity: low
#   basis: RESC
warn contains v if {
	lib.applies("CO-LEGACY-01")
	lib.global.co_legacy == true
	lib.stale(object.get(lib.m, "impact_assessment_at", null), 365)
	v := {
		"control": "CO-LEGACY-01", "severity": "low",
		"msg": "internal policy: impact assessment older than a year (SB 24-205 template, repealed)",
		"remediation": "refresh the impact assessment, or disable the legacy flag",
	}
}
