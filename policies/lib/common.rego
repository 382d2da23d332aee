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

tier := show(object.get(m, "risk_tier", ""))

# Tier parameters (data.govern.params.tier[<tier>]), undefined for an unknown tier: the
# gates deny that case (GATE-PARAMS), so no control silently skips a threshold.
params := data.govern.params.tier[tier]

# Parameters that do not depend on the tier.
global := data.govern.params.global

# Accountable owner (SR 11-7 §VI: names of the individuals responsible): `owner_id`, or `owner`.
owner := o if {
	o := m.owner_id
	not blank(o)
} else := o if {
	o := m.owner
	not blank(o)
}

# The monitoring plan: `monitoring_plan` or the card's `monitoring`.
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

in_scope(s) if s in scopes

# The model's regulatory scopes: a rule, evaluated once per decision, not on every
# in_scope() call.
scopes := coll(object.get(m, "regulatory_scope", []))

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

# Blank: absent (null), empty string, empty list/object, or false. (One membership test:
# regorus evaluates every definition of a function on each call, and memoises none.)
blank(x) if x in {null, "", [], {}, false}

# A field given as a dotted path ("validation.report_uri") is missing or blank.
missing(obj, path) if object.get(obj, split(path, "."), null) in {null, "", [], {}, false} # blank(), written out

get(obj, path) := object.get(obj, split(path, "."), null)

# --- the clock -----------------------------------------------------------------------
# The evaluation clock is input.now (RFC 3339); time.now_ns is never used, so a stored
# decision re-evaluates to the same answer.
#
# One strict timestamp definition, the intersection of what OPA (Go's time.RFC3339) and
# regorus (chrono) parse: `YYYY-MM-DD` (midnight UTC) or `YYYY-MM-DDThh:mm:ss[.f{1,9}]`
# followed by `Z` or `+hh:mm`/`-hh:mm`; uppercase `T` and `Z` only, no space separator,
# no leap second (:60), offsets below 24 h, a real calendar day (no 2023-02-29), and years
# 1900-2099 (so that nanoseconds since the epoch, and the difference of two of them, fit a
# signed 64-bit integer). Anything else is not a timestamp: checks that need one fail
# closed, on every engine alike.

day_ns := 86400000000000

# A real calendar day is checked by the pattern itself: 31-day months, 30-day months,
# February to the 28th, and 29 February in leap years only (1900-2099: every fourth year
# but 1900). One regex match per check: helper functions called on every timestamp
# (digits, month lengths) were most of a decision's evaluation time in regorus, which
# does not memoise function calls.
ts_date_re := `((19|20)[0-9]{2}-(0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(19|20)[0-9]{2}-(0[469]|11)-(0[1-9]|[12][0-9]|30)|(19|20)[0-9]{2}-02-(0[1-9]|1[0-9]|2[0-8])|(19(0[48]|[2468][048]|[13579][26])|20(0[048]|[2468][048]|[13579][26]))-02-29)`

ts_re := concat("", ["^", ts_date_re, `(T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9]))?$`])

valid_ts(ts) if {
	is_string(ts)
	regex.match(ts_re, ts)
}

leap_year(y) if {
	y % 4 == 0
	y % 100 != 0
}

leap_year(y) if y % 400 == 0

# Nanoseconds since the epoch; a bare date means midnight UTC. Undefined when invalid.
ts_ns(ts) := time.parse_rfc3339_ns(rfc3339_text(ts)) if valid_ts(ts)

# A valid timestamp as time.parse_rfc3339_ns reads it: a bare date gets midnight UTC.
rfc3339_text(ts) := concat("", [ts, "T00:00:00Z"]) if count(ts) == 10 else := ts

# The clock is checked once per decision (now_valid, also read by GATE-CLOCK): matching the
# timestamp pattern is the costliest step of a timestamp in regorus.
now_valid if valid_ts(object.get(input, "now", null))

now_ns := time.parse_rfc3339_ns(rfc3339_text(object.get(input, "now", null))) if now_valid

# Whole days from ts to now (negative when ts is in the future).
days_since(ts) := (now_ns - ts_ns(ts)) / day_ns

