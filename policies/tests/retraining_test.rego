package govern.controls.retraining_test

import data.govern.controls.retraining
import data.govern.fixtures_test as fx
import rego.v1

denied(inp) := {v.control | some v in d} if d := retraining.deny with input as inp

msgs(inp) := {v.msg | some v in d} if d := retraining.deny with input as inp

trigger(version, replaced_by) := {
	"version": version, "event_id": sprintf("e-%v", [version]), "raised_at": "2026-11-20T00:00:00.000000Z",
	"controls": ["MON-CSI-01"], "replaced_by": replaced_by,
}

with_triggers(inp, open, before) := object.union(inp, {"retraining": {"open": open, "predecessors": before}})

# fx.good: fx@3 promoted from deployment to production.
test_no_trigger_allows if count(denied(fx.good)) == 0

test_predecessor_trigger_without_link_denies if {
	"MON-RTR-01" in denied(with_triggers(fx.good, [], [trigger("2", null)]))
	"MON-RTR-01" in denied(with_triggers(fx.good, [], [trigger("2", "fx@4")]))
}

test_predecessor_trigger_linked_to_this_version_allows if {
	count(denied(with_triggers(fx.good, [], [trigger("2", "fx@3")]))) == 0
}

test_one_unlinked_predecessor_among_linked_denies if {
	"MON-RTR-01" in denied(with_triggers(fx.good, [], [trigger("1", "fx@3"), trigger("2", null)]))
}

test_own_open_trigger_denies_promotion if {
	m := msgs(with_triggers(fx.good, [trigger("3", null)], []))
	some x in m
	contains(x, "this version's trigger e-3")
	contains(x, "MON-CSI-01")
}

test_deployment_is_gated_too if {
	inp := fx.at_stage(with_triggers(fx.good, [], [trigger("2", null)]), "deployment")
	"MON-RTR-01" in denied(object.union(inp, {"model": {"lifecycle_stage": "validation"}}))
}

# A re-check of the current stage (what govern monitor evaluates) is not a promotion.
test_recheck_of_current_stage_is_not_refused if {
	inp := with_triggers(fx.good, [trigger("3", null)], [trigger("2", null)])
	count(denied(object.union(inp, {"model": {"lifecycle_stage": "production"}}))) == 0
}

test_earlier_stages_are_not_gated if {
	inp := fx.at_stage(with_triggers(fx.good, [trigger("3", null)], []), "validation")
	count(denied(object.union(inp, {"model": {"lifecycle_stage": "development"}}))) == 0
}

# Missing keys fail closed on a promotion.
test_missing_retraining_denies if "MON-RTR-01" in denied(json.remove(fx.good, ["retraining"]))

test_missing_lists_deny if {
	"MON-RTR-01" in denied(json.remove(fx.good, ["retraining/open"]))
	"MON-RTR-01" in denied(json.remove(fx.good, ["retraining/predecessors"]))
	"MON-RTR-01" in denied(object.union(fx.good, {"retraining": "none"}))
}

test_missing_replaced_by_denies if {
	t := json.remove(trigger("2", "fx@3"), ["replaced_by"])
	"MON-RTR-01" in denied(with_triggers(fx.good, [], [t]))
}

test_missing_model_version_denies_linked_predecessor if {
	inp := json.remove(with_triggers(fx.good, [], [trigger("2", "fx@3")]), ["model/version"])
	"MON-RTR-01" in denied(inp)
}
