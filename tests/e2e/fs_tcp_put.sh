#!/bin/bash
# A TCP client in pure shell uploads 4 MB with `cat file >data` to the
# kernel's socat; the last close sends FIN after the data: socat writes
# every byte and sees the end.
. "$(dirname "$0")/lib.sh"

check "the daemon mounts $MNT" start_daemon
head -c $((4 << 20)) /dev/urandom >"$E2E_DIR/file"
spawn sink socat -u TCP4-LISTEN:9000,bind=10.77.0.1,reuseaddr CREATE:"$E2E_DIR/got"
sink=$SPAWN_PID
check "socat listens on 10.77.0.1:9000" wait_listen 9000

exec 3<>"$MNT/tcp/clone"
read -r n <&3
echo "connect 10.77.0.1!9000" >&3
check_eq "connect 10.77.0.1!9000: exit status" 0 "$?"
timeout 30 cat "$E2E_DIR/file" >"$MNT/tcp/$n/data"
check_eq "cat file >data: exit status" 0 "$?"
exec 3<&-
wait_exit "$sink" 20
check_eq "socat saw the end: exit status" 0 "$?"
check_eq "4 MB arrived" $((4 << 20)) "$(stat -c %s "$E2E_DIR/got")"
check "byte-identical" cmp "$E2E_DIR/file" "$E2E_DIR/got"
