#!/bin/bash
# ipifc/0/status counts the packets of a ping, in and out (pktin, pktout
# of ip(3); ibytes, obytes ours).
. "$(dirname "$0")/lib.sh"

S=$MNT/ipifc/0/status
check "the daemon mounts $MNT" start_daemon
ip0=$(field "$S" pktin) op0=$(field "$S" pktout)
ib0=$(field "$S" ibytes) ob0=$(field "$S" obytes)
echo "# before: pktin $ip0 pktout $op0 ibytes $ib0 obytes $ob0"
check_eq "ping -c 3 10.77.0.2: replies" 3 "$(ping_replies 10.77.0.2 3)"
ip1=$(field "$S" pktin) op1=$(field "$S" pktout)
ib1=$(field "$S" ibytes) ob1=$(field "$S" obytes)
echo "# after: pktin $ip1 pktout $op1 ibytes $ib1 obytes $ob1"
# 3 echo requests of 84 bytes in, 3 replies out (more may come: the host
# may send its own packets on a new link)
check_gt "pktin rose by at least 3" "$((ip1 - ip0 + 1))" 3
check_gt "pktout rose by at least 3" "$((op1 - op0 + 1))" 3
check_gt "ibytes rose by at least 3 x 84" "$((ib1 - ib0 + 1))" 252
check_gt "obytes rose by at least 3 x 84" "$((ob1 - ob0 + 1))" 252
stop_daemon
check_eq "SIGTERM: exit status" 0 "$?"
