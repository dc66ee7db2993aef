#!/bin/bash
# ApacheBench through examples/forward.sh: ab on the kernel's side calls
# the stack, each call is relayed back to nginx on the kernel's side.
# 2000 requests, 20 at a time, without and with keep-alive: none fails;
# then nothing is left of the relays.
# e2e-timeout: 150
. "$(dirname "$0")/lib.sh"

check "the daemon mounts $MNT" start_daemon
kernel_nginx 8081
forwarder 8000 '10.77.0.1!8081'

# failed ab-ARGS...: run ab, print its count of failed requests (or "ab
# failed" and its output).
failed() {
	local out=$E2E_DIR/ab.out

	if timeout 60 ab -q -s 10 "$@" >"$out" 2>&1; then
		sed -n 's/^Failed requests: *//p' "$out"
		sed -n 's/^Requests per second: *\([0-9.]*\).*/\1/p' "$out" >>"$E2E_DIR/rates"
	else
		echo "ab failed: $(tail -n 3 "$out")"
	fi
}

check_eq "ab -n 2000 -c 20: failed requests" 0 "$(failed -n 2000 -c 20 http://10.77.0.2:8000/)"
check_eq "ab -k -n 2000 -c 20: failed requests" 0 "$(failed -k -n 2000 -c 20 http://10.77.0.2:8000/)"
echo "# requests per second (plain, keep-alive): $(paste -sd' ' "$E2E_DIR/rates")"
