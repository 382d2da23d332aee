# METADATA
# title: Retirement gate
# description: A retirement records its reason.
# custom:
#   source: SR 11-7 §VI ("recently retired"); NIST AI RMF GOVERN 1.7
package govern.gates.retired

import rego.v1

deny contains {
	"control": "MRM-RET-01",
	"msg": "retirement reason is not recorded",
	"severity": "medium",
	"remediation": "set `retirement.reason` in the model card",
} if {
	not input.model.retirement.reason
}
