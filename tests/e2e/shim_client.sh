#!/bin/bash
# slashnet-run (shim/): unmodified curl and wget, their sockets on the
# stack, download 4 MB from a kernel-side HTTP server byte for byte; with
# --dns, curl's name goes through cs and dnsmasq over the stack's UDP (the
# query is in the pcap). Nothing of theirs reaches the host's stack: while
# a shim program holds a connection, the kernel shows no socket of its
# own, and with the daemon stopped the program gets an error. iperf3 -C
# bbr chooses BBR (TCP_CONGESTION set and read back).
# e2e-timeout: 90
. "$(dirname "$0")/lib.sh"

RUN=(sh "$E2E_BUILD/shim/slashnet-run" -m "$MNT")
PCAP=$E2E_DIR/capture.pcap

printf '127.0.0.1 localhost\n' >"$E2E_DIR/hosts"
mount --bind "$E2E_DIR/hosts" /etc/hosts || exit 1
check "the daemon mounts $MNT with --dns 10.77.0.1" start_daemon --dns 10.77.0.1 --pcap "$PCAP"
spawn dnsmasq dnsmasq -k -C /dev/null --no-resolv --no-hosts --port 53 \
	--listen-address=10.77.0.1 --bind-interfaces --address=/x.test/10.77.0.1 \
	--pid-file="$E2E_DIR/dnsmasq.pid" --log-queries --log-facility=-
check "dnsmasq listens on 10.77.0.1" wait_for "$E2E_DIR/dnsmasq.out" 'started'

mkdir "$E2E_DIR/www"
head -c 4194304 /dev/urandom >"$E2E_DIR/www/blob"
spawn www python3 -m http.server --bind 10.77.0.1 --directory "$E2E_DIR/www" 8000
check "the kernel's HTTP server listens on 10.77.0.1:8000" wait_listen 8000

timeout 20 "${RUN[@]}" curl -sS -o "$E2E_DIR/curl.out" http://10.77.0.1:8000/blob
check_eq "slashnet-run curl: exit status" 0 "$?"
check "curl's 4 MB are the blob's" cmp -s "$E2E_DIR/www/blob" "$E2E_DIR/curl.out"
timeout 20 "${RUN[@]}" wget -q -O "$E2E_DIR/wget.out" http://10.77.0.1:8000/blob
check_eq "slashnet-run wget: exit status" 0 "$?"
check "wget's 4 MB are the blob's" cmp -s "$E2E_DIR/www/blob" "$E2E_DIR/wget.out"
check "the kernel's server saw both calls from the stack's address" \
	test "$(grep -c '^10\.77\.0\.2 .*GET /blob' "$E2E_DIR/www.out")" -eq 2

timeout 20 "${RUN[@]}" curl -sS -g -o "$E2E_DIR/v6.out" 'http://[::ffff:10.77.0.1]:8000/blob'
check_eq "an AF_INET6 socket to a v4-mapped address: curl's exit status" 0 "$?"
check "its 4 MB are the blob's" cmp -s "$E2E_DIR/www/blob" "$E2E_DIR/v6.out"
# and a native IPv6 one, to a kernel server on fd77::1
spawn www6 python3 -m http.server --bind fd77::1 --directory "$E2E_DIR/www" 8001
check "the kernel's HTTP server listens on [fd77::1]:8001" wait_listen 8001
timeout 20 "${RUN[@]}" curl -sS -g -o "$E2E_DIR/v6n.out" 'http://[fd77::1]:8001/blob'
check_eq "an AF_INET6 socket to fd77::1: curl's exit status" 0 "$?"
check "its 4 MB are the blob's" cmp -s "$E2E_DIR/www/blob" "$E2E_DIR/v6n.out"
check "the server saw the stack's IPv6 address" grep -q '^fd77::2 .*GET /blob' "$E2E_DIR/www6.out"
timeout 20 "${RUN[@]}" curl -v -sS -o /dev/null http://10.77.0.1:8001/ 2>"$E2E_DIR/refused.err"
check_eq "to a closed port: curl's exit status 7" 7 "$?"
check "curl saw ECONNREFUSED (non-blocking connect, SO_ERROR)" \
	grep -q 'Connection refused' "$E2E_DIR/refused.err"

