#!/bin/bash
# wrk through examples/forward.sh, then through examples/netforward (50
# connections kept alive, to nginx on the kernel's side); wrk ends by
# closing them all at once, mid-request for some: within 2 s no relay is
# left and the stack holds no conversation beyond the forwarders' Listen
# and Time_wait.
# e2e-timeout: 120
. "$(dirname "$0")/lib.sh"

check "the daemon mounts $MNT" start_daemon
kernel_nginx 8081
forwarder 8000 '10.77.0.1!8081'
netforwarder 8001 '10.77.0.1!8081'
NETFORWARD_PID=$SPAWN_PID

# What is left: relays (a forwarder's children, forward.sh's, or threads
# beside its main one, netforward's) and conversations.
relays() {
	local threads

	threads=$(ls "/proc/$1/task" | wc -l)
	echo $(($(pgrep -P "$1" | wc -l) + threads - 1))
}
live_convs() {
	local d st n=0

	for d in "$MNT"/tcp/[0-9]*; do
		read -r st _ 2>/dev/null <"$d/status" || continue
		case $st in Listen | Time_wait) ;; *) n=$((n + 1)) ;; esac
	done
	echo "$n"
}
settled() {
	[ "$(relays "$1")" -eq 0 ] && [ "$(live_convs)" -eq 0 ]
}

# through NAME PORT PID: wrk through the forwarder PID listening on PORT.
through() {
	local t=0

	timeout 30 wrk -t2 -c50 -d10s "http://10.77.0.2:$2/" >"$E2E_DIR/wrk.out" 2>&1
	check_eq "$1: wrk ran to its end" 0 "$?"
	echo "# wrk through $1: $(grep -E 'Requests/sec|Latency' "$E2E_DIR/wrk.out" | tr -s ' ' | paste -sd';')"
	check_gt "$1: wrk got answers" "$(awk '/requests in/ { print $1 }' "$E2E_DIR/wrk.out")" 100
	until settled "$3" || ((t >= 40)); do
		sleep 0.05
		t=$((t + 1))
	done
	check_eq "$1: relays left 2 s after wrk" 0 "$(relays "$3")"
	check_eq "$1: conversations left beyond Listen and Time_wait" 0 "$(live_convs)"
}

through forward.sh 8000 "$FORWARD_PID"
through netforward 8001 "$NETFORWARD_PID"
