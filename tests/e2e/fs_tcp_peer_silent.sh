#!/bin/bash
# A peer that stops answering (issue 12): with `usertimeout 1000`, a reader
# blocked on data and a writer blocked on a full send buffer both get
# ETIMEDOUT, and err says so; neither gets EPIPE or waits for the whole
# retransmission count.
. "$(dirname "$0")/lib.sh"

check "the daemon mounts $MNT" start_daemon
kernel_sink 7790

clone tcp
echo "connect 10.77.0.1!7790" >&"$CONV_FD"
check "usertimeout 1000" ctl "usertimeout 1000"
check_eq "a first line goes" "write 6" "$("$FDTOOL" "$CONV/data" $'write:hello\n')"

check "nftables drops every packet to and from the stack" nft -f - <<NFT
table inet e2e {
	chain in {
		type filter hook input priority 0;
		iifname "sn0" counter drop
	}
	chain out {
		type filter hook output priority 0;
		oifname "sn0" counter drop
	}
}
NFT

"$FDTOOL" "$CONV/data" read >"$E2E_DIR/reader.out" 2>&1 &
reader=$!
E2E_PIDS+=("$reader")
check "the reader waits in read" wait_in_read "$reader"
# More than the send buffer (2 MiB, SPEC §7): the writer blocks until the
# timeout. Its third write goes into the queue past the buffer's limit
# (NC_MSG_OVERFILL) to wait for room, which never comes: it fails, and
# only the first two count as written.
timeout 30 dd if=/dev/zero of="$CONV/data" bs=1M count=4 2>"$E2E_DIR/writer.err"
check "the writer fails with ETIMEDOUT" grep -q "Connection timed out" "$E2E_DIR/writer.err"
written=$(awk '/bytes/ { print $1 }' "$E2E_DIR/writer.err")
check "no more than the send buffer counts as written (${written:-none} bytes)" \
	test "${written:-9999999}" -le $((2 << 20))
check "the reader ends" wait_exit "$reader" 20
check_eq "the reader gets ETIMEDOUT" ETIMEDOUT "$(cat "$E2E_DIR/reader.out")"
check "err says so" grep -q "Connection timed out" "$CONV/err"
check_eq "a read after: ETIMEDOUT again" ETIMEDOUT "$(timeout 10 "$FDTOOL" "$CONV/data" read)"
nft delete table inet e2e
