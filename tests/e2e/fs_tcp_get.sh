#!/bin/bash
# A TCP client in pure shell over /net/tcp: connect through the clone's
# ctl, GET 4 MB from the kernel's python3 http.server, read data to EOF;
# the body is byte-identical, and most of it was read from the TUN
# straight into the connection's queue (tcp/stats InPlaceSegs).
. "$(dirname "$0")/lib.sh"

check "the daemon mounts $MNT" start_daemon
mkdir "$E2E_DIR/www"
head -c $((4 << 20)) /dev/urandom >"$E2E_DIR/www/file"
spawn http python3 -m http.server 8000 --bind 10.77.0.1 --directory "$E2E_DIR/www"
check "http.server listens on 10.77.0.1:8000" wait_listen 8000

exec 3<>"$MNT/tcp/clone"
read -r n <&3
echo "connect 10.77.0.1!8000" >&3
check_eq "connect 10.77.0.1!8000: exit status" 0 "$?"
check_eq "status: Established" Established "$(cut -d' ' -f1 "$MNT/tcp/$n/status")"
check_eq "remote" "10.77.0.1!8000" "$(cat "$MNT/tcp/$n/remote")"
exec 4<>"$MNT/tcp/$n/data"
printf 'GET /file HTTP/1.0\r\nHost: 10.77.0.1\r\n\r\n' >&4
timeout 30 cat <&4 >"$E2E_DIR/resp"
check_eq "data read to EOF" 0 "$?"
exec 4<&- 3<&-

check "HTTP/1.0 200" grep -q '^HTTP/1.0 200' <(head -c 100 "$E2E_DIR/resp")
hdr=$(head -c 4096 "$E2E_DIR/resp" | sed '/^\r$/q' | wc -c)
tail -c +$((hdr + 1)) "$E2E_DIR/resp" >"$E2E_DIR/body"
check_eq "4 MB of body" $((4 << 20)) "$(stat -c %s "$E2E_DIR/body")"
check "byte-identical" cmp "$E2E_DIR/www/file" "$E2E_DIR/body"
check_gt "segments read in place (InPlaceSegs)" "$(counter "$MNT/tcp/stats" InPlaceSegs)" 0
