#!/bin/bash
# SIGTERM: exit status 0, the mount is gone, the TUN it created is removed.
. "$(dirname "$0")/lib.sh"

check "the daemon mounts $MNT" start_daemon
check "sn0 exists while it runs" has_link sn0
stop_daemon
check_eq "SIGTERM: exit status" 0 "$?"
check "the mount is gone" not_mounted "$MNT"
check "sn0 is removed" no_link sn0

check "started again, it mounts" start_daemon
kill -INT "$DAEMON_PID"
wait_exit "$DAEMON_PID" 10
check_eq "SIGINT: exit status" 0 "$?"
check "the mount is gone" not_mounted "$MNT"
check "sn0 is removed" no_link sn0
