#!/bin/bash
# Bulk transfer, the Linux kernel's own TCP against slashnet, same run:
#
#   download  kernel:   socat sends SIZE bytes over loopback; dd reads them
#                       from a kernel socket (bash's /dev/tcp)
#             slashnet: socat (kernel) sends through the TUN to netcore;
#                       dd reads /net/tcp/N/data
#   upload    kernel:   dd writes to a kernel socket; socat drops the bytes
#             slashnet: dd writes /net/tcp/N/data; socat (kernel) drops them
#
# Prints the rates and the ratios. Runs in its own namespaces (the e2e
# library's), so it touches nothing outside. SIZE_MB in MiB (default 1000).
# READER=cat downloads with `cat >/dev/null` on both sides instead of dd
# (cat reads in steps of st_blksize): the run counts as complete when cat
# ends at EOF with status 0 and the sender sent every byte.
. "$(dirname "$0")/../e2e/lib.sh"

SIZE_MB=${SIZE_MB:-1000}
BYTES=$((SIZE_MB * 1024 * 1024))
PORT=9000

now() { date +%s.%N; }

rate() {	# MB/s from bytes and two times
	echo "$1 $2 $3" | awk '{ printf "%.0f", $1 / ($3 - $2) / 1e6 }'
}

# The bytes dd says it copied, from its report on stdin.
copied() {
	awk '/bytes/ { print $1 }' | tail -n 1
}

# peer ADDR DIRECTION: a kernel socat on ADDR:PORT (a new port each time)
# that sends BYTES of zeros (down) or drops what it gets (up), once.
peer() {
	PORT=$((PORT + 1))
	if [ "$2" = down ]; then
		timeout 120 socat -b 262144 -u OPEN:/dev/zero,readbytes=$BYTES \
			TCP-LISTEN:$PORT,bind="$1",reuseaddr &
	else
		timeout 120 socat -b 262144 -u TCP-LISTEN:$PORT,bind="$1",reuseaddr \
			OPEN:/dev/null &
	fi
	E2E_PIDS+=($!)
	wait_listen $PORT
}

# timed COMMAND...: run it (a dd), print "BYTES T0 T1".
timed() {
	local t0 t1 got
	t0=$(now)
	got=$("$@" 2>&1 | copied)
	t1=$(now)
	echo "$got $t0 $t1"
}

# result "BYTES T0 T1": the rate, or nothing if not every byte went.
result() {
	set -- $1
	[ "${1:-0}" -eq "$BYTES" ] && rate "$1" "$2" "$3"
}

# timed_cat FILE: cat FILE to /dev/null, print "BYTES T0 T1" (BYTES only
# if cat ended well: the sender sends exactly BYTES, then closes).
timed_cat() {
	local t0 t1
	t0=$(now)
	timeout 120 bash -c 'cat <"$1" >/dev/null' _ "$1" || return 1
	t1=$(now)
	echo "$BYTES $t0 $t1"
}

kernel_down() {
	peer 127.0.0.1 down || return 1
	if [ "${READER:-dd}" = cat ]; then
		result "$(timed_cat /dev/tcp/127.0.0.1/$PORT)"
		return
	fi
	result "$(timed timeout 120 bash -c "dd of=/dev/null bs=1M </dev/tcp/127.0.0.1/$PORT")"
}

kernel_up() {
	peer 127.0.0.1 up || return 1
	result "$(timed timeout 120 bash -c "dd if=/dev/zero bs=1M count=$SIZE_MB \
		iflag=fullblock >/dev/tcp/127.0.0.1/$PORT")"
}

# slashnet DIRECTION: the same through a /net conversation.
slashnet() {
	local n r
	peer 10.77.0.1 "$1" || return 1
	exec 3<>"$MNT/tcp/clone"
	read -r n <&3
	echo "connect 10.77.0.1!$PORT" >&3 || return 1
	if [ "$1" = down ] && [ "${READER:-dd}" = cat ]; then
		r=$(timed_cat "$MNT/tcp/$n/data")
	elif [ "$1" = down ]; then
		r=$(timed timeout 120 dd if="$MNT/tcp/$n/data" of=/dev/null bs=1M)
	else
		r=$(timed timeout 120 dd if=/dev/zero of="$MNT/tcp/$n/data" bs=1M \
			count=$SIZE_MB iflag=fullblock)
	fi
	exec 3>&-
	result "$r"
}

report() {	# report WHAT KERNEL OURS
	check "$1: kernel transfer of $SIZE_MB MiB completes" test -n "$2"
	check "$1: slashnet transfer of $SIZE_MB MiB completes" test -n "$3"
	[ -n "$2" ] && [ -n "$3" ] || return
	printf '%-9s kernel %5s MB/s   slashnet %5s MB/s   ratio %s\n' "$1" "$2" "$3" \
		"$(echo "$3 $2" | awk '{ printf "%.2f", $1 / $2 }')"
}

check "the daemon mounts $MNT" start_daemon
report download "$(kernel_down)" "$(slashnet down)"
report upload "$(kernel_up)" "$(slashnet up)"
stop_daemon
