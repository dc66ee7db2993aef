#!/bin/bash
# ctl connect errors the network gives (SPEC §3), with their text in err:
# ECONNREFUSED (RST), ETIMEDOUT (`timeout 1000`, SYNs dropped by
# nftables), EHOSTUNREACH and ENETUNREACH (ICMP from the forwarding kernel).
. "$(dirname "$0")/lib.sh"

# row ERRNO REASON COMMAND...: on a new conversation, the writes of the
# COMMANDs to ctl, the last fails with ERRNO; err then reads REASON, what
# is wrong in words.
row() {
	local errno=$1 reason=$2 out cmd ops=()

	shift 2
	for cmd; do ops+=("write:$cmd"); done
	clone tcp
	out=$(timeout 20 "$FDTOOL" -w "$CONV/ctl" "${ops[@]}" | tail -n 1)
	check_eq "$*" "$errno" "$out"
	check_eq "err after $cmd" "$reason" "$(cat "$CONV/err")"
}

check "the daemon mounts $MNT" start_daemon
check "forwarding on" sysctl -qw net.ipv4.ip_forward=1
check "route 10.78.0.0/24 unreachable" ip route add unreachable 10.78.0.0/24
check "nftables drops TCP to port 9999" nft -f - <<'NFT'
table inet e2e {
	chain in {
		type filter hook input priority 0;
		tcp dport 9999 drop
	}
}
NFT

row ECONNREFUSED "connect: 10.77.0.1!9 refused the connection: Connection refused" "connect 10.77.0.1!9"
start=$EPOCHREALTIME
row ETIMEDOUT "connect: no answer from 10.77.0.1!9999: Connection timed out" "timeout 1000" "connect 10.77.0.1!9999"
ms=$(((${EPOCHREALTIME/./} - ${start/./}) / 1000))
check "after the 1 s timeout (took $ms ms)" test "$ms" -ge 900 -a "$ms" -lt 3000
row EHOSTUNREACH "connect: host 10.78.0.5 is unreachable: No route to host" "connect 10.78.0.5!80"
row ENETUNREACH "connect: no route to 10.78.1.5: Network is unreachable" "connect 10.78.1.5!80"
check_eq "status of a failed conversation: Closed" Closed "$(cut -d' ' -f1 "$CONV/status")"
