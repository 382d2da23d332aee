# METADATA
# title: ISO/IEC 42001:2023 checks not covered by the other packs
# description: Control titles from secondary summaries; the standard's text was not read (licensed).
# custom:
#   source: ISO/IEC 42001:2023 cl. 6.1.4, 8.4; Annex A.5, A.6.2.5, A.6.2.6
package govern.controls.iso42001

import data.govern.lib
import rego.v1

# METADATA
# title: An AI system impact assessment is documented
# custom:
#   id: ISO-IA-01
#   source: ISO/IEC 42001 cl. 6.1.4, 8.4; Annex A.5.2-A.5.5
#   article: A.5
#   severity: medium
#   basis: STD
deny contains v if {
	lib.applies("ISO-IA-01")
	some f in ["impact_assessment_uri", "impact_assessment_at"]
	lib.missing(lib.m, f)
	v := {
		"control": "ISO-IA-01", "severity": "medium",
		"msg": sprintf("impact assessment %v: missing", [f]),
		"remediation": sprintf("document the AI system impact assessment (`%v`)", [f]),
	}
}

# METADATA
# title: Monitoring ran successfully before go-live
# custom:
#   id: ISO-DEP-01
#   source: ISO/IEC 42001 A.6.2.5, A.6.2.6, A.6.2.8
#   article: A.6.2.5
#   severity: high
#   basis: STD
deny contains v if {
	lib.applies("ISO-DEP-01")
	not monitoring_before_go_live
	v := {
		"control": "ISO-DEP-01", "severity": "high",
		"msg": "monitoring: no successful run before go_live_at",
		"remediation": "run monitoring in shadow or staging before go-live and record `monitoring.first_success_at`",
	}
}

monitoring_before_go_live if {
	first := object.get(lib.ev, ["monitoring", "first_success_at"], lib.get(lib.plan, "first_success_at"))
	lib.before(first, lib.m.go_live_at)
}
