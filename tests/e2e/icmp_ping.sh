#!/bin/bash
# examples/ping.sh, ping in shell over /net/icmp, gets replies from the
# kernel with their round-trip times; an address nobody has gets none.
. "$(dirname "$0")/lib.sh"

PING=$E2E_ROOT/examples/ping.sh

check "the daemon mounts $MNT" start_daemon
out=$(bash "$PING" -c 3 -i 0.1 -m "$MNT" 10.77.0.1)
check_eq "ping.sh 10.77.0.1: exit status" 0 "$?"
echo "$out" | sed 's/^/# /'
check_eq "three replies with their times" 3 \
	"$(grep -c '^56 bytes from 10\.77\.0\.1: seq=[123] time=[0-9]*\.[0-9]\{3\} ms$' <<<"$out")"
check "the summary" grep -q '^3 packets transmitted, 3 received, 0% packet loss$' <<<"$out"
check "round-trip times" grep -q '^rtt min/avg/max = [0-9.]*/[0-9.]*/[0-9.]* ms$' <<<"$out"
check_eq "the kernel counted three echo replies" 3 \
	"$(snmp Icmp OutEchoReps)"

out=$(bash "$PING" -c 2 -i 0.1 -W 1 -m "$MNT" 10.77.0.9)
check_eq "ping.sh 10.77.0.9 (nobody): exit status" 1 "$?"
check "no reply" grep -q '^2 packets transmitted, 0 received, 100% packet loss$' <<<"$out"
