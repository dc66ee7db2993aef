#!/bin/bash
# ipifc/0/status counts the packets of a ping, in and out.
. "$(dirname "$0")/lib.sh"

S=$MNT/ipifc/0/status
check "the daemon mounts $MNT" start_daemon
ip0=$(field "$S" ipackets) op0=$(field "$S" opackets)
ib0=$(field "$S" ibytes) ob0=$(field "$S" obytes)
echo "# before: ipackets $ip0 opackets $op0 ibytes $ib0 obytes $ob0"
check_eq "ping -c 3 10.77.0.2: replies" 3 "$(ping_replies 10.77.0.2 3)"
ip1=$(field "$S" ipackets) op1=$(field "$S" opackets)
ib1=$(field "$S" ibytes) ob1=$(field "$S" obytes)
echo "# after: ipackets $ip1 opackets $op1 ibytes $ib1 obytes $ob1"
# 3 echo requests of 84 bytes in, 3 replies out (more may come: the host
# may send its own packets on a new link)
check_gt "ipackets rose by at least 3" "$((ip1 - ip0 + 1))" 3
check_gt "opackets rose by at least 3" "$((op1 - op0 + 1))" 3
check_gt "ibytes rose by at least 3 x 84" "$((ib1 - ib0 + 1))" 252
check_gt "obytes rose by at least 3 x 84" "$((ob1 - ob0 + 1))" 252
stop_daemon
check_eq "SIGTERM: exit status" 0 "$?"
