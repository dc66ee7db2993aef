#!/bin/bash
# UDP over IPv6 through /net (SPEC §5): a datagram to the kernel's echo
# server on fd77::1 comes back; 8000-byte datagrams cross the 1500-byte
# MTU both ways in fragments, byte-identical; a server announced with
# `headers` reads a v6 client's real addresses in the 52-byte header and
# answers it by writing the header back; a v4 client of the same server
# is seen as ::ffff:10.77.0.1.
. "$(dirname "$0")/lib.sh"

# The bytes of FILE from OFFSET, COUNT of them, as decimal numbers.
bytes() {
	od -An -tu1 -j "$2" -N "$3" "$1" | xargs
}

check "the daemon mounts $MNT" start_daemon
spawn echo kpeer udp-echo fd77::1 7777
check "the kernel echo server on [fd77::1]:7777 is ready" wait_for "$E2E_DIR/echo.out" ready

reasm=$(awk '$1 == "Ip6ReasmOKs" { print $2 }' /proc/net/snmp6)
clone udp
exec 4<>"$CONV/data"
check "connect [fd77::1]!7777" ctl 'connect [fd77::1]!7777'
check_eq "remote prints fd77::1!7777" 'fd77::1!7777' "$(cat "$CONV/remote")"
printf 'hello v6' >&4
check_eq "a small datagram comes back" 'hello v6' "$(timeout 5 dd bs=65536 count=1 status=none <&4)"
for i in 1 2; do
	head -c 8000 /dev/urandom >"$E2E_DIR/out"
	: >"$E2E_DIR/in"
	dd if="$E2E_DIR/out" bs=8000 count=1 status=none >&4
	timeout 5 dd bs=65536 count=1 status=none of="$E2E_DIR/in" <&4
	check "8000-byte datagram $i comes back identical" cmp "$E2E_DIR/out" "$E2E_DIR/in"
done
check_eq "the kernel reassembled the stack's two big datagrams" 2 \
	"$(($(awk '$1 == "Ip6ReasmOKs" { print $2 }' /proc/net/snmp6) - reasm))"
exec 4<&- {CONV_FD}<&-

clone udp
check "announce 9999" ctl "announce 9999"
check "headers" ctl headers
# The server: two requests, each answered "reply:" + the payload; the
# headers kept for the checks below.
server() {
	local i

	exec 4<>"$CONV/data"
	for i in 1 2; do
		dd bs=65536 count=1 status=none of="$E2E_DIR/req$i" <&4 || return 1
		{
			head -c 52 "$E2E_DIR/req$i"
			printf 'reply:'
			tail -c +53 "$E2E_DIR/req$i"
		} >"$E2E_DIR/resp"	# one write: one datagram
		dd bs=65536 count=1 status=none if="$E2E_DIR/resp" >&4 || return 1
	done
}
spawn server server
check_eq "the v6 client gets its answer" "reply:six" \
	"$(kpeer udp-ask fd77::2 9999 six 40000 fd77::1)"
check_eq "a v4 client of the same server too" "reply:four" \
	"$(kpeer udp-ask 10.77.0.2 9999 four 40001)"
check "the server has ended" wait_gone "$SPAWN_PID" 5
f=$E2E_DIR/req1
check_eq "header: remote address fd77::1" "253 119 0 0 0 0 0 0 0 0 0 0 0 0 0 1" \
	"$(bytes "$f" 0 16)"
check_eq "header: local address fd77::2" "253 119 0 0 0 0 0 0 0 0 0 0 0 0 0 2" \
	"$(bytes "$f" 16 16)"
check_eq "header: ports 40000, 9999" "156 64 39 15" "$(bytes "$f" 48 4)"
check_eq "v4 header: remote address ::ffff:10.77.0.1" \
	"0 0 0 0 0 0 0 0 0 0 255 255 10 77 0 1" "$(bytes "$E2E_DIR/req2" 0 16)"
