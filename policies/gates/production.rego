# METADATA
# title: Production gate
# description: |
#   A model enters (and stays in) production only with current drift evidence that is
#   within the PSI bands of its risk tier.
# custom:
#   source: CONTROLS.md §2.5 MON-CSI-01 (PSI bands, CONV); SR 26-2 ongoing monitoring
package govern.gates.production

import data.govern.lib
import rego.v1

deny contains {
	"control": "MRM-MON-02",
	"msg": "no drift evidence: the model has never been scanned",
	"severity": "high",
	"remediation": "run `govern scan` on recent inference logs",
} if {
	not input.evidence.drift
}

deny contains {
	"control": "MON-CSI-01",
	"msg": sprintf("feature %v: drift could not be measured (%v)", [f.name, concat("; ", f.reasons)]),
	"severity": "high",
	"remediation": "scan enough valid rows for every monitored feature",
} if {
	some f in lib.unmeasured_features
}

deny contains {
	"control": "MON-CSI-01",
	"msg": sprintf("feature %v: PSI %.3f >= %v (significant shift)", [f.name, f.psi, lib.params.psi_deny]),
	"severity": "high",
	"remediation": "investigate the shift; retrain or recalibrate before promotion",
} if {
	some f in input.evidence.drift.features
	f.status == "ok"
	f.psi >= lib.params.psi_deny
}

warn contains {
	"control": "MON-CSI-01",
	"msg": sprintf("feature %v: PSI %.3f in the moderate band [%v, %v)", [f.name, f.psi, lib.params.psi_warn, lib.params.psi_deny]),
	"severity": "medium",
} if {
	some f in input.evidence.drift.features
	f.status == "ok"
	f.psi >= lib.params.psi_warn
	f.psi < lib.params.psi_deny
}

deny contains {
	"control": "DQ-MISS-01",
	"msg": sprintf("feature %v: missing rate %.3f above %v", [f.name, f.missing_rate, lib.params.max_missing_rate]),
	"severity": "medium",
	"remediation": "fix the upstream data pipeline",
} if {
	some f in input.evidence.drift.features
	f.missing_rate != null
	f.missing_rate > lib.params.max_missing_rate
}
