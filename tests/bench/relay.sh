#!/bin/bash
# Relays: programs on the kernel client's side call servers on the far
# end through a forwarder at the router, every contender in turn, ROUNDS
# times:
#
#   kernel      socat on kernel sockets (a fork per connection, reads
#               of 128 KiB; its default 8 KiB would halve iperf3)
#   forward     examples/forward.sh over /net (shell: cat each way)
#   netforward  examples/netforward over /net (C: a thread each way)
#
# Measures: redis-benchmark (SET and GET, REQS requests, 20 clients, new
# connections for each test), requests/s; iperf3 TCP for SECS seconds,
# Mbit/s received; ApacheBench without keep-alive (CALLS requests, 20 at
# a time, to nginx at the far end, 1 KiB a page), requests/s: the cost
# of a connection through the relay. DAEMON_ARGS: daemon options for a
# comparison ("--boost 0").
. "$(dirname "$0")/lib.sh"

if [ "$QUICK" = 1 ]; then
	REQS=${REQS:-2000} SECS=${SECS:-1} CALLS=${CALLS:-100}
else
	REQS=${REQS:-10000} SECS=${SECS:-3} CALLS=${CALLS:-300}
fi
REDIS=6379 IPERF=5201 HTTP=8080

# The relays' addresses: the router's end of the kernel client's link for
# socat, the stack for the two over /net; each relays three ports to the
# far end's same ports plus 10000 (kernel), 20000, 30000.
declare -A ADDR=([kernel]=10.79.0.1 [forward]=10.77.0.2 [netforward]=10.77.0.2)
declare -A BASE=([kernel]=10000 [forward]=20000 [netforward]=30000)

# relays WHO: WHO's forwarders for the three servers, listening.
relays() {
	local port p

	for port in $REDIS $IPERF $HTTP; do
		p=$((BASE[$1] + port))
		case $1 in
		kernel) spawn "socat$port" socat -b 131072 "TCP-LISTEN:$p,bind=${ADDR[kernel]},reuseaddr,fork" \
			"TCP:$FAR_ADDR:$port" ;;
		forward) spawn "fwd$port" bash "$E2E_ROOT/examples/forward.sh" "$p" "$FAR_ADDR!$port" "$MNT" ;;
		netforward) spawn "nfwd$port" "$E2E_BUILD/examples/netforward" "$p" "$FAR_ADDR!$port" "$MNT" ;;
		esac
		if [ "$1" = kernel ]; then
			check "socat relays ${ADDR[kernel]}:$p" wait_listen "$p"
		else
			check "$1 relays $p" wait_stack_listens "$p"
		fi
	done
}

# redis WHO: "SET GET" requests/s through WHO's relay.
redis() {
	in_ns "$KCLIENT" timeout 120 redis-benchmark -h "${ADDR[$1]}" -p $((BASE[$1] + REDIS)) \
		-n "$REQS" -c 20 -t set,get --csv 2>/dev/null |
		tr -d '"' | awk -F, '$1 == "SET" { s = int($2) } $1 == "GET" { g = int($2) }
			END { if (s > 0 && g > 0) print s, g }'
}

# iperf WHO: Mbit/s received through WHO's relay.
iperf() {
	in_ns "$KCLIENT" timeout $((SECS + 20)) iperf3 -c "${ADDR[$1]}" -p $((BASE[$1] + IPERF)) \
		-t "$SECS" --connect-timeout 5000 -J 2>/dev/null |
		python3 -c 'import json, sys
print(int(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e6))' 2>/dev/null
}

# ab WHO: requests/s without keep-alive through WHO's relay; nothing if
# a request failed.
ab_calls() {
	in_ns "$KCLIENT" timeout 120 ab -q -n "$CALLS" -c 20 \
		"http://${ADDR[$1]}:$((BASE[$1] + HTTP))/" 2>/dev/null |
		awk '/^Failed requests:/ { f = $3 } /^Requests per second:/ { r = $4 }
			END { if (f == 0 && r > 0) print r }'
}

# far_listens PORT: does the far end listen on PORT?
far_listens() {
	[ -n "$(in_ns "$FAR" ss -Htln "sport = :$1")" ]
}

check "a router: far end, kernel client" router
# shellcheck disable=SC2086
check "the daemon mounts $MNT" start_daemon ${DAEMON_ARGS:-}
nginx_conf "$FAR_ADDR:$HTTP"
spawn nginx in_ns "$FAR" nginx -c "$E2E_DIR/nginx.conf" -e "$E2E_DIR/nginx/error.log"
spawn redis in_ns "$FAR" redis-server --bind "$FAR_ADDR" --port "$REDIS" --save '' \
	--appendonly no --daemonize no --protected-mode no --dir "$E2E_DIR"
spawn iperf3s in_ns "$FAR" iperf3 -s -B "$FAR_ADDR" -p "$IPERF"
for port in $REDIS $IPERF $HTTP; do
	check "far end: a server on $port" eventually far_listens "$port"
done
for who in kernel forward netforward; do relays "$who"; done

fails=0
for ((r = 1; r <= ROUNDS; r++)); do
	for who in kernel forward netforward; do
		read -r set get <<<"$(redis "$who")"
		mbit=$(iperf "$who")
		calls=$(ab_calls "$who")
		if [ -z "$set" ] || [ -z "$mbit" ] || [ -z "$calls" ]; then
			not_ok "relay, $who, round $r: redis '${set:-} ${get:-}', iperf3 '${mbit:-}', ab '${calls:-}'"
			fails=$((fails + 1))
			continue
		fi
		result redis-set "$who" req/s "$set"
		result redis-get "$who" req/s "$get"
		result iperf3 "$who" Mbit/s "$mbit"
		result ab "$who" req/s "$calls"
	done
done
check_eq "every relay run completed" 0 "$fails"
stop_daemon
