#!/bin/bash
# The daemon mounts its tree with the default addresses (SPEC §1, §2) and
# configures the host side of the TUN.
. "$(dirname "$0")/lib.sh"

check "the daemon mounts $MNT" start_daemon
check "the mount is listed" is_mounted "$MNT"
for d in tcp udp icmp ipifc/0; do
	check "$d/ is a directory" test -d "$MNT/$d"
done
status=$(cat "$MNT/ipifc/0/status")
echo "$status" | sed 's/^/# status: /'
check_eq "status: device" sn0 "$(field "$MNT/ipifc/0/status" device)"
check "status: the address line (ip(3))" \
	grep -Eq $'^\t10\\.77\\.0\\.2 +/120 +10\\.77\\.0\\.0 ' "$MNT/ipifc/0/status"
check_eq "status: maxtu" 1500 "$(field "$MNT/ipifc/0/status" maxtu)"
check "ndb: ip, ipmask, ipgw" grep -q '^ip=10\.77\.0\.2 ipmask=255\.255\.255\.0 ipgw=10\.77\.0\.1$' "$MNT/ndb"
routes=$(cat "$MNT/iproute")
echo "$routes" | sed 's/^/# iproute: /'
check "iproute has the connected prefix" grep -Eq '^10\.77\.0\.0 +/120 +10\.77\.0\.0 +4i ' "$MNT/iproute"
check "iproute has the default route via 10.77.0.1" grep -Eq '^0\.0\.0\.0 +/96 +10\.77\.0\.1 +4 ' "$MNT/iproute"

check "host: sn0 exists" has_link sn0
check "host: sn0 is up" grep -q 'UP' <<<"$(ip -o link show dev sn0)"
check "host: sn0 has 10.77.0.1/24" grep -q 'inet 10\.77\.0\.1/24' <<<"$(ip -4 -o addr show dev sn0)"
check "host: 10.77.0.2 routes through sn0" grep -q 'dev sn0' <<<"$(ip route get 10.77.0.2)"
check_eq "host: sn0 mtu" 1500 "$(ip -o link show dev sn0 | sed -n 's/.* mtu \([0-9]*\).*/\1/p')"

stop_daemon
check_eq "SIGTERM: exit status" 0 "$?"
