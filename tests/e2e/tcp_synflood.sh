#!/bin/bash
# Issue 12, acceptance 1: 10 000 SYNs from spoofed random sources (a raw
# socket of the kernel side, tests/e2e/flood.py) at a port announced on
# the stack, whose SYN queue holds 128. Meanwhile a transfer in progress
# (the stack sends 8 MiB to a kernel reader) stays byte-identical, kernel
# clients connecting during and right after the flood get through within
# 1 s (SYN cookies), and the daemon's RSS grows by less than 10 MB.
# e2e-timeout: 120
. "$(dirname "$0")/lib.sh"

FLOOD=${FLOOD:-10000}	# FLOOD=N in the environment tries another size
FLOOD_SECONDS=3

rss() {
	awk '/^VmRSS/ { print $2 }' "/proc/$DAEMON_PID/status"
}

stat_of() {
	counter "$MNT/tcp/stats" "$1"
}

flood() {
	python3 "$E2E_ROOT/tests/e2e/flood.py" "$@"
}

# announce *!8080, then take every call: the first (the transfer) is
# sent the file src, the others (the probes) are closed at once.
server() {
	local l n i

	exec 3<>"$MNT/tcp/clone" || return 1
	read -r l <&3
	echo 'announce *!8080' >&3 || return 1
	echo "announced $l"
	for ((i = 1; i <= 1000; i++)); do
		exec 5<"$MNT/tcp/$l/listen" || return 1
		read -r n <&5
		if [ "$i" = 1 ]; then
			dd if="$E2E_DIR/src" bs=64k status=none 1<>"$MNT/tcp/$n/data" 5<&- &
		fi
		exec 5<&-
	done
}

# slow_connects FILE: the probes' lines that are not a connect under 1 s.
slow_connects() {
	awk '$1 != "connect" || $2 >= 1000' "$1"
}

check "the daemon mounts $MNT" start_daemon
spawn server server
check "the server announced" wait_for "$E2E_DIR/server.out" announced
head -c $((8 << 20)) /dev/urandom >"$E2E_DIR/src"
rss0=$(rss)

spawn recv flood recv 10.77.0.2 8080 "$E2E_DIR/got" $((8 << 20)) 6
recv_pid=$SPAWN_PID
check "the transfer has begun" wait_for "$MNT/tcp/stats" "^PassiveOpens: 1$" 10
spawn flood flood syn 10.77.0.2 8080 "$FLOOD" "$FLOOD_SECONDS"
flood_pid=$SPAWN_PID
spawn probe flood probe 10.77.0.2 8080 "$FLOOD_SECONDS"
probe_pid=$SPAWN_PID
peak=$rss0
for ((i = 0; i < 300; i++)); do		# at most 30 s
	r=$(rss)
	[ "$r" -gt "$peak" ] && peak=$r
	exited "$flood_pid" && break
	sleep 0.1
done
check "the flood ends" wait_exit "$flood_pid" 30
check_eq "the flood was sent" "sent $FLOOD" "$(cat "$E2E_DIR/flood.out")"
flood probe 10.77.0.2 8080 0.01 >"$E2E_DIR/after.out" 2>&1
check "the probes end" wait_exit "$probe_pid" 30
echo "# probes during the flood (ms): $(awk '{ printf "%s ", $2 }' "$E2E_DIR/probe.out")"
echo "# right after: $(cat "$E2E_DIR/after.out")"
check_gt "connects were tried during the flood" "$(grep -c . "$E2E_DIR/probe.out")" 5
check_eq "each connected within 1 s" "" "$(slow_connects "$E2E_DIR/probe.out")"
check_eq "a connect right after the flood takes under 1 s" "" \
	"$(slow_connects "$E2E_DIR/after.out")"
wait_exit "$recv_pid" 60
check_eq "the transfer's receiver finished" 0 "$?"
check_eq "it received every byte" "received $((8 << 20))" "$(cat "$E2E_DIR/recv.out")"
check "the transfer arrived byte-identical" cmp -s "$E2E_DIR/src" "$E2E_DIR/got"
sent=$(stat_of SyncookiesSent)
echo "# SyncookiesSent $sent SyncookiesRecv $(stat_of SyncookiesRecv)" \
	"SyncookiesFailed $(stat_of SyncookiesFailed)"
check_gt "the SYN queue overflowed: cookies were sent" "$sent" $((FLOOD / 2))
check_gt "connections were made from cookies" "$(stat_of SyncookiesRecv)" 0
r=$(rss)
[ "$r" -gt "$peak" ] && peak=$r
echo "# daemon RSS: $rss0 KiB before, peak $peak KiB"
check_gt "the daemon's RSS grew by less than 10 MB" $((rss0 + 10240)) "$peak"
check "the daemon is still there" kill -0 "$DAEMON_PID"
