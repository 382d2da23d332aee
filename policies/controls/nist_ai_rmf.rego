# METADATA
# title: NIST AI RMF 1.0 checks not covered by the other packs
# custom:
#   source: NIST AI 100-1 (AI RMF 1.0), GOVERN / MAP / MEASURE / MANAGE
package govern.controls.nist_ai_rmf

import data.govern.lib
import rego.v1

# METADATA
# title: The use case is mapped - purpose, context and risk tolerance
# custom:
#   id: NIST-MAP-01
#   source: NIST AI RMF MAP 1.1, MAP 1.5, MAP 3.3
#   article: MAP 1.1
#   severity: high
#   basis: VOL
deny contains v if {
	lib.applies("NIST-MAP-01")
	some f in lib.global.nist_map_fields
	lib.missing(lib.m, f)
	v := {
		"control": "NIST-MAP-01", "severity": "high",
		"msg": sprintf("use-case record %v: missing", [f]),
		"remediation": sprintf("set `%v` in the model card", [f]),
	}
}

# METADATA
# title: Roles are named and a review frequency is set
# custom:
#   id: NIST-GV-01
#   source: NIST AI RMF GOVERN 2.1, GOVERN 1.5
#   article: GOVERN 2.1
#   severity: high
#   basis: VOL
deny contains v if {
	lib.applies("NIST-GV-01")
	some r in lib.global.roles
	not role_named(r)
	v := {
		"control": "NIST-GV-01", "severity": "high",
		"msg": sprintf("role %v: not named", [r]),
		"remediation": sprintf("set `roles.%v` in the model card", [r]),
	}
}

deny contains v if {
	lib.applies("NIST-GV-01")
	not lib.ok_number(object.get(lib.m, "review_frequency_days", null))
	v := {
		"control": "NIST-GV-01", "severity": "high",
		"msg": "review frequency: not set (review_frequency_days)",
		"remediation": "set `review_frequency_days`",
	}
}

role_named("owner") if lib.owner

role_named(r) if not lib.missing(lib.m, concat(".", ["roles", r]))

# METADATA
# title: Each gate transition has a recorded go/no-go decision
# custom:
#   id: NIST-MG-01
#   source: NIST AI RMF MANAGE 1.1
#   article: MANAGE 1.1
#   severity: high
#   basis: VOL
deny contains v if {
	lib.applies("NIST-MG-01")
	lib.current_stage != "proposed"
	not lib.approved(lib.current_stage)
	v := {
		"control": "NIST-MG-01", "severity": "high",
		"msg": sprintf("gate decision: no recorded approval for entering %v", [lib.show(lib.current_stage)]),
		"remediation": "record the go/no-go decision with `govern approve` (card `approvals:` are claims only)",
	}
}

# METADATA
# title: A kill switch or rollback exists, has an owner and was tested
# custom:
#   id: NIST-MG-02
#   source: NIST AI RMF MANAGE 2.4; EU AI Act Art. 14(4)(e)
#   article: MANAGE 2.4
#   severity: high
#   basis: VOL
deny contains v if {
	lib.applies("NIST-MG-02")
	lib.missing(lib.m, "kill_switch.owner")
	v := {
		"control": "NIST-MG-02", "severity": "high",
		"msg": "kill switch: no owner (kill_switch.owner)",
		"remediation": "assign an owner who can disengage the model",
	}
}

warn contains v if {
	lib.applies("NIST-MG-02")
	lib.stale(lib.get(lib.m, "kill_switch.last_tested_at"), lib.params.kill_switch_test_days)
	v := {
		"control": "NIST-MG-02", "severity": "medium",
		"msg": sprintf("kill switch: not tested within %v days", [lib.show(lib.params.kill_switch_test_days)]),
		"remediation": "test the kill switch or rollback and record `kill_switch.last_tested_at`",
	}
}

# METADATA
# title: The monitoring plan covers appeal, override, incidents, decommissioning and change
# custom:
#   id: NIST-MG-03
#   source: NIST AI RMF MANAGE 4.1, MEASURE 3.3
#   article: MANAGE 4.1
#   severity: medium
#   basis: VOL
deny contains v if {
	lib.applies("NIST-MG-03")
	some k in lib.global.plan_covers
	not object.get(lib.plan, ["covers", k], false) == true
	v := {
		"control": "NIST-MG-03", "severity": "medium",
		"msg": sprintf("monitoring plan: does not cover %v", [k]),
		"remediation": sprintf("add %v to the plan and set `monitoring.covers.%v: true`", [k, k]),
	}
}

# METADATA
# title: Validation documents generalizability limits and fairness results
# custom:
#   id: NIST-MS-01
#   source: NIST AI RMF MEASURE 2.5, MEASURE 2.11
#   article: MEASURE 2.5
#   severity: medium
#   basis: VOL
deny contains v if {
	lib.applies("NIST-MS-01")
	some f in ["validation.generalizability_limits", "validation.fairness_results_uri"]
	lib.missing(lib.m, f)
	v := {
		"control": "NIST-MS-01", "severity": "medium",
		"msg": sprintf("validation record %v: missing", [f]),
		"remediation": sprintf("set `%v` in the model card", [f]),
	}
}
