# `===` is not a Rego operator
package govern.gates.development

deny contains "x" if {
	input.a === 1
}
