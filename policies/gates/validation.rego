# METADATA
# title: Gate 3 entry - validation starts on a frozen development record
# description: |
#   Entry needs gate 2 passed and the training data lineage declared. The development exit
#   controls (MRM-DEV-01/02, EUAIA-DAT-01/02, EUAIA-TST-01, EUAIA-DOC-02, FAIR-AIR-01,
#   EUAIA-RMS-01, MRM-VEN-01) run from the packs.
# custom:
#   id: GATE-VALIDATION
#   source: SR 11-7 §V (validation before use); SR 11-7 §VI (type and source of inputs); EU AI Act Art. 10(2)
#   severity: high
#   basis: PROD
package govern.gates.validation

import data.govern.lib
import rego.v1

deny contains v if some v in lib.gate_baseline

deny contains v if {
	lib.missing(lib.m, "lineage.training_data")
	v := {
		"control": "MRM-DEV-02", "severity": "high",
		"msg": "training data lineage: not declared",
		"remediation": "add `lineage.training_data` to the model card",
	}
}
