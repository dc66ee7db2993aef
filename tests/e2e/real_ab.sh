#!/bin/bash
# ApacheBench through examples/forward.sh and examples/netforward: ab on
# the kernel's side calls the stack, each call is relayed back to nginx on
# the kernel's side. 2000 requests, 20 at a time, without and with
# keep-alive: none fails. (A relay in shell costs four forks and two
# execs a connection: its rate without keep-alive is bound by fork, some
# 30 requests a second on a 2-core VM, so that run takes a minute.)
# e2e-timeout: 300
. "$(dirname "$0")/lib.sh"

check "the daemon mounts $MNT" start_daemon
kernel_nginx 8081
forwarder 8000 '10.77.0.1!8081'
netforwarder 8001 '10.77.0.1!8081'

# failed ab-ARGS...: run ab, print its count of failed requests (or "ab
# failed" and its output).
failed() {
	local out=$E2E_DIR/ab.out

	if timeout 200 ab -q "$@" >"$out" 2>&1; then
		sed -n 's/^Failed requests: *//p' "$out"
		sed -n 's/^Requests per second: *\([0-9.]*\).*/\1/p' "$out" >>"$E2E_DIR/rates"
	else
		echo "ab failed: $(tail -n 1 "$out")"
	fi
}

for port in 8000 8001; do
	check_eq "ab -n 2000 -c 20 via $port: failed requests" 0 \
		"$(failed -n 2000 -c 20 "http://10.77.0.2:$port/")"
	check_eq "ab -k -n 2000 -c 20 via $port: failed requests" 0 \
		"$(failed -k -n 2000 -c 20 "http://10.77.0.2:$port/")"
done
echo "# requests per second (forward.sh: plain, keep-alive; netforward: plain, keep-alive):" \
	"$(paste -sd' ' "$E2E_DIR/rates")"
