#!/bin/bash
# An upload of 48 MB through /net in writes of many sizes, most big and
# back to back, with other requests between some of them (status reads,
# writes through a second, non-blocking descriptor): the daemon reads an
# upload's next write straight into the socket's queue when it is the
# write it expects (fs/reply.c), and puts anything else back where it
# belongs. Every byte must arrive, in order, and each status read whole;
# a reset between writes reaches the writer as one.
. "$(dirname "$0")/lib.sh"

SIZE=$((48 << 20))

check "the daemon mounts $MNT" start_daemon
head -c "$SIZE" /dev/urandom >"$E2E_DIR/file"
spawn sink socat -u TCP4-LISTEN:9000,bind=10.77.0.1,reuseaddr CREATE:"$E2E_DIR/got"
sink=$SPAWN_PID
check "socat listens on 10.77.0.1:9000" wait_listen 9000

clone tcp && ctl "connect 10.77.0.1!9000"
check_eq "connect 10.77.0.1!9000: exit status" 0 "$?"
timeout 60 python3 "$E2E_ROOT/tests/e2e/upload_mixed.py" "$CONV/data" "$CONV/status" "$E2E_DIR/file"
check_eq "the mixed writes: exit status" 0 "$?"
check "status reads whole between the writes" grep -q "^Established" "$CONV/status"
exec {CONV_FD}>&-
wait_exit "$sink" 20
check_eq "socat saw the end: exit status" 0 "$?"
check_eq "48 MB arrived" "$SIZE" "$(stat -c %s "$E2E_DIR/got")"
check "byte-identical" cmp "$E2E_DIR/file" "$E2E_DIR/got"

# The peer resets the upload between two writes, none of them waiting:
# the socket keeps the reset's error, the daemon guesses at the requests
# that follow, and the next write still gets the reset, not EPIPE (the
# guess must leave the error to data.c); err tells it.
out=$(timeout 30 python3 "$E2E_ROOT/tests/e2e/upload_reset.py" "$MNT" 10.77.0.1)
check_eq "the write after the reset" ECONNRESET "$(sed -n 1p <<<"$out")"
check_eq "err tells the reset" "data: Connection reset by peer" "$(sed -n 2p <<<"$out")"
