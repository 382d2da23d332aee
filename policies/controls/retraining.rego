# METADATA
# title: Retraining triggers (open `retraining_required` events)
# description: |
#   `govern monitor` raises a retraining trigger when drift reaches the deny band or
#   performance falls below the validated baseline by the tier's limit; it stays open until
#   acknowledged (`govern events ack`). The policy input lists the open triggers of the
#   version (`input.retraining.open`) and of the versions registered before it
#   (`input.retraining.predecessors`), each with the version linked as its replacement
#   (`govern events link ID --replaced-by NAME@VERSION`). Applies to every model (scope "*").
# custom:
#   source: SR 11-7 §V (ongoing monitoring decides whether changes necessitate adjustment, redevelopment or replacement of the model); ISO/IEC 42001 A.6.2.6
package govern.controls.retraining

import data.govern.lib
import rego.v1

# A promotion moves the version to another stage; a re-check of its current stage (the
# monitor's own evaluation) is not one, so a trigger never blocks the model it concerns
# from being monitored, and rolling back to an older version stays possible.
promotion if input.stage != lib.current_stage

r := object.get(input, "retraining", null)

me := sprintf("%v@%v", [lib.m.name, lib.m.version])

# METADATA
# title: No promotion past an open retraining trigger
# description: |
#   A version does not enter deployment or production while its own retraining trigger is
#   open, nor while a version registered before it has an open trigger that does not name
#   this version as its replacement. Without `input.retraining` (an input not built by
#   govern) the triggers are unknown and the promotion is refused.
# custom:
#   id: MON-RTR-01
#   source: SR 11-7 §V ongoing monitoring (adjustment, redevelopment or replacement of the model); ISO/IEC 42001 A.6.2.6 AI system operation and monitoring
#   article: PROD
#   severity: high
#   basis: PROD
deny contains v if {
	lib.applies("MON-RTR-01")
	promotion
	not known
	v := {
		"control": "MON-RTR-01", "severity": "high",
		"msg": "retraining triggers: `input.retraining` is missing or malformed, so open triggers are unknown",
		"remediation": "evaluate through govern (check, promote), which fills `input.retraining`",
	}
}

deny contains v if {
	lib.applies("MON-RTR-01")
	promotion
	some t in r.open
	v := {
		"control": "MON-RTR-01", "severity": "high",
		"msg": sprintf("retraining: this version's trigger %v (raised %v by %v) is open", [lib.show(object.get(t, "event_id", null)), lib.show(object.get(t, "raised_at", null)), concat(", ", [lib.show(c) | some c in lib.coll(object.get(t, "controls", []))])]),
		"remediation": "retrain: register a new version and link it with `govern events link ID --replaced-by NAME@VERSION`, or acknowledge the trigger with `govern events ack` once handled",
	}
}

deny contains v if {
	lib.applies("MON-RTR-01")
	promotion
	some t in r.predecessors
	not replaced_by_me(t)
	v := {
		"control": "MON-RTR-01", "severity": "high",
		"msg": sprintf("retraining: predecessor version %v has an open trigger %v that names %v as its replacement, not this version", [lib.show(object.get(t, "version", null)), lib.show(object.get(t, "event_id", null)), lib.show(object.get(t, "replaced_by", null))]),
		"remediation": "if this version is the retrained model, link it: `govern events link ID --replaced-by NAME@VERSION`; otherwise handle the predecessor's trigger first (`govern events ack`)",
	}
}

known if {
	is_array(r.open)
	is_array(r.predecessors)
}

replaced_by_me(t) if t.replaced_by == me
