# METADATA
# title: Gate 2 entry - development starts for an approved, owned use case
# description: Entry needs gate 1 passed (the model is in `proposed`) and an accountable owner.
# custom:
#   id: GATE-DEVELOPMENT
#   source: SR 26-2 §IV (model development); NIST AI RMF GOVERN 2.1
#   severity: high
#   basis: PROD
package govern.gates.development

import data.govern.lib
import rego.v1

deny contains v if some v in lib.gate_baseline

deny contains v if {
	not lib.owner
	v := {
		"control": "NIST-GV-01", "severity": "high",
		"msg": "owner: the model has no accountable owner",
		"remediation": "set `owner` (or `owner_id`) in the model card",
	}
}
