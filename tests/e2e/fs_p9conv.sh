#!/bin/bash
# Plan 9's conversation forms (issue 14, acceptance 1, 5, 6): loopback
# inside the stack (announce *!7000, calls to 127.0.0.1 and to the
# stack's own address, none of it in the pcap); a UDP server written with
# announce + listen only; Go's clone/connect/data/close, connect with a
# local address and port, !r, and announce * taking a call to a port
# nobody announced.
. "$(dirname "$0")/lib.sh"

PCAP=$E2E_DIR/capture.pcap
check "the daemon mounts $MNT with --pcap" start_daemon --pcap "$PCAP"

# ---- 1. loopback ----
clone tcp
check "announce *!7000" ctl 'announce *!7000'
SRV=$CONV_N
# Echo each call, each on its own conversation.
echo_calls() {
	local l d m
	for _ in 1 2 3; do
		exec {l}<"$MNT/tcp/$SRV/listen" || return 1
		read -r m <&"$l"
		cat "$MNT/tcp/$m/remote"
		exec {d}<>"$MNT/tcp/$m/data"
		dd bs=65536 status=none <&"$d" >&"$d" &
		exec {d}<&- {l}<&-
	done
	wait
}
spawn srv echo_calls

# call ADDR: connect to ADDR, send a line, print the line echoed.
call() {
	local c d n
	exec {c}<>"$MNT/tcp/clone" || return 1
	read -r n <&"$c"
	echo "connect $1" >&"$c" || return 1
	exec {d}<>"$MNT/tcp/$n/data"
	echo "hello via $1" >&"$d"
	timeout 10 head -n 1 <&"$d" 2>/dev/null
	exec {d}<&- {c}<&-
}
check_eq "127.0.0.1!7000 echoes" "hello via 127.0.0.1!7000" "$(call '127.0.0.1!7000')"
check_eq "10.77.0.2!7000 (the stack's own) echoes" "hello via 10.77.0.2!7000" \
	"$(call '10.77.0.2!7000')"
exec {cs}<>"$MNT/cs"
echo 'tcp!localhost!7000' >&"$cs"
LOCALHOST=$(head -n 1 <&"$cs" | cut -d' ' -f2)
exec {cs}<&-
check_eq "cs: localhost is 127.0.0.1" "127.0.0.1!7000" "$LOCALHOST"
check_eq "cs's answer for localhost echoes" "hello via $LOCALHOST" "$(call "$LOCALHOST")"
check "calls came from 127.0.0.1 and 10.77.0.2" \
	wait_for "$E2E_DIR/srv.out" '^10.77.0.2!' 5
check "ipifc/1 is the loopback, and it carried them" \
	test "$(field "$MNT/ipifc/1/status" device)" = loopback -a \
	"$(field "$MNT/ipifc/1/status" pktout)" -gt 0
# the pcap is flushed at the end of each loop turn: once a later request
# is answered, the turns that carried the echoes are flushed
cat "$MNT/ipifc/1/status" >/dev/null
check_eq "the pcap shows none of it" 0 "$(tcpdump -nr "$PCAP" 'tcp port 7000' 2>/dev/null | wc -l)"

# ---- 5. a UDP server with announce + listen only ----
clone udp
check "udp announce 9998" ctl 'announce 9998'
USRV=$CONV_N
check "addmulti is refused" eval '! ctl addmulti 224.0.0.251 2>/dev/null'
check_eq "err says why" \
	"addmulti: 224.0.0.251: this stack joins no multicast group: Operation not supported" \
	"$(cat "$CONV/err")"
udp_calls() {
	local l d m
	for _ in 1 2 3; do
		exec {l}<"$MNT/udp/$USRV/listen" || return 1
		read -r m <&"$l"
		exec {d}<>"$MNT/udp/$m/data"
		echo "conv $m $(cat "$MNT/udp/$m/remote")"
		dd bs=65536 count=1 status=none <&"$d" >"$E2E_DIR/req$m" || return 1
		# one write, one datagram
		printf 'reply:%s' "$(cat "$E2E_DIR/req$m")" >&"$d"
		exec {d}<&- {l}<&-
	done
}
spawn usrv udp_calls
for i in 1 2 3; do
	check_eq "kernel client $i (port 4100$i) gets its answer" "reply:q$i" \
		"$(kpeer udp-ask 10.77.0.2 9998 "q$i" "4100$i")"
done
check "three conversations, one per peer" wait_for "$E2E_DIR/usrv.out" '!41003' 5
check_eq "each its own peer" 3 "$(awk '{print $3}' "$E2E_DIR/usrv.out" | sort -u | wc -l)"
check "each connected to its peer" grep -q '^conv [0-9]* 10.77.0.1!41002$' "$E2E_DIR/usrv.out"

# ---- 6. Go's sequence; local address and port; !r; announce * ----
kernel_echo 7777
clone tcp
check "connect with LADDR!LPORT" ctl 'connect 10.77.0.1!7777 10.77.0.2!5555'
check_eq "local is that" "10.77.0.2!5555" "$(cat "$CONV/local")"
exec {d}<>"$CONV/data"
echo go >&"$d"
size_is() {
	for ((i = 0; i < 200; i++)); do
		[ "$(stat -c %s "$2")" = "$1" ] && return 0
		sleep 0.05
	done
	return 1
}
check "stat data: the 3 bytes echoed wait to be read" size_is 3 "$CONV/data"
check_eq "data echoes" go "$(timeout 10 head -n 1 <&"$d" 2>/dev/null)"
check_eq "stat data: then none" 0 "$(stat -c %s "$CONV/data")"
check "close (9front's, as Go writes it)" ctl close
check_eq "reads end after close" "" "$(timeout 10 cat <&"$d")"
check "the kernel sees the close" wait_for "$E2E_DIR/echo.out" closed 10
exec {d}<&-
exec {CONV_FD}<&-

clone tcp
check "connect ADDR!PORT!r!extra" ctl 'connect 10.77.0.1!7777!r!whatever'
LPORT=$(cut -d'!' -f2 "$CONV/local")
check "a reserved local port ($LPORT)" test "$LPORT" -ge 600 -a "$LPORT" -le 1023
check "ignoreadvice is accepted" ctl ignoreadvice
check "frob is not" eval '! ctl frob 2>/dev/null'
check_eq "err says so in words" "unknown control request 'frob'" "$(cat "$CONV/err")"
exec {CONV_FD}<&-

clone tcp
check "announce * (root)" ctl 'announce *'
ALL=$CONV_N
catch_one() {
	local l d m
	exec {l}<"$MNT/tcp/$ALL/listen" || return 1
	read -r m <&"$l"
	cat "$MNT/tcp/$m/local"
	exec {d}<>"$MNT/tcp/$m/data"
	dd bs=65536 status=none <&"$d" >&"$d"
}
spawn all catch_one
check_eq "a call to 10.77.0.2!4321, which nobody announced, is taken" "ping" \
	"$(timeout 10 python3 -c '
import socket
s = socket.create_connection(("10.77.0.2", 4321), 5)
s.sendall(b"ping"); s.shutdown(socket.SHUT_WR); print(s.recv(16).decode())')"
check "its local port is 4321" wait_for "$E2E_DIR/all.out" '!4321$' 5
