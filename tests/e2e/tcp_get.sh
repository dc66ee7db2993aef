#!/bin/bash
# netcore as a TCP client (the C API, through nctool): an HTTP GET of 4 MB
# from the kernel's python3 http.server arrives byte-identical.
. "$(dirname "$0")/lib.sh"

check "the TUN sn0 is made, host side 10.77.0.1" make_tun
mkdir "$E2E_DIR/www"
head -c $((4 << 20)) /dev/urandom >"$E2E_DIR/www/file"
spawn http python3 -m http.server 8000 --bind 10.77.0.1 --directory "$E2E_DIR/www"
check "http.server listens on 10.77.0.1:8000" wait_listen 8000

timeout 30 "$NCTOOL" --no-config get 10.77.0.1 8000 /file >"$E2E_DIR/got"
check_eq "nctool get: exit status" 0 "$?"
check_eq "4 MB received" $((4 << 20)) "$(stat -c %s "$E2E_DIR/got")"
check "byte-identical" cmp "$E2E_DIR/www/file" "$E2E_DIR/got"
