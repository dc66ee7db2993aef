#!/bin/bash
# A connected UDP conversation hears only its peer: datagrams from another
# port or another address of the kernel are not delivered to it.
. "$(dirname "$0")/lib.sh"

check "the daemon mounts $MNT" start_daemon
check "a second kernel address 10.77.0.5" ip addr add 10.77.0.5/32 dev sn0
spawn echo kpeer udp-echo 10.77.0.1 7777 echo:
check "the kernel echo server is ready" wait_for "$E2E_DIR/echo.out" ready

clone udp
exec 4<>"$CONV/data"
echo "connect 10.77.0.1!7777" >&"$CONV_FD"
echo first >&4
check_eq "the peer answers" "echo:first" "$(timeout 5 dd bs=65536 count=1 status=none <&4)"
port=$(cat "$CONV/local")
port=${port#*!}
before=$(field "$MNT/ipifc/0/status" pktin)

check "a datagram from 10.77.0.1!7779 is sent" kpeer udp-send 10.77.0.2 "$port" "wrong port" 7779
check "a datagram from 10.77.0.5!7777 is sent" \
	kpeer udp-send 10.77.0.2 "$port" "wrong address" 7777 10.77.0.5
# They crossed the TUN before this one's echo: it is the next datagram.
echo second >&4
check_eq "the next datagram read is the peer's" "echo:second" \
	"$(timeout 5 dd bs=65536 count=1 status=none <&4)"
check_eq "nothing else is queued" EAGAIN "$("$FDTOOL" -n "$CONV/data" read)"
check_eq "the stack received the three datagrams" 3 \
	"$(($(field "$MNT/ipifc/0/status" pktin) - before))"