# Fail closed: true when ts is missing, malformed, or older than max_days.
# (One definition with `else`: the second branch runs only for a valid ts, so it parses ts
# without matching the timestamp pattern a second time, the costliest step in regorus.)
stale(ts, max_days) if {
	not valid_ts(ts)
} else := true if {
	exceeds((now_ns - time.parse_rfc3339_ns(rfc3339_text(ts))) / day_ns, max_days)
}

# Days from ts1 to ts2 (a fraction; negative when ts2 is earlier).
days_between(ts1, ts2) := (ts_ns(ts2) - ts_ns(ts1)) / day_ns

# ts1 strictly before ts2 (both valid).
before(ts1, ts2) if ts_ns(ts1) < ts_ns(ts2)

# `ns` plus whole calendar years. A 29 February that the target year lacks becomes 1 March,
# as Go's time.AddDate (OPA) normalises it; regorus leaves time.add_date undefined there,
# so that case is computed from the day before.
add_years(ns, years) := time.add_date(ns, years, 0, 0) if not feb29_lost(ns, years)

add_years(ns, years) := time.add_date(ns - day_ns, years, 0, 0) + day_ns if feb29_lost(ns, years)

feb29_lost(ns, years) if {
	[y, mo, d] := time.date(ns)
	mo == 2
	d == 29
	not leap_year(y + years)
}

# --- numbers ---------------------------------------------------------------------------
# Engines differ in number arithmetic (regorus: 64-bit floats; OPA: arbitrary precision)
# and in how sprintf prints numbers (OPA prints `%!f(int64=25)` for %f on an integer, and
# large or small floats in exponent form). Thresholds on computed values therefore compare
# with a tolerance of 1e-9 (values that close count as equal), and messages print numbers
# through num(): rounded to 6 decimals, trailing zeros dropped.

eps := 0.000000001

# a > b by more than the tolerance.
exceeds(a, b) if a - b > eps

# a >= b within the tolerance.
reaches(a, b) if b - a <= eps

# a <= b within the tolerance.
within(a, b) if a - b <= eps

# x with `d` decimals (0-6), rounded half away from zero as in decimal, without a negative
# zero, identical on every engine. Magnitudes from 1e9 print as whole numbers and from
# 1e15 are capped: beyond 2^53 the engines' integers and floats part ways.
#
# Rounding a decimal half: a number written 64.9143965 is held by a 64-bit float a hair
# below the half (x * 1e6 = 64914396.49999999) and by OPA, whose arithmetic is more
# precise, at or above it: the two engines printed 64.914396 and 64.914397. The product is
# therefore taken with the scale raised by a relative 2^-50 (`scales_up`, ~4 units in the
# last place of a float): a value that close below a half counts as the half on both
# engines; anything farther from it rounds as before. This holds while the product stays
# below 1e12 (`raise_below`: 1e6 at six decimals); beyond, a float no longer holds the
# decimals exactly, plain scales are used, and the last digit may differ between engines.
# (One definition with `else` branches, which are mutually exclusive: regorus evaluates
# every definition of a function on each call; the scales are rules, evaluated once per
# decision, because regorus builds an array literal anew on every call.)
fixed(x, d) := s if {
	is_number(x)
	abs(x) < raise_below[d]
	scale := scales[d]
	n := round(abs(x) * scales_up[d])
	whole := floor(n / scale)
	frac := substring(sprintf("%d", [(n - (whole * scale)) + scale]), 1, d)
	s := concat("", [sign(x, n), sprintf("%d", [whole]), dot(frac), frac])
} else := s if {
	is_number(x)
	abs(x) < 1000000000
	scale := scales[d]
	n := round(abs(x) * scale)
	whole := floor(n / scale)
	frac := substring(sprintf("%d", [(n - (whole * scale)) + scale]), 1, d)
	s := concat("", [sign(x, n), sprintf("%d", [whole]), dot(frac), frac])
} else := sprintf("%d", [round(x)]) if {
	is_number(x)
	x >= 1000000000
	x < 1000000000000000
} else := concat("", ["-", sprintf("%d", [round(0 - x)])]) if {
	# the sign apart: regorus prints sprintf("%d", [-2000000000]) as "--2000000000"
	is_number(x)
	x <= -1000000000
	x > -1000000000000000
} else := ">= 1e15" if {
	is_number(x)
	x >= 1000000000000000
} else := "<= -1e15" if {
	is_number(x)
	x <= -1000000000000000
}

