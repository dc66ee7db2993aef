#!/bin/bash
# The TUN deleted under a running daemon: it does not spin on the dead
# device; it says so, unmounts and exits with status 1.
. "$(dirname "$0")/lib.sh"

check "the daemon mounts $MNT" start_daemon
check "ip link del sn0" ip link del sn0
wait_exit "$DAEMON_PID" 5
check_eq "exit status" 1 "$?"
check "the mount is gone" not_mounted "$MNT"
check "it said why" grep -q "sn0: the network is gone" "$LOG"
