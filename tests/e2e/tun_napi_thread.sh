#!/bin/bash
# The TUN's NAPI thread follows the flow (netcore/driver/tun.c, loop.c):
# off while the stack exchanges small packets, on while a download
# brings it super-packets or an upload sends them, off again once small
# exchanges follow. The
# switch is the TUN's sysfs file "threaded", seen here through a sysfs
# mounted in this scenario's own namespaces.
. "$(dirname "$0")/lib.sh"

NCBENCH=$E2E_BUILD/tests/bench/ncbench
PORT=8000
ECHO=8001
SINK=8002

# wait_threaded VALUE [SECONDS]: until the TUN's switch reads VALUE, at
# most SECONDS (10).
wait_threaded() {
	local i

	for ((i = 0; i < ${2:-10} * 20; i++)); do
		[ "$(cat "$SWITCH")" = "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# A few small exchanges: connect, one line echoed, close.
small_talk() {
	local i

	for ((i = 0; i < 20; i++)); do
		exec 3<>"$MNT/tcp/clone"
		read -r n <&3
		echo "connect 10.77.0.1!$ECHO" >&3 || return 1
		exec 4<>"$MNT/tcp/$n/data"
		echo ping >&4
		read -r line <&4
		exec 4<&- 3<&-
		[ "$line" = ping ] || return 1
	done
}

check "the daemon mounts $MNT" start_daemon
check "a sysfs of this namespace" mount -t sysfs sysfs /sys
SWITCH=/sys/class/net/$(ip -o link show type tun | awk -F': ' '{ print $2; exit }')/threaded
check "the TUN has a NAPI switch" test -w "$SWITCH"
spawn echo "$NCBENCH" echo 10.77.0.1 "$ECHO"
check "an echo server on 10.77.0.1:$ECHO" wait_for "$E2E_DIR/echo.out" ready
check "small exchanges" small_talk
check_eq "off after small exchanges" 0 "$(cat "$SWITCH")"

# transfer PORT WHAT COMMAND...: a conversation to PORT (ctl on fd 3,
# data as $DATA), COMMAND run on it in the background until the switch
# reads 1, then stopped and the conversation hung up.
transfer() {
	local port=$1 what=$2 pid n
	shift 2

	exec 3<>"$MNT/tcp/clone"
	read -r n <&3
	echo "connect 10.77.0.1!$port" >&3
	check_eq "connect to $port: exit status" 0 "$?"
	DATA=$MNT/tcp/$n/data "$@" &
	pid=$!
	check "on during the $what" wait_threaded 1
	kill "$pid"
	wait "$pid" 2>/dev/null
	echo hangup >&3
	exec 3<&-
}

# 64 GiB: the download is cut short by us, once the switch is seen.
spawn source "$NCBENCH" source 10.77.0.1 "$PORT" $((64 << 30))
check "a source on 10.77.0.1:$PORT" wait_for "$E2E_DIR/source.out" ready
transfer "$PORT" download sh -c 'exec cat "$DATA" >/dev/null'
check "small exchanges after it" small_talk
check "off again after them" wait_threaded 0 5

# An upload writes super-packets: on while it runs (cut short by us).
spawn sink "$NCBENCH" sink 10.77.0.1 "$SINK"
check "a sink on 10.77.0.1:$SINK" wait_for "$E2E_DIR/sink.out" ready
transfer "$SINK" upload sh -c 'exec dd if=/dev/zero of="$DATA" bs=1M count=65536 2>/dev/null'
check "small exchanges after the upload" small_talk
check "off again after those" wait_threaded 0 5
stop_daemon