scales := [1, 10, 100, 1000, 10000, 100000, 1000000]

# Each scale times (1 + 2^-50), as the shortest decimals that a 64-bit float reads back
# exactly.
scales_up := [
	1.0000000000000009, 10.000000000000009, 100.00000000000009, 1000.0000000000009,
	10000.00000000001, 100000.00000000009, 1000000.0000000009,
]

# Below these magnitudes (by decimals) fixed() rounds with `scales_up`: x * 10^d < 1e12.
raise_below := [1000000000, 1000000000, 1000000000, 1000000000, 100000000, 10000000, 1000000]

# A number as text: up to 6 decimals, trailing zeros dropped (0.25, 365, 0.000001). A
# whole number below 1e9 is printed directly: fixed() would print it with ".000000" and
# the zeros would be dropped again. The sign is printed apart, as fixed() does: regorus
# prints sprintf("%d", [-25]) as "--25"; 0 takes the long way (no "-0" for a negative zero).
# (The whole-number tests come first: a fraction fails them at `round(x) == x`.)
num(x) := sprintf("%d", [x]) if {
	is_number(x)
	round(x) == x
	x > 0
	x < 1000000000
} else := concat("", ["-", sprintf("%d", [0 - x])]) if {
	is_number(x)
	round(x) == x
	x < 0
	x > -1000000000
} else := trim_suffix(trim_right(s, "0"), ".") if {
	# fixed(x, 6) written out below 1e6, where it prints a dot and 6 decimals (a branch,
	# not a call: regorus memoises no function call, and messages print many fractions)
	is_number(x)
	abs(x) < 1000000
	n := round(abs(x) * 1000000.0000000009)
	whole := floor(n / 1000000)
	frac := substring(sprintf("%d", [(n - (whole * 1000000)) + 1000000]), 1, 6)
	s := concat("", [sign(x, n), sprintf("%d", [whole]), ".", frac])
} else := trim_suffix(trim_right(fixed(x, 6), "0"), ".") if {
	is_number(x)
	abs(x) < 1000000000
} else := fixed(x, 6)

sign(x, n) := "-" if {
	x < 0
	n > 0
} else := ""

dot(frac) := "." if frac != "" else := ""

# x when it is a collection, else empty. `some v in x` and `v in x` over a scalar are
# undefined in OPA but an evaluation error in regorus; input documents are not trusted to
# have the right shapes, so every iteration over input goes through coll().
coll(x) := x if is_array(x) else := x if is_object(x) else := x if is_set(x) else := []

# x when it is an object, else {} (object.get on a scalar is an error in both engines).
obj(x) := x if is_object(x) else := {}

# Any value as text: numbers through num(), everything else as sprintf's %v.
show(x) := num(x) if is_number(x) else := sprintf("%v", [x])

# --- evidence --------------------------------------------------------------------------

# A metric usable for a decision: a finite number from a family whose status is "ok".
ok_number(x) if {
	is_number(x)
	x == x
}

# A share or probability: a number in [0, 1]. (ok_number written out, here and in
# psi_value: a helper calling a helper costs regorus a second call on every use.)
rate(x) if {
	is_number(x)
	x == x
	x >= 0
	x <= 1
}

# A PSI: a number >= 0.
psi_value(x) if {
	is_number(x)
	x == x
	x >= 0
}

drift := ev.drift

# Drift features whose metrics could not be computed (fail closed; no status is not "ok").
# (object.get, not `f.psi`: `not ok_number(f.psi)` with no psi never fires under OPA,
# which drops a negated call whose argument is undefined; regorus fires it)
# A feature that is not even an object is unmeasured too (as {}).
unmeasured_features contains obj(f) if {
	some f in coll(drift.features)
	object.get(obj(f), "status", null) != "ok"
}

unmeasured_features contains f if {
	some f in coll(drift.features)
	f.status == "ok"
	not psi_value(object.get(f, "psi", null))
}

