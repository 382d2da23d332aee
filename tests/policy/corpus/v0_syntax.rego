# v0 rule body without `if` (rego.v1 is the only accepted syntax)
package govern.gates.development

allow {
	true
}
