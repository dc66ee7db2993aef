#!/bin/bash
# `echo hangup >ctl` (a shell redirection: open with O_TRUNC, write,
# close) aborts a TCP conversation: the peer gets a reset, the status is
# Closed.
. "$(dirname "$0")/lib.sh"

check "the daemon mounts $MNT" start_daemon
kernel_sink 9000
shell_connect '10.77.0.1!9000'
check "the peer accepted" wait_for "$E2E_DIR/sink.out" accepted 5
echo hangup >"$MNT/tcp/$n/ctl"
check_eq "echo hangup >ctl: exit status" 0 "$?"
check "the peer gets a reset" wait_for "$E2E_DIR/sink.out" '^reset' 5
check_eq "status: Closed" Closed "$(cut -d' ' -f1 "$MNT/tcp/$n/status")"
