#!/bin/bash
# The last close of a TCP conversation is a graceful close: the data
# written just before still arrives, then the peer reads EOF.
. "$(dirname "$0")/lib.sh"

check "the daemon mounts $MNT" start_daemon
kernel_sink 9000
shell_connect '10.77.0.1!9000'
head -c 100000 /dev/zero >"$MNT/tcp/$n/data"
exec 3<&-
check "the peer reads EOF" wait_for "$E2E_DIR/sink.out" '^eof' 5
check_eq "after every byte" "eof 100000" "$(grep -E '^(eof|reset)' "$E2E_DIR/sink.out")"
