#!/bin/bash
# An upload through /net over a path that drops 1% of the packets each
# way (tests/e2e/loss_path.bash): `dd bs=1M` of 20 MB into data, to a
# kernel receiver one hop away, every byte arriving as sent. The daemon's
# TUN writer (netcore/driver/tx.c) writes the segments from the send
# buffer while the stack takes ACKs and SACKs, resends what was lost and
# gives acked chunks back meanwhile: a chunk given back while a batch
# still points into it must keep its bytes (buf.c chunks_hold), or a
# resent segment carries another's. The daemon runs BBR, whose window
# random loss does not shrink, so the upload stays bulk and the writer
# on (with CUBIC and 2%, the writer never started in 1 run of 6; with
# BBR and 2%, in 1 of 18).
# e2e-timeout: 200
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/loss_path.bash"

head -c $((20 << 20)) /dev/urandom >"$E2E_DIR/file"
check "a path dropping 1% each way, two namespaces behind its router" lp_setup 1
check "the daemon mounts $MNT, BBR its congestion control" start_daemon --cc bbr
check "a receiver on 10.78.0.2" lp_receiver "$E2E_DIR/got"
exec 3<>"$MNT/tcp/clone"
read -r n <&3
echo "connect 10.78.0.2!$LP_PORT" >&3
check_eq "connect: exit status" 0 "$?"
timeout 150 dd if="$E2E_DIR/file" of="$MNT/tcp/$n/data" bs=1M 2>/dev/null
check_eq "dd through data: exit status" 0 "$?"
exec 3<&-	# the last close: FIN after the data
wait "$LP_RCV"
check_eq "the receiver saw the end: exit status" 0 "$?"
check "every byte arrived as sent" cmp "$E2E_DIR/file" "$E2E_DIR/got"
check_gt "packets were dropped ($(lp_dropped))" "$(lp_dropped)" 0
check "the TUN writer thread started" grep -qx netcore-tx /proc/"$DAEMON_PID"/task/*/comm
