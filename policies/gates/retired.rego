# METADATA
# title: Gate 6 - retirement
# description: |
#   A retirement records its decision (reason and date). Archive, successor, retention and
#   "no inference after retirement" run from the packs (MRM-RET-01, INV-ZMB-04, EUAIA-COR-01).
# custom:
#   id: GATE-RETIRED
#   source: SR 11-7 §VI ("recently retired"); NIST GOVERN 1.7
#   severity: medium
#   basis: PROD
package govern.gates.retired

import data.govern.lib
import rego.v1

deny contains v if some v in lib.gate_baseline

deny contains v if {
	some f in ["retirement.reason", "retirement.date"]
	lib.missing(lib.m, f)
	v := {
		"control": "GATE-RETIRED", "severity": "medium",
		"msg": sprintf("retirement decision %v: not recorded", [f]),
		"remediation": sprintf("set `%v` in the model card", [f]),
	}
}
