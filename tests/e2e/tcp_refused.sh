#!/bin/bash
# connect() to a closed kernel port: the kernel answers the SYN with an
# RST and connect fails with ECONNREFUSED.
. "$(dirname "$0")/lib.sh"

out=$(timeout 20 "$NCTOOL" connect 10.77.0.1 9 2>/dev/null)
check_eq "nctool connect: exit status" 2 "$?"
check_eq "connect 10.77.0.1:9" ECONNREFUSED "$out"
check_eq "the kernel sent the RST" 1 "$(snmp Tcp OutRsts)"
