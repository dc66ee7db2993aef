#!/bin/bash
# log (Plan 9's netlog): "set tcp", then cat log shows the state changes
# of a connection made meanwhile and the drop of a segment with a bad
# checksum sent by the kernel; clear and only. Then ndb, ipselftab and the
# dns query file.
. "$(dirname "$0")/lib.sh"

printf '127.0.0.1 localhost\n10.77.0.1 kernel.e2e.test kernel\n' >"$E2E_DIR/hosts"
printf 'nameserver 10.77.0.1\noptions timeout:1 attempts:1\n' >"$E2E_DIR/resolv.conf"
mount --bind "$E2E_DIR/hosts" /etc/hosts || exit 1
mount --bind "$E2E_DIR/resolv.conf" /etc/resolv.conf || exit 1

# A TCP SYN from the kernel to 10.77.0.2:PORT whose checksum is wrong.
bad_segment() {
	python3 - "$1" <<'PY'
import socket, struct, sys
port = int(sys.argv[1])
tcp = struct.pack("!HHIIBBHHH", 40000, port, 1, 0, 5 << 4, 0x02, 65535, 0xdead, 0)
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, socket.IPPROTO_TCP, 0,
                 socket.inet_aton("10.77.0.1"), socket.inet_aton("10.77.0.2"))
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
s.sendto(ip + tcp, ("10.77.0.2", 0))
PY
}

L=$MNT/log
check "the daemon mounts $MNT" start_daemon
check_eq "an unknown log flag" EINVAL "$("$FDTOOL" -w "$L" "write:set frob")"
check "set tcp" sh -c "echo set tcp >$L"
spawn log cat "$L"
check "cat log waits for events" wait_in_read "$SPAWN_PID"
kernel_echo 7002
clone tcp
ctl connect 10.77.0.1!7002
echo hello >"$CONV/data"
read -r echoed <"$CONV/data"
check_eq "the echo answers" hello "$echoed"
exec {CONV_FD}>&-
check "the kernel sends a segment with a bad checksum" bad_segment 7003
check "log: Syn_sent -> Established" \
	wait_for "$E2E_DIR/log.out" 'tcp state 10\.77\.0\.2![0-9]* -> 10\.77\.0\.1!7002 Syn_sent -> Established'
check "log: Closed -> Syn_sent" wait_for "$E2E_DIR/log.out" ' Closed -> Syn_sent$'
check "log: the bad checksum dropped" \
	wait_for "$E2E_DIR/log.out" 'tcp drop 10\.77\.0\.1!40000 -> 10\.77\.0\.2!7003: bad checksum'
check "log: the close, Established -> Finwait1" wait_for "$E2E_DIR/log.out" 'Established -> Finwait1'
sed 's/^/# log: /' "$E2E_DIR/log.out"

# in_errs N: wait until the stack has counted N bad TCP segments
in_errs() {
	wait_for "$MNT/tcp/stats" "^InErrs: $1\$"
}

check "only 10.77.0.9" sh -c "echo only 10.77.0.9 >$L"
check "another bad segment" bad_segment 7005
check "the stack counted it" in_errs 2
check "set icmp" sh -c "echo set icmp >$L"
check "only (every address)" sh -c "echo only >$L"
check "a third bad segment" bad_segment 7004
check "the segment after 'only' is logged" wait_for "$E2E_DIR/log.out" '!7004: bad checksum'
# lines come in order: had the one before been logged, it would be there
check "the segment outside 'only' is not" not grep -q '!7005: bad checksum' "$E2E_DIR/log.out"
# a non-blocking reader: EAGAIN with nothing new, then poll wakes it
spawn poller "$FDTOOL" -n -r "$L" read poll:in:10000 read
check "nothing new: EAGAIN" wait_for "$E2E_DIR/poller.out" EAGAIN
check "a fourth bad segment" bad_segment 7006
check "poll says POLLIN" wait_for "$E2E_DIR/poller.out" "poll POLLIN"
check "the poller reads the line" wait_for "$E2E_DIR/poller.out" '^read .*!7006: bad checksum'
check "clear tcp icmp" sh -c "echo clear tcp icmp >$L"

# the stack's own addresses and ndb attributes
check "ipselftab: 10.77.0.2 unicast" grep -Eq '^10\.77\.0\.2 +01 +4u$' "$MNT/ipselftab"
check "ipselftab: 10.77.0.255 broadcast" grep -Eq '^10\.77\.0\.255 +01 +4b$' "$MNT/ipselftab"
check "ndb: ip ipmask ipgw" grep -q '^ip=10\.77\.0\.2 ipmask=255\.255\.255\.0 ipgw=10\.77\.0\.1$' "$MNT/ndb"
check "ndb: dns, the host's nameserver" grep -q $'^\tdns=10\\.77\\.0\\.1$' "$MNT/ndb"

# dns QUERY: write QUERY to dns, read the answers on the same open file.
dns() {
	local out

	exec 5<>"$MNT/dns" || return 1
	out=$(echo "$1" >&5 2>&1 && cat <&5)
	exec 5<&-
	printf '%s\n' "$out"
}
check_eq "dns: kernel.e2e.test ip" $'kernel.e2e.test ip\t10.77.0.1' "$(dns 'kernel.e2e.test ip')"
check_eq "dns: mx without --dns is refused" EOPNOTSUPP \
	"$("$FDTOOL" "$MNT/dns" "write:kernel.e2e.test mx")"
check_eq "dns: an unknown type" EINVAL "$("$FDTOOL" "$MNT/dns" "write:kernel.e2e.test frob")"
check_eq "dns: a name not in /etc/hosts, no nameserver answering: ETIMEDOUT" ETIMEDOUT \
	"$("$FDTOOL" "$MNT/dns" "write:nosuch.e2e.test ip")"
stop_daemon
check_eq "SIGTERM: exit status" 0 "$?"