# Monitored features that the latest scan does not report at all.
unscanned_features contains name if {
	drift
	some name in coll(object.get(plan, "features", []))
	not name in {f.name | some f in coll(drift.features)}
}

# Evidence families measured under another `monitoring` mapping than the card being
# decided: the scan stores the digest of the mapping it measured with (`monitoring_sha256`),
# the policy input adds the card's (`card_monitoring_sha256`). Another label, favourable
# outcome, feature list or threshold makes the figures stale whatever their age. A section
# without the scan's digest (supplied evidence, older scans) is not judged here.
stale_config contains fam if {
	evidence := ev # one reference to the rule, not one a family
	some fam in ["drift", "fairness", "performance", "operational"]
	section := object.get(evidence, fam, null)
	is_object(section) # (obj(): any other section has no digest)
	measured := object.get(section, "monitoring_sha256", null)
	measured != null
	measured != object.get(section, "card_monitoring_sha256", null)
}

stale_config_msg(fam) := sprintf("%v: the latest scan (%v) measured the card's monitoring section as it was before a change (label, prediction, features, protected attributes, threshold, ...); its figures are stale", [fam, show(object.get(obj(object.get(ev, fam, null)), "scan_id", null))])

stale_config_fix := "scan recent inference logs again with the current card (`govern scan`)"

# Most recent monitoring run over the measured evidence families.
last_monitoring_at := t if {
	t := latest_ts([[ns, x] |
		some fam in ["drift", "fairness", "performance", "operational"]
		x := ev[fam].scanned_at
		ns := ts_ns(x) # defined for a valid timestamp only
		ns <= now_ns # evidence dated after the evaluation clock proves nothing
	])
} else := null

# When the data behind the monitoring evidence last changed: the newest `data_changed_at`
# of the measured families (a scan records it: the time the newest of its files was first
# scanned for the version; re-reading the same files does not move it). null when no
# family records one (a store from before schema 8, supplied evidence): the monitoring-gap
# controls then judge last_monitoring_at alone.
last_data_change_at := t if {
	t := latest_ts([[ns, x] |
		some fam in ["drift", "fairness", "performance", "operational"]
		x := object.get(obj(ev), [fam, "data_changed_at"], null)
		ns := ts_ns(x)
		ns <= now_ns
	])
} else := null

# The monitoring runs within `max_days` re-read old data: the latest run is recent, but no
# scanned file is new for more than `max_days` (a dead inference-log pipeline, a zombie
# model without traffic). Exclusive with stale(last_monitoring_at, max_days), so a control
# denies once, with the message that names what is missing.
data_unchanged(max_days) if {
	not monitoring_stale(max_days)
	exceeds(data_unchanged_days, max_days)
}

# stale(last_monitoring_at, max_days), from the age of the latest run computed once per
# decision: last_monitoring_at is null or a valid timestamp (ts_ns defined, not after now).
monitoring_stale(max_days) if {
	last_monitoring_at == null
} else := true if {
	exceeds(last_monitoring_days, max_days)
}

# days_since(last_monitoring_at) and days_since(last_data_change_at), once per decision
# (undefined when null).
last_monitoring_days := days_since(last_monitoring_at)

data_unchanged_days := days_since(last_data_change_at)

# "no new inference data since <date> (<n> days)": the shared part of their messages.
data_unchanged_text := sprintf("no new inference data since %v (%v days); the scans since re-read the same files", [last_data_change_at, num(floor(data_unchanged_days))])

# The latest of timestamps given as [nanoseconds, text] pairs (the first of equal ones),
# undefined for none. The pairs carry each timestamp's ts_ns, computed once.
latest_ts(pairs) := t if {
	count(pairs) > 0
	latest := max([pair[0] | some pair in pairs])
	t := [pair[1] | some pair in pairs; pair[0] == latest][0]
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
	not now_valid
	v := {
		"control": "GATE-CLOCK", "severity": "critical",
		"msg": sprintf("clock: input.now %v is not an RFC 3339 timestamp", [show(object.get(input, "now", null))]),
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
		"msg": sprintf("lifecycle: cannot move from %v to %v", [show(current_stage), show(input.stage)]),
		"remediation": sprintf("pass the gates in order: %v", [concat(" -> ", stages)]),
	}
}
