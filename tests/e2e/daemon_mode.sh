#!/bin/bash
# Without -f the command returns only once the mount is live, so the next
# line of a script can use it; umount then ends the daemon.
. "$(dirname "$0")/lib.sh"

timeout 20 "$SLASHNET" "$MNT" >>"$LOG" 2>&1
check_eq "slashnet $MNT: exit status" 0 "$?"
# no waiting: the tree must be there on the very next line
check "tcp/ is there at once" test -d "$MNT/tcp"
check "ipifc/0/status reads at once" grep -q $'^\t10\\.77\\.0\\.2 ' "$MNT/ipifc/0/status"
pids=$(daemon_pids)
check_eq "one daemon runs in the background" 1 "$(echo "$pids" | grep -c .)"
E2E_PIDS+=($pids)
check_eq "ping -c 1 10.77.0.2: replies" 1 "$(ping_replies 10.77.0.2 1)"

check "umount $MNT" umount "$MNT"
for pid in $pids; do
	check "the daemon exits after umount" wait_gone "$pid"
done
check "sn0 is removed" no_link sn0
