# METADATA
# title: Gate 5 entry - production
# description: |
#   Entry needs gate 4 passed, a go-live date, and (on promotion, not on re-checks of a model
#   already in production) a shadow run long and large enough whose score PSI against the
#   champion is in the stable band. Shadow numbers are PROD defaults with no regulatory
#   source: no regulation sets a shadow-run length or size. Continuous controls (drift, performance, incidents, ...)
#   run from the packs.
# custom:
#   id: GATE-PRODUCTION
#   source: SR 11-7 §IV (implementation tested before use); ISO/IEC 42001 A.6.2.5
#   severity: high
#   basis: PROD
package govern.gates.production

import data.govern.lib
import rego.v1

deny contains v if some v in lib.gate_baseline

deny contains v if {
	not lib.valid_ts(object.get(lib.m, "go_live_at", null))
	v := {
		"control": "GATE-GOLIVE", "severity": "high",
		"msg": "go-live: `go_live_at` is missing or not a date",
		"remediation": "set `go_live_at` in the model card",
	}
}

shadow := object.get(lib.m, "shadow", {})

promotion if lib.current_stage != "production"

deny contains v if {
	promotion
	not shadow_long_enough
	v := {
		"control": "GATE-SHADOW", "severity": "high",
		"msg": sprintf("shadow run: shorter than %v days or without valid start/end dates", [lib.show(lib.params.shadow_min_days)]),
		"remediation": "run the model in shadow for the tier's minimum period and record `shadow.start_at`/`shadow.end_at`",
	}
}

deny contains v if {
	promotion
	n := object.get(shadow, "n_decisions", 0)
	n < lib.params.shadow_min_decisions
	v := {
		"control": "GATE-SHADOW", "severity": "high",
		"msg": sprintf("shadow run: %v decisions, at least %v required", [lib.show(n), lib.show(lib.params.shadow_min_decisions)]),
		"remediation": "extend the shadow run",
	}
}

deny contains v if {
	promotion
	not shadow_stable
	v := {
		"control": "GATE-SHADOW", "severity": "high",
		"msg": sprintf("shadow run: score PSI vs champion %v is not below %v", [lib.show(object.get(shadow, "score_psi_vs_champion", null)), lib.show(lib.params.shadow_max_psi)]),
		"remediation": "investigate the disagreement between the candidate and the champion",
	}
}

shadow_long_enough if {
	lib.reaches(lib.days_between(shadow.start_at, shadow.end_at), lib.params.shadow_min_days)
}

shadow_stable if {
	psi := shadow.score_psi_vs_champion
	lib.ok_number(psi)
	psi < lib.params.shadow_max_psi
}
