#!/bin/bash
# Bulk transfer one router hop away, SIZE_MB MiB (200; 20 with QUICK)
# each way, every contender in turn, ROUNDS times:
#
#   down   kernel  bash's /dev/tcp, read by cat (kernel client namespace)
#          cat     cat /net/tcp/N/data
#          cat6    the same over IPv6 (far end fd77:78::2): beside cat, the
#                  ratio of IPv6 to IPv4 in the same run
#          dd      dd if=/net/tcp/N/data bs=1M
#          api     the netcore C API (ncbench api, a stack of its own),
#                  blocking reads on the program's thread, the stack's
#                  loop on its own
#          apiloop the same event-driven: the program reads in the
#                  loop's callbacks, one thread for both (ncbench apiloop)
#          cat1cpu cat, it and the daemon pinned to CPU 0 (2 CPUs or more)
#          cat2cpu cat on CPU 1, the daemon on CPU 0: the two placements
#                  unpinned cat runs flip between
#          lwip    lwIP 2.1.3's raw API on a TAP (lwipget), if built
#          base    cat through a second daemon, BASE's (below)
#          baseapi BASE's C API (with api)
#   up     kernel  dd bs=1M into bash's /dev/tcp
#          dd      dd of=/net/tcp/N/data bs=1M
#          api     the netcore C API
#          base    dd through BASE's daemon (with dd)
#          baseapi BASE's C API (with api)
#
# The far end is ncbench source/sink. A download ends when the reader
# sees the end (the source closes after the last byte); an upload when the
# sink has read the end. For each: MB/s, the whole machine's CPU seconds
# per GB (/proc/stat) and the stack's own (the daemon's run time, lib.sh proc_cpu, or
# the api/lwip process's). For the daemon's contenders also counts a
# loaded machine does not change (v4 against v6 in particular), per MiB:
# packets the kernel hands the TUN (TCP super-packets of up to 64 KiB when
# TSO works for the family), packets the daemon writes (ACKs), and the far
# sender's retransmitted segments (spurious, so far: segments reordered on
# their way to the TUN; DESIGN.md, "Where a download's CPU goes").
#
# DOWN and UP, when set, name the contenders to run ("cat cat6", "" for
# none), in place of all of them; DAEMON_ARGS, daemon options for a
# comparison ("--cc bbr"). BASE, another build directory: an A/B of a
# change in one run, where runs one after the other would meet a machine
# whose speed drifts. Its slashnet serves a second mount (TUN sn1,
# 10.77.1.2): the contender base, alternated with the others, is cat
# through it (dd up); baseapi is its ncbench's C API.
. "$(dirname "$0")/lib.sh"

if [ "$QUICK" = 1 ]; then SIZE_MB=${SIZE_MB:-20}; else SIZE_MB=${SIZE_MB:-200}; fi
BYTES=$((SIZE_MB * 1024 * 1024))
DOWN_PORT=9001
UP_PORT=9002
DOWN6_PORT=9003
FAR6_ADDR=fd77:78::2

# ---- the contenders: each prints "BYTES T0 T1 CPU", CPU the stack's own
# seconds, "daemon" (measured around it) or "-" (the kernel) ----

kernel_down() {
	in_ns "$KCLIENT" bash -c 't0=$EPOCHREALTIME
		cat </dev/tcp/$1/$2 >/dev/null || exit 1
		echo "$3 $t0 $EPOCHREALTIME -"' _ "$FAR_ADDR" "$DOWN_PORT" "$BYTES"
}

# A /net conversation to the far end's PORT (lib.sh's clone: CONV, CONV_FD).
net_call() {
	clone tcp && ctl "connect $FAR_ADDR!$1"
}

cat_down() {
	local t0

	net_call "$DOWN_PORT" || return 1
	t0=$EPOCHREALTIME
	cat <"$CONV/data" >/dev/null || return 1
	echo "$BYTES $t0 $EPOCHREALTIME daemon"
}

# dd's count is read after the clock stops: the subshell and awk of a
# pipeline around it would be timed with the download.
dd_down() {
	local t0 t1

	net_call "$DOWN_PORT" || return 1
	t0=$EPOCHREALTIME
	dd if="$CONV/data" of=/dev/null bs=1M 2>"$E2E_DIR/dd.err" || return 1
	t1=$EPOCHREALTIME
	echo "$(awk '/bytes/ { print $1 }' "$E2E_DIR/dd.err") $t0 $t1 daemon"
}

cat6_down() {
	local t0

	clone tcp && ctl "connect $FAR6_ADDR!$DOWN6_PORT" || return 1
	t0=$EPOCHREALTIME
	cat <"$CONV/data" >/dev/null || return 1
	echo "$BYTES $t0 $EPOCHREALTIME daemon"
}

