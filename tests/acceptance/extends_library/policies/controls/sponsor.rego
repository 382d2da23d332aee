package acme.controls.sponsor

import data.govern.lib
import rego.v1

# METADATA
# title: Every model names its business sponsor
# custom:
#   id: ACME-SPN-01
#   source: Acme model risk policy 4.2
#   severity: medium
deny contains v if {
	lib.applies("ACME-SPN-01")
	lib.missing(lib.m, "sponsor")
	v := {
		"control": "ACME-SPN-01", "severity": "medium",
		"msg": "sponsor: no business sponsor named",
		"remediation": "set `sponsor` in the model card",
	}
}
