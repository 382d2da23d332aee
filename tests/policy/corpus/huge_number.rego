# number literal beyond float64 (1e999999)
package govern.gates.development

limit := 1e999999

deny contains "psi above limit" if {
	input.evidence.psi > limit
}
