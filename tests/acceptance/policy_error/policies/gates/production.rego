package govern.gates.production

import rego.v1

deny contains msg if {
	input.model.risk_tier == 1
	msg := "tier 1" +
}
