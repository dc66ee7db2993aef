#!/bin/bash
# The kernel forwards the stack's packets; its route to 10.78.0.0/24 is
# "unreachable": it answers the SYN with an ICMP host unreachable, and
# connect() fails with EHOSTUNREACH at once.
. "$(dirname "$0")/lib.sh"

check "forwarding on" sysctl -qw net.ipv4.ip_forward=1
check "route 10.78.0.0/24 unreachable" ip route add unreachable 10.78.0.0/24
start=$EPOCHREALTIME
out=$(timeout 20 "$NCTOOL" connect 10.78.0.5 80 10000 2>/dev/null)
check_eq "nctool connect: exit status" 2 "$?"
ms=$(((${EPOCHREALTIME/./} - ${start/./}) / 1000))
check_eq "connect 10.78.0.5:80" EHOSTUNREACH "$out"
check "at once, not at the 10 s timeout (took $ms ms)" test "$ms" -lt 5000
check_gt "the kernel sent an ICMP unreachable" "$(snmp Icmp OutDestUnreachs)" 0
