# string literal never closed
package govern.gates.development

deny contains "x if {
	true
}
