#!/bin/bash
# --busy-poll: the loop polls only while events come close together.
# 2000 one-byte round trips through a data file (where it polls) all
# complete, with the default (polling 50 µs) and with --busy-poll 0;
# once they stop the daemon sleeps: over the next second it uses at most
# 5% of a CPU (a loop that kept polling would use all of one).
. "$(dirname "$0")/lib.sh"

NCBENCH=$E2E_BUILD/tests/bench/ncbench
ROUNDS=2000

# pingpongs: ROUNDS round trips on a new conversation with the echo
# server; the count done.
pingpongs() {
	local out

	clone tcp && ctl "connect 10.77.0.1!9000" || return 1
	out=$("$NCBENCH" pingpong 0 "$ROUNDS" <>"$CONV/data")
	exec {CONV_FD}>&-
	echo "${out%% *}"
}

for opt in "" "--busy-poll 0"; do
	check "the daemon mounts $MNT ${opt:-(default)}" start_daemon $opt
	[ -z "$opt" ] && kernel_echo 9000	# the first daemon's TUN is up
	check_eq "${opt:-default}: $ROUNDS round trips" "$ROUNDS" "$(pingpongs)"
	t0=$(proc_ticks "$DAEMON_PID")
	sleep 1		# the window measured, not a wait for an event
	t1=$(proc_ticks "$DAEMON_PID")
	hz=$(getconf CLK_TCK)
	echo "# ${opt:-default}: the daemon's CPU in the idle second: $((t1 - t0)) of $hz ticks"
	check "${opt:-default}: idle afterwards (at most 5% of a CPU)" \
		test $(((t1 - t0) * 20)) -le "$hz"
	stop_daemon
done
