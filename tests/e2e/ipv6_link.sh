#!/bin/bash
# IPv6 on the link (SPEC §1, §6): the host side gets fd77::1/64 through
# netlink, usable at once (no DAD) and without a link-local address; the
# stack answers ping -6; examples/ping.sh pings the kernel through
# /net/icmpv6; ipifc and iproute list the IPv6 address and routes; ::1
# works inside the stack (a TCP call and an echo, never on the link), and
# ipifc/stats counts IPv6 beside IPv4; the pcap file records IPv6; nothing the host sends on the new link counts as
# an error. Then without a default IPv6 route (--gw6 ::) a connect is
# ENETUNREACH, and with --no-ipv6 the host side has no IPv6 address and an
# IPv6 address is EAFNOSUPPORT.
. "$(dirname "$0")/lib.sh"

S=$MNT/ipifc/0/status
check "the daemon mounts $MNT" start_daemon --pcap "$E2E_DIR/cap.pcap"
addrs=$(ip -6 -o addr show dev sn0)
echo "# $addrs"
check "the host side has fd77::1/64" grep -q 'inet6 fd77::1/64' <<<"$addrs"
check "... and no link-local address" test -z "$(grep fe80 <<<"$addrs")"
check "... and nothing tentative" test -z "$(grep tentative <<<"$addrs")"
check "the kernel routes fd77::2 through sn0" grep -q 'dev sn0' <(ip -6 route get fd77::2)
check_eq "ping -6 -c 3 fd77::2: replies" 3 "$(ping_replies fd77::2 3)"
out=$(timeout 20 bash "$E2E_ROOT/examples/ping.sh" -c 3 -i 0.2 -m "$MNT" fd77::1)
check_eq "examples/ping.sh fd77::1: exit status" 0 "$?"
echo "$out" | sed 's/^/# /'
check "examples/ping.sh: 3 of 3 through icmpv6" \
	grep -q '3 packets transmitted, 3 received' <<<"$out"
check "ipifc/0/status: fd77::2 /64" grep -qE $'^\tfd77::2 +/64 +fd77:: ' "$S"
check "iproute: fd77::/64 connected" grep -qE '^fd77:: +/64 +fd77:: +6i ' "$MNT/iproute"
check "iproute: default through fd77::1" grep -qE '^:: +/0 +fd77::1 +6 ' "$MNT/iproute"
check_eq "ipifc/0/status: no input errors" 0 "$(field "$S" errin)"

# ::1 inside the stack: a call to ::1!7001 reaches the conversation
# announced on *!7001, an echo to ::1 is answered, and neither touches
# the link (ipifc/1 carries them).
accept_echo() {
	local l d m line
	exec {l}<"$MNT/tcp/$1/listen" && read -r m <&"$l" || return 1
	cat "$MNT/tcp/$m/remote"
	exec {d}<>"$MNT/tcp/$m/data" && read -r line <&"$d" && echo "$line" >&"$d"
}
clone tcp
check "announce *!7001" ctl 'announce *!7001'
spawn lo6 accept_echo "$CONV_N"
shell_connect '::1!7001'
exec 4<>"$MNT/tcp/$n/data" && echo hello6 >&4
read -r -t 10 got <&4
check_eq "::1!7001 echoes" hello6 "$got"
exec 4<&- 3<&-
check "the call came from ::1" wait_for "$E2E_DIR/lo6.out" '^::1!'
out=$(timeout 20 bash "$E2E_ROOT/examples/ping.sh" -c 1 -m "$MNT" ::1)
check "examples/ping.sh ::1: answered" grep -q '1 packets transmitted, 1 received' <<<"$out"
check "ipifc/1/status: ::1 /128" grep -qE $'^\t::1 +/128 +::1 ' "$MNT/ipifc/1/status"
check "ipifc/stats: IPv4's InReceives" grep -qE '^InReceives: [0-9]+$' "$MNT/ipifc/stats"
check_gt "ipifc/stats: IPv6's Ip6InReceives" \
	"$(counter "$MNT/ipifc/stats" Ip6InReceives)" 0
cat "$MNT/ipifc/1/status" >/dev/null	# a later turn: the pcap is flushed
dump=$(tcpdump -nr "$E2E_DIR/cap.pcap" 2>/dev/null)
check "pcap: nothing to or from ::1" test -z "$(grep -F '::1.' <<<"$dump")"
check "pcap: the kernel's echo request" grep -q 'IP6 fd77::1 > fd77::2: ICMP6, echo request' <<<"$dump"
check "pcap: the stack's echo reply" grep -q 'IP6 fd77::2 > fd77::1: ICMP6, echo reply' <<<"$dump"
stop_daemon
check_eq "SIGTERM: exit status" 0 "$?"

check "--gw6 ::: the daemon mounts $MNT" start_daemon --gw6 ::
clone tcp
ctl "connect fd77:1::5!80" 2>/dev/null
check_eq "no IPv6 route: connect fails" 1 "$?"
check_eq "... with ENETUNREACH" "connect: no route to fd77:1::5: Network is unreachable" "$(cat "$CONV/err")"
exec {CONV_FD}<&-
stop_daemon

check "--no-ipv6: the daemon mounts $MNT" start_daemon --no-ipv6
check "--no-ipv6: no IPv6 address on the host side" test -z "$(ip -6 -o addr show dev sn0)"
clone tcp
ctl "connect [fd77::1]:80" 2>/dev/null
check_eq "--no-ipv6: connect to an IPv6 address fails" 1 "$?"
check_eq "... with EAFNOSUPPORT" \
	"connect [fd77::1]:80: Address family not supported by protocol" "$(cat "$CONV/err")"
exec {CONV_FD}<&-
stop_daemon
check_eq "SIGTERM: exit status" 0 "$?"
