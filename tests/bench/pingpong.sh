#!/bin/bash
# Latency: PINGS (10000; 1000 with QUICK) round trips of 1 byte to an echo
# server one router hop away, µs per round trip, every contender in turn,
# ROUNDS times: the kernel (a /dev/tcp socket of bash), /net (the data
# file of a conversation), the netcore C API. ncbench does the loop in
# all three, so only the path differs. DAEMON_ARGS: daemon options for a
# comparison ("--busy-poll 50").
. "$(dirname "$0")/lib.sh"

if [ "$QUICK" = 1 ]; then PINGS=${PINGS:-1000}; else PINGS=${PINGS:-10000}; fi
PORT=9003

kernel_pingpong() {
	in_ns "$KCLIENT" bash -c '"$0" pingpong 0 "$3" <>/dev/tcp/$1/$2' \
		"$NCBENCH" "$FAR_ADDR" "$PORT" "$PINGS"
}

net_pingpong() {
	clone tcp && ctl "connect $FAR_ADDR!$PORT" || return 1
	"$NCBENCH" pingpong 0 "$PINGS" <>"$CONV/data"
}

api_pingpong() {
	"$NCBENCH" api "${API_STACK[@]}" pingpong "$FAR_ADDR" "$PORT" "$PINGS"
}

check "a router: far end, kernel client" router
# shellcheck disable=SC2086
check "the daemon mounts $MNT" start_daemon ${DAEMON_ARGS:-}
far echo echo "$PORT"
fails=0
for ((r = 1; r <= ROUNDS; r++)); do
	for who in kernel net api; do
		read -r n t0 t1 _ <<<"$("${who}_pingpong")"
		if [ "${n:-0}" != "$PINGS" ]; then
			not_ok "ping-pong, $who, round $r: ${n:-no} round trips of $PINGS"
			fails=$((fails + 1))
			continue
		fi
		result pingpong "$who" µs "$(usec "$PINGS" "$t0" "$t1")"
	done
done
check_eq "every ping-pong run of $PINGS round trips completed" 0 "$fails"
stop_daemon
