# METADATA
# title: Gate 4 entry - deployment and monitoring set-up (shadow)
# description: |
#   Entry needs gate 3 passed and an approved artifact to deploy (the approved artifact is
#   the candidate). Validation exit controls (MRM-VAL-01..03/06, MRM-GOV-01, NYC-BA-01/02,
#   ...) run from the packs.
# custom:
#   id: GATE-DEPLOYMENT
#   source: SR 11-7 §IV (implementation and change control); CBUAE MMS 7.5
#   severity: critical
#   basis: PROD
package govern.gates.deployment

import data.govern.lib
import rego.v1

deny contains v if some v in lib.gate_baseline

deny contains v if {
	lib.missing(lib.m, "approved_artifact_sha")
	v := {
		"control": "MRM-CHG-01", "severity": "critical",
		"msg": "artifact: no approved artifact hash (approved_artifact_sha)",
		"remediation": "record the sha256 of the validated artifact as `approved_artifact_sha`",
	}
}
