# exponential parser blow-up: 32 open braces after a default rule; regopy hangs > 30 s (RELIABILITY 3.4)
package p
default allow := false{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}
