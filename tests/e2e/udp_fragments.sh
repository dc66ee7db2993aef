#!/bin/bash
# 8000-byte datagrams cross a 1500-byte MTU both ways: the stack fragments
# what it sends (the kernel reassembles it) and reassembles the kernel's
# fragments; the echo is byte-identical.
. "$(dirname "$0")/lib.sh"

check "the daemon mounts $MNT" start_daemon
spawn echo kpeer udp-echo 10.77.0.1 7777
check "the kernel echo server is ready" wait_for "$E2E_DIR/echo.out" ready

reasm=$(snmp Ip ReasmOKs)
frag=$(snmp Ip FragCreates)
clone udp
exec 4<>"$CONV/data"
echo "connect 10.77.0.1!7777" >&"$CONV_FD"
for i in 1 2 3; do
	head -c 8000 /dev/urandom >"$E2E_DIR/out"
	: >"$E2E_DIR/in"
	dd if="$E2E_DIR/out" bs=8000 count=1 status=none >&4
	timeout 5 dd bs=65536 count=1 status=none of="$E2E_DIR/in" <&4
	check "datagram $i: 8000 random bytes come back identical" cmp "$E2E_DIR/out" "$E2E_DIR/in"
done
check_eq "the kernel reassembled the stack's three datagrams" 3 \
	"$(($(snmp Ip ReasmOKs) - reasm))"
# 8000 bytes of payload at a 1500-byte MTU: 6 fragments each.
check_eq "the kernel sent its answers in fragments" 18 "$(($(snmp Ip FragCreates) - frag))"
