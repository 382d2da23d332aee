# METADATA
# title: Production gate of the acceptance cases (CLI mechanics, not the library)
# description: |
#   Drift evidence within PSI bands, denied when absent (fail closed). Kept small and
#   fixed so the cases test exit codes, formats and summary lines, not the evolving
#   default library (tests/acceptance/allowed_default_library runs that one).
package govern.gates.production

import rego.v1

deny contains {
	"control": "MRM-MON-02",
	"severity": "high",
	"msg": "monitoring: no drift evidence",
	"remediation": "run `govern scan` on recent inference logs",
} if {
	not input.evidence.drift
}

deny contains v if {
	some f in input.evidence.drift.features
	f.psi >= 0.25
	v := {
		"control": "MON-CSI-01",
		"severity": "high",
		"msg": sprintf("feature %s: PSI %v >= 0.25", [f.name, f.psi]),
		"evidence": {"field": "monitoring.features"},
	}
}

warn contains v if {
	some f in input.evidence.drift.features
	f.psi >= 0.10
	f.psi < 0.25
	v := {
		"control": "MON-CSI-01",
		"severity": "medium",
		"msg": sprintf("feature %s: PSI %v >= 0.10", [f.name, f.psi]),
		"evidence": {"field": "monitoring.features"},
	}
}
