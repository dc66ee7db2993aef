#!/bin/bash
# SIGTERM on the daemon resets its open TCP connections (the peer gets an
# RST), unmounts, removes the TUN and exits 0.
. "$(dirname "$0")/lib.sh"

check "the daemon mounts $MNT" start_daemon
spawn sink kpeer tcp-sink 10.77.0.1 9000
check "the kernel sink is ready" wait_for "$E2E_DIR/sink.out" ready

exec 3<>"$MNT/tcp/clone"
read -r n <&3
echo "connect 10.77.0.1!9000" >&3
check_eq "connect 10.77.0.1!9000: exit status" 0 "$?"
check "the peer accepted" wait_for "$E2E_DIR/sink.out" accepted 5
check_eq "status: Established" Established "$(cut -d' ' -f1 "$MNT/tcp/$n/status")"
kill -TERM "$DAEMON_PID"
wait_exit "$DAEMON_PID" 10
check_eq "SIGTERM: exit status" 0 "$?"
check "the peer got a reset" wait_for "$E2E_DIR/sink.out" '^reset' 5
check "the mount is gone" not_mounted "$MNT"
check "sn0 is removed" no_link sn0
