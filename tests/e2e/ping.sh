#!/bin/bash
# The kernel pings the stack through the TUN: every echo is answered.
. "$(dirname "$0")/lib.sh"

check "the daemon mounts $MNT" start_daemon
check_eq "ping -c 3 10.77.0.2: replies" 3 "$(ping_replies 10.77.0.2 3)"
stop_daemon
check_eq "SIGTERM: exit status" 0 "$?"
