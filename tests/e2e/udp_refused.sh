#!/bin/bash
# A datagram to a closed kernel port brings back an ICMP port unreachable:
# the conversation's next read or write fails with ECONNREFUSED, once.
. "$(dirname "$0")/lib.sh"

# The value of "Name: value" in a stats file.
# Wait, at most 5 s, until the stack has counted N destination unreachables.
unreachables() {
	local i

	for ((i = 0; i < 100; i++)); do
		[ "$(counter "$MNT/icmp/stats" InDestUnreachs)" -ge "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

check "the daemon mounts $MNT" start_daemon

# A blocked read is woken by the error.
clone udp
echo "connect 10.77.0.1!9" >&"$CONV_FD"
check_eq "write, then a blocked read" $'write 5\nECONNREFUSED' \
	"$(timeout 5 "$FDTOOL" "$CONV/data" write:hello read)"

# Reported on the next write; then the error is consumed.
clone udp
echo "connect 10.77.0.1!9" >&"$CONV_FD"
check_eq "the first write goes" "write 5" "$("$FDTOOL" "$CONV/data" write:hello)"
check "the port unreachable comes back" unreachables 2
check_eq "the next write" ECONNREFUSED "$("$FDTOOL" "$CONV/data" write:hello)"
check_eq "and the one after" "write 5" "$("$FDTOOL" "$CONV/data" write:hello)"
