# METADATA
# title: Validation gate of the acceptance cases: the training data is declared
package govern.gates.validation

import rego.v1

deny contains {
	"control": "MRM-DEV-02",
	"severity": "medium",
	"msg": "lineage: training data not declared",
	"remediation": "set `lineage.training_data` in the model card",
} if {
	not input.model.lineage.training_data
}
