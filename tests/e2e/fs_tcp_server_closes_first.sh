#!/bin/bash
# 2000 HTTP/1.0 requests in turn from a shell over /net to a kernel server
# that closes first and so holds each 4-tuple in TIME_WAIT: every connect
# is taken at once (ports in turn, RFC 6056; timestamps from one clock per
# address pair, RFC 6191 on the kernel's side): no reset from the stack,
# no connection over 100 ms (300 ms under the sanitizers). A reset SYN
# would cost a 1 s retransmission.
# e2e-timeout: 240
. "$(dirname "$0")/lib.sh"

N=${N:-2000}
limit_ms=100
[ -n "${ASAN_OPTIONS:-}" ] && limit_ms=300
check "the daemon mounts $MNT" start_daemon
spawn http kpeer http-close 10.77.0.1 8080
check "the kernel HTTP server is ready" wait_for "$E2E_DIR/http.out" ready

slow=0 worst=0 bad=0
for ((i = 0; i < N; i++)); do
	t0=${EPOCHREALTIME/./}
	{
		read -r c <&5 &&
			echo 'connect 10.77.0.1!8080' >&5 &&
			printf 'GET / HTTP/1.0\r\n\r\n' >"$MNT/tcp/$c/data" &&
			body=$(cat "$MNT/tcp/$c/data")
	} 5<>"$MNT/tcp/clone" || break
	us=$((${EPOCHREALTIME/./} - t0))
	[[ $body == *hello ]] || bad=$((bad + 1))
	((us > worst)) && worst=$us
	((us > limit_ms * 1000)) && slow=$((slow + 1))
done
check_eq "$N connections made" "$N" "$i"
check_eq "every answer whole" 0 "$bad"
check_eq "connections over $limit_ms ms (the slowest: $((worst / 1000)) ms)" 0 "$slow"
check_eq "resets sent by the stack" 0 \
	"$(awk -F': ' '$1 == "OutRsts" { print $2 }' "$MNT/tcp/stats")"
check_gt "the kernel holds TIME_WAITs (so ports were exercised)" \
	"$(ss -Htan state time-wait | wc -l)" 100
