# METADATA
# title: Deployment gate used to check where findings point in the card
package govern.gates.deployment

import rego.v1

# Names the field through evidence.field: points at `monitoring.features` (line 9).
deny contains {
	"control": "MRM-MON-01",
	"msg": "no monitored features",
	"severity": "high",
	"evidence": {"field": "monitoring.features"},
} if {
	count(object.get(input.model, ["monitoring", "features"], [])) == 0
}

# Names the field in backticks only: the missing `lineage.training_data` has no line,
# and neither has `lineage`, so the finding falls back to line 1.
warn contains {
	"control": "MRM-DEV-02",
	"msg": "`lineage.training_data` is not declared",
	"severity": "medium",
} if {
	not input.model.lineage.training_data
}

# Backticked field that exists: points at `risk_tier` (line 4).
warn contains {
	"control": "MRM-TIER-01",
	"msg": "tier 3 models need a reviewer: check `risk_tier`",
	"severity": "low",
} if {
	input.model.risk_tier == 3
}
