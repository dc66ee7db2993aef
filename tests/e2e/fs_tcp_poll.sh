#!/bin/bash
# poll() on a TCP conversation's data: a poller waiting for POLLIN wakes
# when the data arrives; a non-blocking read with nothing queued gives
# EAGAIN; a connected conversation polls writable.
. "$(dirname "$0")/lib.sh"

check "the daemon mounts $MNT" start_daemon
kernel_echo 7777

clone tcp
echo "connect 10.77.0.1!7777" >&"$CONV_FD"
check_eq "O_NONBLOCK read with nothing queued" EAGAIN "$("$FDTOOL" -n -r "$CONV/data" read)"
check_eq "the same after fcntl O_NONBLOCK" $'nonblock\nEAGAIN' "$("$FDTOOL" -r "$CONV/data" nonblock read)"
check_eq "it polls writable" "poll POLLOUT" "$("$FDTOOL" "$CONV/data" poll:out:1000)"

# The poller: nothing to read at first, then it waits; the line written
# once it says so comes back from the echo server and wakes it.
spawn poller timeout 10 "$FDTOOL" -r "$CONV/data" poll:in:0 say:waiting poll:in:5000 read
check "the poller waits" wait_for "$E2E_DIR/poller.out" waiting 5
echo "wake up" >"$CONV/data"
wait_exit "$SPAWN_PID" 10
check_eq "the poller: exit status" 0 "$?"
check_eq "the poller saw nothing, waited, woke with POLLIN, read the line" \
	$'poll timeout\nwaiting\npoll POLLIN\nread wake up' "$(cat "$E2E_DIR/poller.out")"
