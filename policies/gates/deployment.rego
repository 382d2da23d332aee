# METADATA
# title: Deployment and monitoring set-up gate
# description: A model is deployed only with a monitoring plan that names the features it tracks.
# custom:
#   source: SR 26-2 (ongoing monitoring plan); CONTROLS.md MRM-MON-01
package govern.gates.deployment

import rego.v1

deny contains {
	"control": "MRM-MON-01",
	"msg": "no monitoring plan: `monitoring.features` is empty",
	"severity": "high",
	"remediation": "list the monitored features under `monitoring.features`",
} if {
	count(object.get(input.model, ["monitoring", "features"], [])) == 0
}