# v6_far: the far end's IPv6 (fd77:78::2/64, routed through fd77:78::1).
v6_far() {
	sysctl -qw net.ipv6.conf.all.forwarding=1 &&
		ip addr add fd77:78::1/64 dev far0 nodad &&
		in_ns "$FAR" ip addr add "$FAR6_ADDR/64" dev eth0 nodad &&
		in_ns "$FAR" ip -6 route add default via fd77:78::1
}

# api_down, api_up [NCBENCH]: the C API of this build's ncbench, or NCBENCH's.
api_down() {
	"${1:-$NCBENCH}" api "${API_STACK[@]}" down "$FAR_ADDR" "$DOWN_PORT"
}

apiloop_down() {
	"$NCBENCH" apiloop "${API_STACK[@]}" down "$FAR_ADDR" "$DOWN_PORT"
}

# CPU placement, the spread of unpinned cat runs: the daemon on CPU 0,
# cat on CPU $1 (cat1cpu: the same one; cat2cpu: the other); the daemon
# free again after.
pinned_cat() {
	local t0 out=

	taskset -a -p -c 0 "$DAEMON_PID" >/dev/null || return 1
	if net_call "$DOWN_PORT"; then
		t0=$EPOCHREALTIME
		taskset -c "$1" cat <"$CONV/data" >/dev/null &&
			out="$BYTES $t0 $EPOCHREALTIME daemon"
	fi
	taskset -a -p -c "0-$(($(nproc) - 1))" "$DAEMON_PID" >/dev/null
	[ -n "$out" ] && echo "$out"
}

cat1cpu_down() {
	pinned_cat 0
}

cat2cpu_down() {
	pinned_cat 1
}

# base: cat down, dd up, through BASE's daemon.
base_down() {
	MNT=$BASE_MNT cat_down
}

base_up() {
	MNT=$BASE_MNT dd_up
}

baseapi_down() {
	api_down "$BASE/tests/bench/ncbench"
}

baseapi_up() {
	api_up "$BASE/tests/bench/ncbench"
}

# start_base: BASE's daemon on sn1, mounted on BASE_MNT (start_daemon,
# which sets DAEMON_PID: this build's daemon keeps it); sets BASE_PID.
start_base() {
	local ours=$DAEMON_PID r

	BASE_MNT=$E2E_DIR/base
	mkdir -p "$BASE_MNT" || return 1
	SLASHNET=$BASE/fs/slashnet MNT=$BASE_MNT start_daemon \
		--tun sn1 --addr 10.77.1.2/24 --gw 10.77.1.1 --no-ipv6
	r=$?
	BASE_PID=$DAEMON_PID
	DAEMON_PID=$ours
	return "$r"
}

lwip_down() {
	"$LWIPGET" "${LWIP_STACK[@]}" "$FAR_ADDR" "$DOWN_PORT"
}

# sink_end: the sink's next line (after SINK_LINES), "BYTES T_END", once
# it has read an upload to its end; 1 if none within 60 s.
sink_end() {
	local i

	for ((i = 0; i < 1200; i++)); do
		if [ "$(wc -l <"$E2E_DIR/sink.out")" -gt "$SINK_LINES" ]; then
			sed -n "$((SINK_LINES + 1))p" "$E2E_DIR/sink.out"
			return 0
		fi
		sleep 0.05
	done
	return 1
}

