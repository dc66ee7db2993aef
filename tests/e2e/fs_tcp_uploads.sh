#!/bin/bash
# Two uploads at once through /net, 32 MB each with `dd bs=1M` to the
# kernel's socat, each byte-identical: writes of 1 MiB to two data files
# in turn, each queued whole or parked until its socket has room, never
# mixed; their segments written to the TUN by the daemon's writer thread
# (netcore/driver/tx.c) from send buffers the stack goes on taking ACKs
# into.
. "$(dirname "$0")/lib.sh"

SIZE_MB=32

check "the daemon mounts $MNT" start_daemon
sinks=()
for i in 0 1; do
	head -c $((SIZE_MB << 20)) /dev/urandom >"$E2E_DIR/file$i"
	spawn "sink$i" socat -u "TCP4-LISTEN:900$i,bind=10.77.0.1,reuseaddr" CREATE:"$E2E_DIR/got$i"
	sinks+=("$SPAWN_PID")
	check "socat listens on 10.77.0.1:900$i" wait_listen "900$i"
done

# upload I: connect to socat I, then dd the file into data
upload() {
	exec 3<>"$MNT/tcp/clone" && read -r n <&3 && echo "connect 10.77.0.1!900$1" >&3 &&
		dd if="$E2E_DIR/file$1" of="$MNT/tcp/$n/data" bs=1M 2>/dev/null
}
pids=()
for i in 0 1; do
	timeout 60 bash -c "$(declare -f upload); MNT=$MNT E2E_DIR=$E2E_DIR upload $i" &
	pids+=($!)
done
for i in 0 1; do
	wait "${pids[$i]}"
	check_eq "upload $((i + 1)): exit status" 0 "$?"
	wait_exit "${sinks[$i]}" 20
	check_eq "socat $((i + 1)) saw the end: exit status" 0 "$?"
	check "upload $((i + 1)): byte-identical" cmp "$E2E_DIR/file$i" "$E2E_DIR/got$i"
done
check "the TUN writer thread started" grep -qx netcore-tx /proc/"$DAEMON_PID"/task/*/comm
