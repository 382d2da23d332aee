# METADATA
# title: Inventory hygiene (zombie models)
# description: |
#   Models that still run without anyone answerable for them: no owner, no monitoring
#   evidence within the cadence, validation overdue, or traffic after retirement. Applies to
#   every model (scope "*"). These are product composites (PROD) of sourced controls.
# custom:
#   source: SR 11-7 §VI / SR 26-2 §VI inventory; CBUAE MMS 4.4 and 10.5; NIST GOVERN 1.6, 1.7
package govern.controls.inventory

import data.govern.lib
import rego.v1

# METADATA
# title: Zombie model - no accountable owner
# custom:
#   id: INV-ZMB-01
#   source: SR 11-7 §VI (names of individuals responsible); NIST GOVERN 2.1
#   article: PROD composite of NIST-GV-01
#   severity: high
#   basis: PROD
deny contains v if {
	lib.applies("INV-ZMB-01")
	not lib.owner
	v := {
		"control": "INV-ZMB-01", "severity": "high",
		"msg": "zombie: the model has no accountable owner",
		"remediation": "set `owner` (or `owner_id`) in the model card",
	}
}

# METADATA
# title: Zombie model - no monitoring evidence within the tier cadence
# description: No scan within the tier's monitoring_max_gap_days, or scans that only re-read files whose newest was first scanned longer ago (data_changed_at).
# custom:
#   id: INV-ZMB-02
#   source: CBUAE MMS 10.5 Table 2 (monitoring frequency); SR 26-2 ongoing monitoring
#   article: PROD composite of MRM-MON-02
#   severity: high
#   basis: PROD
deny contains v if {
	lib.applies("INV-ZMB-02")
	lib.monitoring_stale(lib.params.monitoring_max_gap_days)
	v := {
		"control": "INV-ZMB-02", "severity": "high",
		"msg": sprintf("zombie: no monitoring evidence within %v days (tier %v)", [lib.show(lib.params.monitoring_max_gap_days), lib.show(lib.tier)]),
		"remediation": "run `govern scan` on recent inference logs, or retire the model",
	}
}

deny contains v if {
	lib.applies("INV-ZMB-02")
	lib.data_unchanged(lib.params.monitoring_max_gap_days)
	v := {
		"control": "INV-ZMB-02", "severity": "high",
		"msg": sprintf("zombie: %v, more than %v days (tier %v)", [lib.data_unchanged_text, lib.show(lib.params.monitoring_max_gap_days), lib.show(lib.tier)]),
		"remediation": "restore the inference-log pipeline and scan the new logs, or retire the model",
		"evidence": {"data_changed_at": lib.last_data_change_at, "last_monitoring_at": lib.last_monitoring_at},
	}
}

# METADATA
# title: Zombie model - validation overdue
# custom:
#   id: INV-ZMB-03
#   source: SR 11-7 §VI (dates of planned validation); CBUAE MMS 10.5
#   article: PROD composite of MRM-VAL-05
#   severity: high
#   basis: PROD
deny contains v if {
	lib.applies("INV-ZMB-03")
	due := object.get(lib.m, "next_validation_due", null)
	lib.valid_ts(due)
	lib.exceeds(lib.days_since(due), 0)
	v := {
		"control": "INV-ZMB-03", "severity": "high",
		"msg": sprintf("zombie: validation overdue since %v", [lib.show(due)]),
		"remediation": "revalidate the model, or retire it",
	}
}

deny contains v if {
	lib.applies("INV-ZMB-03")
	not lib.valid_ts(object.get(lib.m, "next_validation_due", null))
	lib.stale(lib.get(lib.m, "validation.date"), lib.params.max_days_between_reviews)
	v := {
		"control": "INV-ZMB-03", "severity": "high",
		"msg": "zombie: no planned validation date and no validation within the tier interval",
		"remediation": "set `next_validation_due` and revalidate the model",
	}
}

# METADATA
# title: Zombie model - inference after retirement
# custom:
#   id: INV-ZMB-04
#   source: NIST AI RMF GOVERN 1.7 (decommissioning and phasing out safely); SR 11-7 §VI (retired models)
#   article: PROD
#   severity: critical
#   basis: PROD
deny contains v if {
	lib.applies("INV-ZMB-04")
	retired := lib.get(lib.m, "retirement.date")
	lib.valid_ts(retired)
	some t in served_at
	lib.before(retired, t)
	v := {
		"control": "INV-ZMB-04", "severity": "critical",
		"msg": sprintf("zombie: inference at %v after retirement on %v", [lib.show(t), lib.show(retired)]),
		"remediation": "switch off the serving endpoint of the retired model",
	}
}

served_at contains t if {
	some l in lib.records("inference_logs")
	t := l.ts
	lib.valid_ts(t)
}

served_at contains t if {
	t := object.get(lib.ev, ["operational", "last_request_at"], null)
	lib.valid_ts(t)
}
