# METADATA
# title: Validation gate
# description: Validation needs the training data lineage to be declared.
# custom:
#   source: SR 11-7 §VI (type and source of inputs); EU AI Act Art. 10(2)
package govern.gates.validation

import rego.v1

deny contains {
	"control": "MRM-DEV-02",
	"msg": "training data lineage is not declared",
	"severity": "high",
	"remediation": "add `lineage.training_data` to the model card",
} if {
	not input.model.lineage.training_data
}