timeout 20 "${RUN[@]}" curl -sS -o "$E2E_DIR/name.out" http://x.test:8000/blob
check_eq "slashnet-run curl http://x.test:8000/: exit status" 0 "$?"
check "its 4 MB are the blob's" cmp -s "$E2E_DIR/www/blob" "$E2E_DIR/name.out"
check "dnsmasq got the query from the stack" \
	grep -q 'query\[A\] x\.test from 10\.77\.0\.2' "$E2E_DIR/dnsmasq.out"

# A connection held open: the stack has it, the kernel has no socket of
# the program's (ss -p names a socket's owners).
spawn hold "${RUN[@]}" python3 -c '
import socket, sys, time
s = socket.create_connection(("10.77.0.1", 8000))
print("connected", s.getsockname()[1], s.getpeername(), flush=True)
time.sleep(30)'
HOLD=$SPAWN_PID
check "a shim python3 connects" wait_for "$E2E_DIR/hold.out" connected
port=$(awk '/connected/ { print $2 }' "$E2E_DIR/hold.out")
check "the stack holds its connection" grep -rqx "10.77.0.2!$port" "$MNT"/tcp/*/local
check "getpeername: the kernel's server" grep -q "('10.77.0.1', 8000)" "$E2E_DIR/hold.out"
owners=$(ss -Htanp | grep -c "pid=$HOLD,")
check_eq "the kernel has no socket of the shim program" 0 "$owners"
check "the kernel's side of it comes from the stack" \
	test -n "$(ss -Htn state established "dport = :$port and src 10.77.0.1")"
kill "$HOLD"

# iperf3 -C names the congestion control (TCP_CONGESTION) and reads it
# back: bbr through the stack, 2 s, and its report names bbr.
spawn iperf3s iperf3 -s -B 10.77.0.1 -p 5201
check "iperf3 -s listens on 10.77.0.1:5201" wait_listen 5201
timeout 20 "${RUN[@]}" iperf3 -c 10.77.0.1 -p 5201 -t 2 -C bbr -J >"$E2E_DIR/bbr.json"
check_eq "slashnet-run iperf3 -C bbr: exit status" 0 "$?"
read -r cc mbps <<<"$(python3 -c 'import json, sys
e = json.load(open(sys.argv[1]))["end"]
print(e.get("sender_tcp_congestion"), int(e["sum_sent"]["bits_per_second"] / 1e6))' \
	"$E2E_DIR/bbr.json" 2>/dev/null)"
check_eq "its report: sender_tcp_congestion" bbr "$cc"
check_gt "it moved data (Mbit/s)" "${mbps:-0}" 0
echo "# iperf3 -C bbr through slashnet-run: ${mbps:-none} Mbit/s"

stop_daemon
check_eq "SIGTERM: exit status" 0 "$?"
calls=$(grep -c GET "$E2E_DIR/www.out")
LD_PRELOAD=$E2E_BUILD/shim/libslashnet-sock.so SLASHNET_MNT=$MNT SLASHNET_DEBUG=1 \
	timeout 20 curl -sS -o /dev/null http://10.77.0.1:8000/blob 2>"$E2E_DIR/down.err"
rc=$?
check "the daemon stopped: curl fails ($rc)" test "$rc" -ne 0 -a "$rc" -ne 124
check "its socket() said why" grep -q 'slashnet-sock: socket: ' "$E2E_DIR/down.err"
check_eq "no call reached the kernel's server" "$calls" "$(grep -c GET "$E2E_DIR/www.out")"

out=$(tcpdump -n -r "$PCAP" udp port 53 2>/dev/null)
check "the query crossed the TUN" \
	grep -q '10\.77\.0\.2\.[0-9]* > 10\.77\.0\.1\.53: .* A? x\.test\. ' <<<"$out"
