# 3-byte module `a=c` (no package); SIGSEGV in regopy when queried (RELIABILITY 3.5)
a=c
