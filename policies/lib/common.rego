# Helpers shared by the gates: tier parameters and evidence lookups.
package govern.lib

import rego.v1

params := data.govern.params.tier[sprintf("%v", [input.model.risk_tier])]

drift := input.evidence.drift

# Features whose drift metrics could not be computed (fail closed).
unmeasured_features contains f if {
	some f in drift.features
	f.status != "ok"
}
