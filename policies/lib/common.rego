# Helpers shared by gates and control packs: the model, tier parameters, the clock,
# stage applicability and fail-closed field and date checks.
#
# Why helpers: every control reads the same few things (a model field, a tier parameter,
# "how many days ago"), and each must fail closed the same way when a value is missing
# or malformed. Keeping that logic here keeps the controls short and uniform.
package govern.lib

import rego.v1

m := object.get(input, "model", {})

ev := object.get(input, "evidence", {})

tier := sprintf("%v", [object.get(m, "risk_tier", "")])

# Tier parameters (data.govern.params.tier[<tier>]), undefined for an unknown tier: the
# gates deny that case (GATE-PARAMS), so no control silently skips a threshold.
params := data.govern.params.tier[tier]

# Parameters that do not depend on the tier.
global := data.govern.params.global

# Accountable owner: CONTROLS.md §3.1 names it `owner_id`; cards also use `owner`.
owner := o if {
	o := m.owner_id
	not blank(o)
} else := o if {
	o := m.owner
	not blank(o)
}

# The monitoring plan: `monitoring_plan` (CONTROLS.md §3.1) or the card's `monitoring`.
plan := p if {
	p := m.monitoring_plan
	is_object(p)
} else := p if {
	p := m.monitoring
	is_object(p)
} else := {}

# Approvals (gate decisions) that count: the registry's records made by the audited
# `govern approve` (`input.approvals`). A card's own `approvals:` list is only a claim
# (`input.model.claimed_approvals`): a card under review cannot approve itself.
approvals := a if {
	a := input.approvals
	is_array(a)
} else := []

# A control applies when the target stage is listed for it in data.govern.control_stages.
applies(id) if input.stage in data.govern.control_stages[id]

in_scope(s) if s in object.get(m, "regulatory_scope", [])

# EU AI Act high-risk: Art. 6(2)/Annex III classification without a valid Art. 6(3) exemption.
hr if {
	in_scope("eu_ai_act")
	m.eu_ai_act.high_risk == true
}

eu_role := object.get(m, ["eu_ai_act", "role"], "")

provider if {
	hr
	eu_role in {"provider", "provider_and_deployer"}
}

deployer if {
	hr
	eu_role in {"deployer", "provider_and_deployer"}
}

# Blank: absent (null), empty string, empty list/object, or false.
blank(x) if x == null

blank(x) if x == ""

blank(x) if x == []

blank(x) if x == {}

blank(x) if x == false

# A field given as a dotted path ("validation.report_uri") is missing or blank.
missing(obj, path) if blank(object.get(obj, split(path, "."), null))

get(obj, path) := object.get(obj, split(path, "."), null)

# --- the clock -----------------------------------------------------------------------
# The evaluation clock is input.now (RFC 3339); time.now_ns is never used, so a stored
# decision re-evaluates to the same answer.

day_ns := 86400000000000

ts_re := `^[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2}))?$`

valid_ts(ts) if {
	is_string(ts)
	regex.match(ts_re, ts)
}

# Nanoseconds since the epoch; a bare date means midnight UTC. Undefined when invalid.
ts_ns(ts) := time.parse_rfc3339_ns(ts) if {
	valid_ts(ts)
	count(ts) > 10
}

ts_ns(ts) := time.parse_rfc3339_ns(concat("", [ts, "T00:00:00Z"])) if {
	valid_ts(ts)
	count(ts) == 10
}

now_ns := ts_ns(input.now)

# Whole days from ts to now (negative when ts is in the future).
days_since(ts) := (now_ns - ts_ns(ts)) / day_ns

# Fail closed: true when ts is missing, malformed, or older than max_days.
stale(ts, _) if not valid_ts(ts)

stale(ts, max_days) if days_since(ts) > max_days

# ts1 strictly before ts2 (both valid).
before(ts1, ts2) if ts_ns(ts1) < ts_ns(ts2)

# --- evidence --------------------------------------------------------------------------

# A metric usable for a decision: a finite number from a family whose status is "ok".
ok_number(x) if {
	is_number(x)
	x == x
}

# A share or probability: a number in [0, 1].
rate(x) if {
	ok_number(x)
	x >= 0
	x <= 1
}

# A PSI: a number >= 0.
psi_value(x) if {
	ok_number(x)
	x >= 0
}

drift := ev.drift

# Drift features whose metrics could not be computed (fail closed; no status is not "ok").
unmeasured_features contains f if {
	some f in drift.features
	object.get(f, "status", null) != "ok"
}

unmeasured_features contains f if {
	some f in drift.features
	f.status == "ok"
	not psi_value(object.get(f, "psi", null))
}

# Monitored features that the latest scan does not report at all.
unscanned_features contains name if {
	drift
	some name in object.get(plan, "features", [])
	not name in {f.name | some f in drift.features}
}

# Most recent monitoring run over the measured evidence families.
last_monitoring_at := t if {
	t := max_ts([x |
		some fam in ["drift", "fairness", "performance", "operational"]
		x := ev[fam].scanned_at
		valid_ts(x)
		ts_ns(x) <= now_ns # evidence dated after the evaluation clock proves nothing
	])
} else := null

max_ts(ts_list) := t if {
	count(ts_list) > 0
	latest := max([ts_ns(x) | some x in ts_list])
	t := [x | some x in ts_list; ts_ns(x) == latest][0]
}

# Records of an event family (findings, incidents, uat_rounds, ...): measured or supplied
# evidence first, else the list declared in the model card, else none.
records(name) := r if {
	r := ev[name]
	is_array(r)
} else := r if {
	r := m[name]
	is_array(r)
} else := []

approved(stage) if {
	some a in approvals
	a.stage == stage
	object.get(a, "decision", "approve") in {"approve", "approved", "go"}
}


stages := ["proposed", "development", "validation", "deployment", "production", "retired"]

stage_index(s) := i if {
	some i, x in stages
	x == s
}

current_stage := object.get(m, "lifecycle_stage", object.get(m, "stage", "proposed"))

# A move is legal to the same stage (re-check), to the next stage, or to retirement.
legal_move if input.stage == current_stage

legal_move if stage_index(input.stage) == stage_index(current_stage) + 1

legal_move if input.stage == "retired"

gate_baseline contains v if {
	not valid_ts(input.now)
	v := {
		"control": "GATE-CLOCK", "severity": "critical",
		"msg": sprintf("clock: input.now %v is not an RFC 3339 timestamp", [object.get(input, "now", null)]),
		"remediation": "evaluate with a valid `now`; govern check sets it",
	}
}

gate_baseline contains v if {
	not data.govern.params.tier[tier]
	v := {
		"control": "GATE-PARAMS", "severity": "critical",
		"msg": sprintf("risk tier %v: no parameters in data.govern.params.tier", [tier]),
		"remediation": "set `risk_tier` to a tier that has parameters (1, 2, 3), or add the tier in a data overlay",
	}
}

gate_baseline contains v if {
	not legal_move
	v := {
		"control": "GATE-ORDER", "severity": "high",
		"msg": sprintf("lifecycle: cannot move from %v to %v", [current_stage, input.stage]),
		"remediation": sprintf("pass the gates in order: %v", [concat(" -> ", stages)]),
	}
}
