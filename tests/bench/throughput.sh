#!/bin/bash
# Bulk download: the Linux kernel's own TCP against slashnet, same run.
#
#   kernel:   socat sends SIZE bytes over loopback; dd reads them from a
#             kernel socket (bash's /dev/tcp) and drops them
#   slashnet: socat (kernel) sends SIZE bytes through the TUN to netcore;
#             dd reads /net/tcp/N/data and drops them
#
# Prints both rates and the ratio. Runs in its own namespaces (the e2e
# library's), so it touches nothing outside. SIZE in MiB (default 1000).
. "$(dirname "$0")/../e2e/lib.sh"

SIZE_MB=${SIZE_MB:-1000}
BYTES=$((SIZE_MB * 1024 * 1024))

now() { date +%s.%N; }

# sender PORT ADDR: socat serving BYTES of zeros on ADDR:PORT, once.
sender() {
	timeout 120 socat -b 262144 -u OPEN:/dev/zero,readbytes=$BYTES \
		TCP-LISTEN:"$1",bind="$2",reuseaddr &
	E2E_PIDS+=($!)
	wait_listen "$1" || return 1
}

rate() {	# MB/s from bytes and two times
	echo "$1 $2 $3" | awk '{ printf "%.0f", $1 / ($3 - $2) / 1e6 }'
}

# The bytes dd says it copied, from its report on stdin.
copied() {
	awk '/bytes/ { print $1 }' | tail -n 1
}

kernel_rate() {
	local t0 t1 got
	sender 9001 127.0.0.1 || return 1
	t0=$(now)
	got=$(timeout 120 dd of=/dev/null bs=1M </dev/tcp/127.0.0.1/9001 2>&1 | copied)
	t1=$(now)
	[ "$got" -eq "$BYTES" ] || return 1
	rate "$BYTES" "$t0" "$t1"
}

slashnet_rate() {
	local n t0 t1 got
	sender 9002 10.77.0.1 || return 1
	exec 3<>"$MNT/tcp/clone"
	read -r n <&3
	echo "connect 10.77.0.1!9002" >&3 || return 1
	t0=$(now)
	got=$(timeout 120 dd if="$MNT/tcp/$n/data" of=/dev/null bs=1M 2>&1 | copied)
	t1=$(now)
	exec 3>&-
	[ "$got" -eq "$BYTES" ] || return 1
	rate "$BYTES" "$t0" "$t1"
}

check "the daemon mounts $MNT" start_daemon
k=$(kernel_rate) || k=
s=$(slashnet_rate) || s=
check "kernel transfer of $SIZE_MB MiB completes" test -n "$k"
check "slashnet transfer of $SIZE_MB MiB completes" test -n "$s"
if [ -n "$k" ] && [ -n "$s" ]; then
	echo "kernel TCP (loopback, dd):   $k MB/s"
	echo "slashnet (dd tcp/N/data):    $s MB/s"
	echo "ratio:                       $(echo "$s $k" | awk '{ printf "%.2f", $1 / $2 }')"
fi
stop_daemon
