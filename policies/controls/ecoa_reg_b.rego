# METADATA
# title: ECOA / Regulation B adverse action notices
# description: |
#   12 CFR 1002.9. CFPB Circular 2022-03 was withdrawn (12 May 2025); the regulation itself
#   is unchanged. Notice records (`adverse_action_notices`) are checked when supplied; the
#   notice process and reason-code method must be declared on the card.
# custom:
#   source: 12 CFR 1002.9 (Regulation B); CFPB Circular 2023-03
package govern.controls.ecoa_reg_b

import data.govern.lib
import rego.v1

notices := lib.records("adverse_action_notices")

# METADATA
# title: Adverse action notices are sent within 30 days with reasons or the right to them
# custom:
#   id: ECOA-AAN-01
#   source: 12 CFR 1002.9(a)(1)-(2)
#   article: 12 CFR 1002.9(a)
#   severity: critical
#   basis: LAW
deny contains v if {
	lib.applies("ECOA-AAN-01")
	lib.missing(lib.m, "ecoa.notice_process_uri")
	v := {
		"control": "ECOA-AAN-01", "severity": "critical",
		"msg": "adverse action: no notice process declared (ecoa.notice_process_uri)",
		"remediation": "document how adverse action notices are produced and sent",
	}
}

deny contains v if {
	lib.applies("ECOA-AAN-01")
	some n in notices
	limit := notice_days(n)
	not sent_within(n, limit)
	v := {
		"control": "ECOA-AAN-01", "severity": "critical",
		"msg": sprintf("adverse action notice %v: not sent within %v days", [lib.show(object.get(n, "app_id", "?")), lib.show(limit)]),
		"remediation": "send the notice; review the notice pipeline",
	}
}

deny contains v if {
	lib.applies("ECOA-AAN-01")
	some n in notices
	count(object.get(n, "reasons", [])) == 0
	not object.get(n, "right_to_reasons_disclosed", false) == true
	v := {
		"control": "ECOA-AAN-01", "severity": "critical",
		"msg": sprintf("adverse action notice %v: no reasons and no right-to-reasons disclosure", [lib.show(object.get(n, "app_id", "?"))]),
		"remediation": "state the specific reasons or disclose the right to them",
	}
}

notice_days(n) := lib.global.ecoa_counteroffer_days if object.get(n, "type", "") == "counteroffer_not_accepted"

notice_days(n) := lib.global.ecoa_notice_days if object.get(n, "type", "") != "counteroffer_not_accepted"

# When the clock starts (1002.9(a)(1)): (i) a completed application; (ii)-(iii) taking
# adverse action on an incomplete application or an existing account; (iv) notifying the
# applicant of a counteroffer that is not accepted.
notice_start(n) := n.decision_at if object.get(n, "type", "") in {"incomplete_application", "existing_account"}

notice_start(n) := object.get(n, "counteroffer_at", object.get(n, "completed_at", null)) if object.get(n, "type", "") == "counteroffer_not_accepted"

notice_start(n) := object.get(n, "completed_at", null) if not object.get(n, "type", "") in {"incomplete_application", "existing_account", "counteroffer_not_accepted"}

sent_within(n, limit) if {
	lib.within(lib.days_between(notice_start(n), n.sent_at), limit)
}

# Not sent yet, but the deadline has not passed: not (yet) a breach.
sent_within(n, limit) if {
	lib.blank(object.get(n, "sent_at", null))
	lib.within(lib.days_since(notice_start(n)), limit)
}

# METADATA
# title: Reasons are specific, from the applicant's own model attributions
# custom:
#   id: ECOA-AAN-02
#   source: 12 CFR 1002.9(b)(2); Reg B commentary; CFPB Circular 2023-03
#   article: 12 CFR 1002.9(b)(2)
#   severity: high
#   basis: LAW
deny contains v if {
	lib.applies("ECOA-AAN-02")
	not lib.get(lib.m, "ecoa.reason_code_method") == "model_attribution"
	v := {
		"control": "ECOA-AAN-02", "severity": "high",
		"msg": sprintf("reason codes: method %v is not per-applicant model attribution", [lib.show(lib.get(lib.m, "ecoa.reason_code_method"))]),
		"remediation": "derive reasons from the applicant's own attributions and set `ecoa.reason_code_method: model_attribution`",
	}
}

deny contains v if {
	lib.applies("ECOA-AAN-02")
	some n in notices
	some r in lib.coll(object.get(n, "reasons", []))
	r.code in lib.global.vague_reason_codes
	v := {
		"control": "ECOA-AAN-02", "severity": "high",
		"msg": sprintf("adverse action notice %v: vague reason %v", [lib.show(object.get(n, "app_id", "?")), lib.show(r.code)]),
		"remediation": "state the principal reasons specifically",
	}
}

deny contains v if {
	lib.applies("ECOA-AAN-02")
	some n in notices
	some r in lib.coll(object.get(n, "reasons", []))
	object.get(r, "source", "") != "model_attribution"
	v := {
		"control": "ECOA-AAN-02", "severity": "high",
		"msg": sprintf("adverse action notice %v: reason %v not from model attributions", [lib.show(object.get(n, "app_id", "?")), lib.show(object.get(r, "code", "?"))]),
		"remediation": "derive the reasons from the applicant's own attributions",
	}
}

warn contains v if {
	lib.applies("ECOA-AAN-02")
	some n in notices
	count(object.get(n, "reasons", [])) > lib.global.ecoa_max_reasons
	v := {
		"control": "ECOA-AAN-02", "severity": "low",
		"msg": sprintf("adverse action notice %v: %d reasons; more than %v are unlikely to help", [lib.show(object.get(n, "app_id", "?")), count(n.reasons), lib.show(lib.global.ecoa_max_reasons)]),
		"remediation": "give the principal reasons only",
	}
}
