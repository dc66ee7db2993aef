#!/bin/bash
# netcore as a TCP server (the C API, through nctool): the kernel's curl
# downloads 4 MB from it, byte-identical, three times in a row.
. "$(dirname "$0")/lib.sh"

head -c $((4 << 20)) /dev/urandom >"$E2E_DIR/file"
spawn serve timeout 30 "$NCTOOL" serve 8080 "$E2E_DIR/file" 3
check "nctool listens on 10.77.0.2:8080" wait_for "$E2E_DIR/serve.out" listening
for i in 1 2 3; do
	curl -sS --max-time 20 -o "$E2E_DIR/got" http://10.77.0.2:8080/file
	check_eq "curl $i: exit status" 0 "$?"
	check "curl $i: byte-identical" cmp "$E2E_DIR/file" "$E2E_DIR/got"
done
wait_exit "$SPAWN_PID" 10
check_eq "nctool serve: exit status after three requests" 0 "$?"