kernel_up() {
	local t0 end

	t0=$(in_ns "$KCLIENT" bash -c 't0=$EPOCHREALTIME
		dd if=/dev/zero bs=1M count=$3 iflag=fullblock 2>/dev/null >/dev/tcp/$1/$2 || exit 1
		echo "$t0"' _ "$FAR_ADDR" "$UP_PORT" "$SIZE_MB") || return 1
	end=$(sink_end) || return 1
	echo "${end% *} $t0 ${end#* } -"
}

dd_up() {
	local t0 end

	net_call "$UP_PORT" || return 1
	t0=$EPOCHREALTIME
	dd if=/dev/zero of="$CONV/data" bs=1M count="$SIZE_MB" iflag=fullblock 2>/dev/null ||
		return 1
	exec {CONV_FD}>&-	# the last close: FIN after the data
	end=$(sink_end) || return 1
	echo "${end% *} $t0 ${end#* } daemon"
}

api_up() {
	local out

	out=$("${1:-$NCBENCH}" api "${API_STACK[@]}" up "$FAR_ADDR" "$UP_PORT" "$BYTES") || return 1
	sink_end >/dev/null || return 1
	echo "$out"
}

# The TUN's packet counters, "TO_DAEMON FROM_DAEMON", and the far end's
# TCP retransmissions so far.
tun_packets() {
	awk '{ sub(/:/, " ") } $1 == "sn0" { print $11, $3 }' /proc/net/dev
}

far_retrans() {
	in_ns "$FAR" awk '$1 == "Tcp:" && $2 ~ /^[0-9]/ { print $13 }' /proc/net/snmp
}

# per_mib N0 N1: (N1 - N0) per MiB moved.
per_mib() {
	awk -v n=$(($2 - $1)) -v b="$BYTES" 'BEGIN { printf "%.2f", n / (b / 1048576) }'
}

# measure DIR CONTENDER: one run of CONTENDER_DIR, its RESULT lines.
measure() {
	local dir=$1 who=$2 m0 d0 m1 d1 dcpu p0 p1 r0 r1 out bytes t0 t1 cpu pid=$DAEMON_PID

	[ "$who" = base ] && pid=$BASE_PID
	SINK_LINES=$(wc -l <"$E2E_DIR/sink.out")
	m0=$(machine_ticks)
	d0=$(proc_cpu "$pid")
	p0=($(tun_packets))
	r0=$(far_retrans)
	out=$("${who}_$dir")
	m1=$(machine_ticks)
	d1=$(proc_cpu "$pid")
	p1=($(tun_packets))
	r1=$(far_retrans)
	read -r bytes t0 t1 cpu <<<"$out"
	dcpu=$(awk -v a="$d0" -v b="$d1" 'BEGIN { print b - a }')
	[ "$who" = base ] && cpu=base	# not sn0's counters
	if [ "${bytes:-0}" != "$BYTES" ] || cat "$E2E_DIR"/source*.out | grep -q ncbench:; then
		not_ok "$dir, $who, round $r: moved ${bytes:-nothing} of $BYTES bytes"
		return 1
	fi
	result "$dir" "$who" MB/s "$(mbps "$BYTES" "$t0" "$t1")"
	result "$dir-cpu" "$who" s/GB "$(per_gb $((m1 - m0)) "$BYTES" ticks)"
	case $cpu in
	daemon)
		result "$dir-cpu-stack" "$who" s/GB "$(per_gb "$dcpu" "$BYTES")"
		result "$dir-tun-in" "$who" pk/MiB "$(per_mib "${p0[0]}" "${p1[0]}")"
		result "$dir-tun-out" "$who" pk/MiB "$(per_mib "${p0[1]}" "${p1[1]}")"
		if [ "$dir" = down ]; then
			result "$dir-retrans" "$who" seg/MiB "$(per_mib "$r0" "$r1")"
		fi
		;;
	base) result "$dir-cpu-stack" "$who" s/GB "$(per_gb "$dcpu" "$BYTES")" ;;
	-) ;;
	*) result "$dir-cpu-stack" "$who" s/GB "$(per_gb "$cpu" "$BYTES")" ;;
	esac
}

check "a router: far end, kernel client" router
check "the far end's IPv6" v6_far
# shellcheck disable=SC2086
check "the daemon mounts $MNT" start_daemon ${DAEMON_ARGS:-}
far source source "$DOWN_PORT" "$BYTES"
spawn source6 in_ns "$FAR" "$NCBENCH" source "$FAR6_ADDR" "$DOWN6_PORT" "$BYTES"
check "far end: source on [$FAR6_ADDR]:$DOWN6_PORT" wait_for "$E2E_DIR/source6.out" ready
far sink sink "$UP_PORT"
down=(kernel cat cat6 dd api apiloop)
[ "$(nproc)" -ge 2 ] && down+=(cat1cpu cat2cpu)
if lwip_tap; then
	down+=(lwip)
else
	echo "# no lwIP: $LWIPGET was not built (apt-get install liblwip-dev, then rebuild)"
fi
up=(kernel dd api)
[ -n "${DOWN+set}" ] && read -ra down <<<"$DOWN"
[ -n "${UP+set}" ] && read -ra up <<<"$UP"
if [ -n "${BASE:-}" ]; then
	check "BASE's daemon mounts a second tree" start_base
	[ ${#down[@]} -gt 0 ] && down+=(base)
	[[ " ${down[*]} " = *" api "* ]] && down+=(baseapi)
	[[ " ${up[*]} " = *" api "* ]] && up+=(baseapi)
	[[ " ${up[*]} " = *" dd "* ]] && up+=(base)
fi
fails=0
for ((r = 1; r <= ROUNDS; r++)); do
	for who in "${down[@]}"; do measure down "$who" || fails=$((fails + 1)); done
	for who in "${up[@]}"; do measure up "$who" || fails=$((fails + 1)); done
done
check_eq "every transfer of $SIZE_MB MiB completed" 0 "$fails"
stop_daemon
