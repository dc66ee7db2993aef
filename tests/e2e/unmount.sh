#!/bin/bash
# umount / fusermount3 -u: the daemon exits 0 and removes its TUN.
. "$(dirname "$0")/lib.sh"

check "the daemon mounts $MNT" start_daemon
check "umount $MNT" umount "$MNT"
wait_exit "$DAEMON_PID" 10
check_eq "after umount: exit status" 0 "$?"
check "sn0 is removed" no_link sn0

check "started again, it mounts" start_daemon
check "fusermount3 -u $MNT" fusermount3 -u "$MNT"
wait_exit "$DAEMON_PID" 10
check_eq "after fusermount3 -u: exit status" 0 "$?"
check "sn0 is removed" no_link sn0
