#!/bin/bash
# Connection rate: CALLS times (1000; 100 with QUICK) connect, send 1 KB,
# close, to a server one router hop away; µs per connection, the kernel
# (sockets), /net (clone, connect, data, close), the netcore C API
# (blocking calls on its own TUN: the stack without FUSE) and the floor
# (the same files through fusefloor, a file system that answers them from
# memory: FUSE without the network, the least /net could take) in turn,
# ROUNDS times.
# ncbench does both loops; the far end (ncbench sink) reads each caller
# to its end and counts it. DAEMON_ARGS: daemon options for a comparison
# ("--boost 0").
. "$(dirname "$0")/lib.sh"

if [ "$QUICK" = 1 ]; then CALLS=${CALLS:-100}; else CALLS=${CALLS:-1000}; fi
PORT=9004

kernel_connects() {
	in_ns "$KCLIENT" "$NCBENCH" connects "$FAR_ADDR" "$PORT" "$CALLS"
}

net_connects() {
	"$NCBENCH" netconnects "$MNT" "$FAR_ADDR" "$PORT" "$CALLS"
}

floor_connects() {
	"$NCBENCH" netconnects "$FLOOR_MNT" "$FAR_ADDR" "$PORT" "$CALLS"
}

# floor_round R: the floor's connections of round R (none reaches the
# sink, so they are counted by ncbench alone).
floor_round() {
	local n t0 t1

	read -r n t0 t1 _ <<<"$(floor_connects)"
	if [ "${n:-0}" = "$CALLS" ]; then
		result connect floor µs "$(usec "$CALLS" "$t0" "$t1")"
	else
		not_ok "floor, round $1: ${n:-none} of $CALLS"
		fails=$((fails + 1))
	fi
}

api_connects() {
	"$NCBENCH" api "${API_STACK[@]}" connects "$FAR_ADDR" "$PORT" "$CALLS"
}

# wait_served COUNT: until the sink has read COUNT callers to their end
# (its lines after "ready"), at most 30 s; each read exactly 1 KB.
wait_served() {
	local i

	for ((i = 0; i < 600; i++)); do
		[ "$(grep -c '^1024 ' "$E2E_DIR/sink.out")" -ge "$1" ] && break
		sleep 0.05
	done
	[ "$(grep -c '^1024 ' "$E2E_DIR/sink.out")" -eq "$1" ] &&
		[ "$(wc -l <"$E2E_DIR/sink.out")" -eq $(($1 + 1)) ]
}

check "a router: far end, kernel client" router
# shellcheck disable=SC2086
check "the daemon mounts $MNT" start_daemon ${DAEMON_ARGS:-}
sysctl -qw net.core.somaxconn=4096
in_ns "$FAR" sysctl -qw net.core.somaxconn=4096
far sink sink "$PORT"
FLOOR_MNT=$E2E_DIR/floor
mkdir -p "$FLOOR_MNT"
spawn floor "$E2E_BUILD/tests/bench/fusefloor" "$FLOOR_MNT"
FLOOR_PID=$SPAWN_PID
check "fusefloor mounts $FLOOR_MNT" eventually test -f "$FLOOR_MNT/tcp/clone"
fails=0
served=0
for ((r = 1; r <= ROUNDS; r++)); do
	for who in kernel net api; do
		read -r n t0 t1 _ <<<"$("${who}_connects")"
		served=$((served + CALLS))
		if [ "${n:-0}" != "$CALLS" ] || ! wait_served "$served"; then
			not_ok "connections, $who, round $r: ${n:-none} of $CALLS, or not 1 KB each"
			fails=$((fails + 1))
			served=$(($(wc -l <"$E2E_DIR/sink.out") - 1))
			continue
		fi
		result connect "$who" µs "$(usec "$CALLS" "$t0" "$t1")"
	done
	floor_round "$r"
done
check_eq "every run of $CALLS connections completed" 0 "$fails"
stop_daemon
kill -TERM "$FLOOR_PID" 2>/dev/null
check "fusefloor unmounts and exits" wait_exit "$FLOOR_PID" 10
