#!/bin/bash
# The README's shell examples work as shown: HTTP GET, echo server, port
# forwarder and UDP echo server with headers.
. "$(dirname "$0")/lib.sh"

EX=$E2E_ROOT/examples

# Wait (at most 10 s) until COUNT of our conversations are listening.
wait_announced() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ "$(cat "$MNT"/tcp/*/status 2>/dev/null | grep -c '^Listen')" -ge "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

check "the daemon mounts $MNT" start_daemon
mkdir "$E2E_DIR/www"
head -c 300000 /dev/urandom >"$E2E_DIR/www/blob"
(cd "$E2E_DIR/www" && exec python3 -m http.server --bind 10.77.0.1 8000) >/dev/null 2>&1 &
E2E_PIDS+=($!)
wait_listen 8000

spawn get timeout 20 bash "$EX/httpget.sh" '10.77.0.1!8000' /blob "$MNT"
get_pid=$SPAWN_PID
wait "$get_pid"
check_eq "httpget.sh: status line" "HTTP/1.0 200 OK" "$(head -n 1 "$E2E_DIR/get.out" | tr -d '\r')"
check "httpget.sh: the body is the file" \
	cmp -s <(sed '1,/^\r$/d' "$E2E_DIR/get.out") "$E2E_DIR/www/blob"

spawn echo bash "$EX/echoserver.sh" 7007 "$MNT"
check "echoserver.sh announces" wait_announced 1
check_eq "echoserver.sh: a line comes back" "hello there" \
	"$(echo 'hello there' | timeout 10 socat -t 5 - TCP:10.77.0.2:7007)"
check_eq "echoserver.sh: a second client too" "again" \
	"$(echo again | timeout 10 socat -t 5 - TCP:10.77.0.2:7007)"

spawn fwd bash "$EX/forward.sh" 8080 '10.77.0.1!8000' "$MNT"
check "forward.sh announces" wait_announced 2
timeout 20 curl -s -o "$E2E_DIR/fwd.blob" http://10.77.0.2:8080/blob
check "forward.sh: curl through it gets the file" cmp -s "$E2E_DIR/fwd.blob" "$E2E_DIR/www/blob"

spawn udp bash "$EX/udpecho.sh" 9999 "$MNT"
check_eq "udpecho.sh: the datagram comes back" "ping me" \
	"$(for i in 1 2 3 4 5; do kpeer udp-ask 10.77.0.2 9999 'ping me' && break; done)"

spawn nfwd "$E2E_BUILD/examples/netforward" 8081 '10.77.0.1!8000' "$MNT"
check "netforward announces" wait_stack_listens 8081
timeout 20 curl -s -o "$E2E_DIR/nfwd.blob" http://10.77.0.2:8081/blob
check "netforward: curl through it gets the file" cmp -s "$E2E_DIR/nfwd.blob" "$E2E_DIR/www/blob"

for ex in echoserver.sh forward.sh httpget.sh udpecho.sh; do
	bash "$EX/$ex" >/dev/null 2>"$E2E_DIR/usage"
	check_eq "$ex without arguments: exit 2" 2 "$?"
	check "$ex without arguments: a usage line" grep -q '^usage: ' "$E2E_DIR/usage"
done
