# METADATA
# title: Development gate
# description: Development starts only for an owned, approved use case.
# custom:
#   source: NIST AI RMF MAP 1.1, GOVERN 2.1
package govern.gates.development

import rego.v1

deny contains {
	"control": "NIST-MAP-01",
	"msg": "the use case is not described",
	"severity": "high",
	"remediation": "set `use_case` in the model card",
} if {
	not input.model.use_case
}

deny contains {
	"control": "NIST-GV-01",
	"msg": "the model has no accountable owner",
	"severity": "high",
	"remediation": "set `owner` in the model card",
} if {
	not input.model.owner
}
