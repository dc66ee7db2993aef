#!/bin/bash
# Issue 12, acceptance 3: 1000 kernel connections to a port announced on
# the stack (backlog 1000) that nobody accepts, each pushing data for 20 s:
# a connection on the accept queue is offered one 16 KiB chunk of window,
# so the daemon, started with a budget of 64 MiB for socket buffers
# (--bufmem), stays under that budget + 20 MB, and well under the budget
# itself (it is not what held it).
# e2e-timeout: 120
. "$(dirname "$0")/lib.sh"

N=1000
PUSH_SECONDS=20
BUDGET=64	# MiB

rss() {
	awk '/^VmRSS/ { print $2 }' "/proc/$DAEMON_PID/status"
}

ulimit -n 8192
check "the daemon mounts $MNT with --bufmem $BUDGET" start_daemon --bufmem "$BUDGET"
clone tcp
ctl "backlog $N"
check_eq "announce *!8081" 0 "$(ctl 'announce *!8081'; echo $?)"
rss0=$(rss)
spawn push python3 "$E2E_ROOT/tests/e2e/flood.py" push 10.77.0.2 8081 "$N" "$PUSH_SECONDS"
push_pid=$SPAWN_PID
check "the kernel connected" wait_for "$E2E_DIR/push.out" connected 60
check_eq "every connection was made" "connected $N" "$(grep connected "$E2E_DIR/push.out")"
peak=$rss0
for ((i = 0; i < 600; i++)); do		# at most 60 s
	r=$(rss)
	[ "$r" -gt "$peak" ] && peak=$r
	exited "$push_pid" && break
	sleep 0.1
done
check "the pushing ends" wait_exit "$push_pid" 30
pushed=$(sed -n 's/^pushed //p' "$E2E_DIR/push.out")
echo "# pushed ${pushed:-?} bytes; daemon RSS $rss0 KiB before, peak $peak KiB"
check_gt "the kernel pushed data" "${pushed:-0}" 0
check_gt "the daemon's RSS stayed under the budget + 20 MB" $(((BUDGET + 20) * 1024)) "$peak"
check_gt "it grew by less than 40 MB: one chunk per waiting connection" \
	$((rss0 + 40 * 1024)) "$peak"
check "the daemon is still there" kill -0 "$DAEMON_PID"
