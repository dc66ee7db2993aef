#!/bin/bash
# SIGTERM on the daemon resets its open TCP connections (the peer gets an
# RST), unmounts, removes the TUN and exits 0.
. "$(dirname "$0")/lib.sh"

check "the daemon mounts $MNT" start_daemon
kernel_sink 9000
shell_connect '10.77.0.1!9000'
check "the peer accepted" wait_for "$E2E_DIR/sink.out" accepted 5
check_eq "status: Established" Established "$(cut -d' ' -f1 "$MNT/tcp/$n/status")"
kill -TERM "$DAEMON_PID"
wait_exit "$DAEMON_PID" 10
check_eq "SIGTERM: exit status" 0 "$?"
check "the peer got a reset" wait_for "$E2E_DIR/sink.out" '^reset' 5
check "the mount is gone" not_mounted "$MNT"
check "sn0 is removed" no_link sn0
