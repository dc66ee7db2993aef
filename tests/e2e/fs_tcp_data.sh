#!/bin/bash
# data of a TCP conversation (SPEC §4): ENOTCONN before connect; after
# `shutdown wr` a write fails with EPIPE while reading goes on to the
# peer's FIN (EOF); after the peer's RST a read fails with ECONNRESET.
. "$(dirname "$0")/lib.sh"

check "the daemon mounts $MNT" start_daemon
kernel_echo 7777
spawn reset kpeer tcp-reset 10.77.0.1 7778
check "the kernel resetter is ready" wait_for "$E2E_DIR/reset.out" ready

clone tcp
check_eq "st_blksize of data: 1 MiB, so cat reads in 1 MiB steps" 1048576 \
	"$(stat -c %o "$CONV/data")"
check_eq "read before connect" ENOTCONN "$("$FDTOOL" "$CONV/data" read)"

echo "connect 10.77.0.1!7777" >&"$CONV_FD"
exec 4<>"$CONV/data"
echo "before shutdown" >&4
check "shutdown wr" ctl "shutdown wr"
check_eq "write after shutdown wr" EPIPE "$("$FDTOOL" "$CONV/data" write:late)"
check_eq "reading goes on: the echo, then EOF at the peer's FIN" \
	$'read before shutdown\nread eof' "$(timeout 10 "$FDTOOL" "$CONV/data" read read)"
exec 4<&-

clone tcp
echo "connect 10.77.0.1!7778" >&"$CONV_FD"
check_eq "a line to the resetter" "write 4" "$("$FDTOOL" "$CONV/data" $'write:bye\n')"
check "it resets" wait_for "$E2E_DIR/reset.out" "reset sent" 5
check_eq "read after the peer's RST" ECONNRESET "$(timeout 10 "$FDTOOL" "$CONV/data" read)"
check_eq "a write after the reader took the reset: the reset too, not EPIPE" ECONNRESET \
	"$("$FDTOOL" "$CONV/data" write:again)"
check_eq "reading again: the reset again" ECONNRESET "$(timeout 10 "$FDTOOL" "$CONV/data" read)"
check "err tells the reset" grep -q "data: Connection reset by peer" "$CONV/err"
check_eq "status: Closed" Closed "$(cut -d' ' -f1 "$CONV/status")"
