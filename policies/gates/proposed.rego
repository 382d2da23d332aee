# METADATA
# title: Use-case approval gate
# description: A proposed use case names an accountable owner, a use case and a risk tier.
# custom:
#   source: NIST AI RMF GOVERN 2.1; SR 26-2 §III (materiality)
package govern.gates.proposed

import rego.v1

deny contains {
	"control": "NIST-GV-01",
	"msg": "the model has no accountable owner",
	"severity": "high",
	"remediation": "set `owner` in the model card",
} if {
	not input.model.owner
}

deny contains {
	"control": "MRM-TIER-01",
	"msg": sprintf("risk tier %v is not one of 1, 2, 3", [input.model.risk_tier]),
	"severity": "high",
	"remediation": "set `risk_tier` to 1, 2 or 3 in the model card",
} if {
	not sprintf("%v", [input.model.risk_tier]) in {"1", "2", "3"}
}
