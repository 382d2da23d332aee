# rules without a package line
deny contains "x" if {
	input.a == 1
}
