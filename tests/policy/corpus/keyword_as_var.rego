# the keyword `some` used as a variable name
package govern.gates.development

some := 1
