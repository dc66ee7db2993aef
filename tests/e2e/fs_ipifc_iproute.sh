#!/bin/bash
# ip(3)'s writable routes and interface: iproute add/remove (owner only),
# ipifc/0/ctl add/remove of an address the kernel then pings, mtu.
. "$(dirname "$0")/lib.sh"

as_nobody() {
	setpriv --reuid 65534 --regid 65534 --clear-groups "$@"
}

# connect_to ADDR!PORT: on a new conversation, the last line fdtool says
# for that connect.
connect_to() {
	timeout 20 "$FDTOOL" -w "$CONV/ctl" "write:connect $1" | tail -n 1
}

PCAP=$E2E_DIR/capture.pcap
R=$MNT/iproute
check "the daemon mounts $MNT" start_daemon -o allow_other --pcap "$PCAP"
echo "$(cat "$R")" | sed 's/^/# iproute: /'
check "iproute: the default route in ip(3)'s format" \
	grep -Eq '^0\.0\.0\.0 +/96 +10\.77\.0\.1 +4 +none +0 0\.0\.0\.0 +/96 *$' "$R"
check "iproute: the connected route, flags 4i" grep -Eq '^10\.77\.0\.0 +/120 +10\.77\.0\.0 +4i +ifc' "$R"

# acceptance 2: a kernel server on 10.79.0.1, reached only through a route
check "the kernel has 10.79.0.1" ip addr add 10.79.0.1/32 dev lo
spawn echo kpeer tcp-echo 10.79.0.1 7000
check "the kernel echo server is ready" wait_for "$E2E_DIR/echo.out" ready
check_eq "nobody may not write iproute" "open EACCES" \
	"$(as_nobody "$FDTOOL" -w "$R" "write:flush")"
check "remove the default route" sh -c "echo remove 0.0.0.0 0.0.0.0 >$R"
clone tcp
check_eq "10.79.0.1 without a route" ENETUNREACH "$(connect_to 10.79.0.1!7000)"
check "add 10.79.0.0/16 through 10.77.0.1" sh -c "echo add 10.79.0.0 255.255.0.0 10.77.0.1 >$R"
check "iproute shows it" grep -Eq '^10\.79\.0\.0 +/112 +10\.77\.0\.1 +4 ' "$R"
clone tcp
check_eq "10.79.0.1 through the route" "write 22" "$(connect_to 10.79.0.1!7000)"
check_eq "a remote on 10.79.0.1" 10.79.0.1!7000 "$(cat "$CONV/remote")"
check "remove it" sh -c "echo remove 10.79.0.0 255.255.0.0 >$R"
clone tcp
check_eq "10.79.0.1 unreachable again" ENETUNREACH "$(connect_to 10.79.0.1!7000)"
check_eq "a gateway off every network" ENETUNREACH \
	"$("$FDTOOL" -w "$R" "write:add 10.79.0.0 /112 10.80.0.1")"
check_eq "remove of a route not there" ESRCH "$("$FDTOOL" -w "$R" "write:remove 10.79.0.0 /112")"
check_eq "a mask with a hole" EINVAL "$("$FDTOOL" -w "$R" "write:add 10.79.0.0 255.0.255.0 10.77.0.1")"
check "add the default route back" sh -c "echo add 0.0.0.0 /96 10.77.0.1 >$R"

# acceptance 3: a second address, pinged by the kernel, then removed
C=$MNT/ipifc/0/ctl
check_eq "nobody may not write ipifc/0/ctl" "open EACCES" \
	"$(as_nobody "$FDTOOL" -w "$C" "write:mtu 1400")"
check "add 10.77.9.2/24" sh -c "echo add 10.77.9.2 255.255.255.0 >$C"
check "status: a line for 10.77.9.2" grep -Eq $'^\t10\\.77\\.9\\.2 +/120 +10\\.77\\.9\\.0 ' "$MNT/ipifc/0/status"
check "ipselftab: 10.77.9.2 4u" grep -Eq '^10\.77\.9\.2 +01 +4u' "$MNT/ipselftab"
check "the kernel routes 10.77.9.0/24 to the TUN" [ -n "$(ip route show 10.77.9.0/24 dev sn0)" ]
check_eq "ping -c 2 10.77.9.2: replies" 2 "$(ping_replies 10.77.9.2 2)"
check "remove 10.77.9.2" sh -c "echo remove 10.77.9.2 255.255.255.0 >$C"
check "status: 10.77.9.2 gone" not grep -q 10.77.9.2 "$MNT/ipifc/0/status"
check "the kernel's route to 10.77.9.0/24 is gone" [ -z "$(ip route show 10.77.9.0/24 dev sn0)" ]
check "no reply from 10.77.9.2 after remove" not ping -n -c 1 -W 1 10.77.9.2
check_eq "unbind is refused" EOPNOTSUPP "$("$FDTOOL" -w "$C" "write:unbind")"
check_eq "clone makes no interface" "open EOPNOTSUPP" "$("$FDTOOL" -w "$MNT/ipifc/clone" "write:x")"

# mtu: the MSS of new connections, seen in the pcap
check "mtu 1400" sh -c "echo mtu 1400 >$C"
check_eq "status: maxtu" 1400 "$(field "$MNT/ipifc/0/status" maxtu)"
kernel_sink 7001
clone tcp
ctl connect 10.77.0.1!7001
head -c 200000 /dev/zero >"$CONV/data"
rcvmss=
for ((i = 0; i < 100; i++)); do
	rcvmss=$(ss -Htin 'sport = :7001' | sed -n 's/.*rcvmss:\([0-9]*\).*/\1/p')
	[ -n "$rcvmss" ] && break
	sleep 0.05
done
# 1360 less the 12 bytes of the timestamp option (1448 at mtu 1500)
check_eq "the kernel received segments of 1348 bytes of data (rcvmss)" 1348 "$rcvmss"
exec {CONV_FD}>&-
check "the sink saw the end" wait_for "$E2E_DIR/sink.out" "eof 200000"
stop_daemon
check_eq "SIGTERM: exit status" 0 "$?"
syn=$(tcpdump -n -v -r "$PCAP" 'src 10.77.0.2 and tcp dst port 7001 and tcp[13] == 2' 2>/dev/null |
	sed -n 's/.*mss \([0-9]*\).*/\1/p')
check_eq "the SYN in the pcap offers MSS 1360" 1360 "$syn"
