# METADATA
# title: Gate 1 - use-case approval
# description: |
#   A proposal is complete enough to approve: a valid clock, a known tier and a legal move.
#   The exit controls of stage 1 (NIST-MAP-01, MRM-TIER-01, EUAIA-CLS-01, MRM-SCOPE-01,
#   NIST-GV-01, MRM-INV-01) run from the packs of the model's scopes (data.govern.control_stages).
# custom:
#   id: GATE-PROPOSED
#   source: SR 26-2 §III (materiality and approved use); NIST AI RMF MAP 1.1
#   severity: high
#   basis: PROD
package govern.gates.proposed

import data.govern.lib
import rego.v1

deny contains v if some v in lib.gate_baseline

deny contains v if {
	lib.missing(lib.m, "use_case")
	v := {
		"control": "NIST-MAP-01", "severity": "high",
		"msg": "use case: not described",
		"remediation": "set `use_case` in the model card",
	}
}
