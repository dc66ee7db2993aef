#!/bin/bash
# A UDP server in shell: `announce` and `headers`; each read of data gives
# a datagram behind Plan 9's 52-byte header, and writing a header back
# answers the kernel client it names.
. "$(dirname "$0")/lib.sh"

# The bytes of FILE from OFFSET, COUNT of them, as decimal numbers.
bytes() {
	od -An -tu1 -j "$2" -N "$3" "$1" | xargs
}

check "the daemon mounts $MNT" start_daemon
clone udp
check "announce 9999" ctl "announce 9999"
check "headers" ctl headers

# The server: three requests, each answered "reply:" + the payload, the
# first one's header kept for the checks below.
server() {
	local i

	exec 4<>"$CONV/data"
	for i in 1 2 3; do
		dd bs=65536 count=1 status=none of="$E2E_DIR/req" <&4 || return 1
		[ "$i" = 1 ] && cp "$E2E_DIR/req" "$E2E_DIR/first"
		{
			head -c 52 "$E2E_DIR/req"
			printf 'reply:'
			tail -c +53 "$E2E_DIR/req"
		} >"$E2E_DIR/resp"
		dd bs=65536 count=1 status=none if="$E2E_DIR/resp" >&4 || return 1
	done
}
spawn server server

check_eq "client 1 (port 40000) gets its answer" "reply:one" \
	"$(kpeer udp-ask 10.77.0.2 9999 one 40000)"
check_eq "client 2 (port 40001) gets its answer" "reply:two" \
	"$(kpeer udp-ask 10.77.0.2 9999 two 40001)"
check_eq "client 3 (any port) gets its answer" "reply:three" \
	"$(kpeer udp-ask 10.77.0.2 9999 three)"
check "the server has ended" wait_gone "$SPAWN_PID" 5

f=$E2E_DIR/first
check_eq "header: 55 bytes read (52 + payload)" 55 "$(stat -c %s "$f")"
check_eq "header: remote address ::ffff:10.77.0.1" "0 0 0 0 0 0 0 0 0 0 255 255 10 77 0 1" \
	"$(bytes "$f" 0 16)"
check_eq "header: local address ::ffff:10.77.0.2" "0 0 0 0 0 0 0 0 0 0 255 255 10 77 0 2" \
	"$(bytes "$f" 16 16)"
check_eq "header: interface address ::ffff:10.77.0.2" \
	"0 0 0 0 0 0 0 0 0 0 255 255 10 77 0 2" "$(bytes "$f" 32 16)"
check_eq "header: remote port 40000, big-endian" "156 64" "$(bytes "$f" 48 2)"
check_eq "header: local port 9999, big-endian" "39 15" "$(bytes "$f" 50 2)"
check_eq "header: then the payload" one "$(tail -c +53 "$f")"
