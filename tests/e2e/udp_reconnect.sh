#!/bin/bash
# A UDP conversation connects again and again: each connect changes the
# peer its datagrams go to and the only peer it hears.
. "$(dirname "$0")/lib.sh"

check "the daemon mounts $MNT" start_daemon
spawn one kpeer udp-echo 10.77.0.1 7777 one:
spawn two kpeer udp-echo 10.77.0.1 7778 two:
check "the first kernel echo server is ready" wait_for "$E2E_DIR/one.out" ready
check "the second kernel echo server is ready" wait_for "$E2E_DIR/two.out" ready

clone udp
exec 4<>"$CONV/data"
check "connect 10.77.0.1!7777" ctl "connect 10.77.0.1!7777"
echo hello >&4
check_eq "the first server answers" "one:hello" "$(timeout 5 dd bs=65536 count=1 status=none <&4)"
port=$(cat "$CONV/local")

check "connect 10.77.0.1!7778" ctl "connect 10.77.0.1!7778"
check_eq "remote names the second server" "10.77.0.1!7778" "$(cat "$CONV/remote")"
check_eq "local is kept" "$port" "$(cat "$CONV/local")"
echo again >&4
check_eq "the second server answers" "two:again" "$(timeout 5 dd bs=65536 count=1 status=none <&4)"
check_eq "the first server got one datagram" 1 "$(grep -c '^from ' "$E2E_DIR/one.out")"

# Back to the first: the second's datagrams are no longer ours.
check "connect 10.77.0.1!7777 again" ctl "connect 10.77.0.1!7777"
check "a datagram from the second server's port is sent" \
	kpeer udp-send 10.77.0.2 "${port#*!}" "from two" 7778
echo back >&4
check_eq "only the first server is heard" "one:back" \
	"$(timeout 5 dd bs=65536 count=1 status=none <&4)"
check_eq "nothing else is queued" EAGAIN "$("$FDTOOL" -n "$CONV/data" read)"
