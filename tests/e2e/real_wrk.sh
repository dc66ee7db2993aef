#!/bin/bash
# wrk through examples/forward.sh (50 connections kept alive, to nginx on
# the kernel's side); wrk ends by closing them all at once, mid-request
# for some: within 2 s no relay is left and the stack holds no
# conversation beyond the forwarder's Listen and Time_wait.
# e2e-timeout: 90
. "$(dirname "$0")/lib.sh"

check "the daemon mounts $MNT" start_daemon
kernel_nginx 8081
forwarder 8000 '10.77.0.1!8081'

timeout 30 wrk -t2 -c50 -d10s http://10.77.0.2:8000/ >"$E2E_DIR/wrk.out" 2>&1
check_eq "wrk ran to its end" 0 "$?"
echo "# wrk: $(grep -E 'Requests/sec|Latency' "$E2E_DIR/wrk.out" | tr -s ' ' | paste -sd';')"
check_gt "wrk got answers" "$(awk '/requests in/ { print $1 }' "$E2E_DIR/wrk.out")" 100

# What is left: relays (the forwarder's children) and conversations.
relays() {
	pgrep -P "$FORWARD_PID" | wc -l
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
	[ "$(relays)" -eq 0 ] && [ "$(live_convs)" -eq 0 ]
}
t=0
until settled || ((t >= 40)); do
	sleep 0.05
	t=$((t + 1))
done
check_eq "relays left 2 s after wrk" 0 "$(relays)"
check_eq "conversations left beyond Listen and Time_wait" 0 "$(live_convs)"
