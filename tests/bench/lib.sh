# The library of the bench scenarios (tests/bench/*.sh, run by
# tests/bench/run.sh); each sources it first. It is the e2e library (own
# network, mount and PID namespaces, the daemon, checks) plus a router,
# CPU accounting and the RESULT lines run.sh gathers:
#
#     RESULT SCENARIO CONTENDER UNIT VALUE     one measurement of one round
#
# Environment: ROUNDS (5; 2 with QUICK), rounds of alternated contenders; QUICK=1, small
# sizes and counts, to check the suite works (figures meaningless).
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"

QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then ROUNDS=${ROUNDS:-2}; else ROUNDS=${ROUNDS:-5}; fi
NCBENCH=$E2E_BUILD/tests/bench/ncbench
LWIPGET=$E2E_BUILD/tests/bench/lwipget
TICK=$(getconf CLK_TCK)

# The addresses: this namespace is the router between the stack's TUN
# (10.77.0.0/24, the daemon's), the far end (10.78.0.2), a kernel client
# (10.79.0.2), the C API's TUN (10.80.0.0/24) and lwIP's TAP (10.80.1.0/24):
# every contender is one forwarding hop from the far end.
FAR_ADDR=10.78.0.2
API_STACK=(nb0 10.80.0.2/24 10.80.0.1)
LWIP_STACK=(lw0 10.80.1.2/24 10.80.1.1)

# result SCENARIO CONTENDER UNIT VALUE
result() {
	echo "RESULT $*"
}

# wire PID NET DEV: a veth DEV from here (NET.1) to the namespace of PID
# (eth0, NET.2, default route through NET.1).
wire() {
	ip link add "$3" type veth peer name eth0 netns "$1" &&
		ip addr add "$2.1/24" dev "$3" && ip link set "$3" up &&
		in_ns "$1" ip link set lo up &&
		in_ns "$1" ip addr add "$2.2/24" dev eth0 &&
		in_ns "$1" ip link set eth0 up &&
		in_ns "$1" ip route add default via "$2.1"
}

# router: forwarding on, the far end's namespace (FAR) and the kernel
# client's (KCLIENT).
router() {
	sysctl -qw net.ipv4.ip_forward=1 &&
		new_netns && FAR=$NS_PID && wire "$FAR" 10.78.0 far0 &&
		new_netns && KCLIENT=$NS_PID && wire "$KCLIENT" 10.79.0 kcl0
}

# far NAME MODE PORT [ARGS...]: an ncbench server (source, sink, echo) on
# FAR_ADDR:PORT in the far end's namespace; its output in $E2E_DIR/NAME.out.
far() {
	local name=$1 mode=$2 port=$3
	shift 3
	spawn "$name" in_ns "$FAR" "$NCBENCH" "$mode" "$FAR_ADDR" "$port" "$@"
	check "far end: $mode on $FAR_ADDR:$port" wait_for "$E2E_DIR/$name.out" ready
}

# lwip_tap: the TAP lwipget attaches to, host side up (when lwipget was
# built: Debian's liblwip-dev was there). 1 if there is no lwIP.
lwip_tap() {
	[ -x "$LWIPGET" ] || return 1
	ip tuntap add dev "${LWIP_STACK[0]}" mode tap &&
		ip addr add "${LWIP_STACK[2]}/24" dev "${LWIP_STACK[0]}" &&
		ip link set "${LWIP_STACK[0]}" up
}

# Busy clock ticks of the whole machine (/proc/stat: all but idle, iowait).
machine_ticks() {
	awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

# proc_cpu PID: the CPU seconds PID's threads have run, to the
# nanosecond (/proc/PID/task/*/schedstat), where /proc/PID/stat counts
# clock ticks (a 200 MiB download is some 14 of the daemon's); ticks
# divided by CLK_TCK where the kernel keeps no schedstat.
proc_cpu() {
	if [ -r "/proc/$1/schedstat" ]; then
		cat /proc/"$1"/task/*/schedstat | awk '{ ns += $1 } END { printf "%.6f", ns / 1e9 }'
	else
		awk -v t="$(proc_ticks "$1")" -v hz="$TICK" 'BEGIN { printf "%.6f", t / hz }'
	fi
}

# mbps BYTES T0 T1: MB/s (10^6 bytes).
mbps() {
	awk -v b="$1" -v t0="$2" -v t1="$3" 'BEGIN { printf "%.0f", b / (t1 - t0) / 1e6 }'
}

# per_gb TICKS|SECONDS BYTES [ticks]: CPU seconds per GB (10^9 bytes).
per_gb() {
	awk -v c="$1" -v b="$2" -v hz="${3:+$TICK}" 'BEGIN {
		if (hz) c /= hz
		printf "%.2f", c / (b / 1e9) }'
}

# usec N T0 T1: microseconds each of N.
usec() {
	awk -v n="$1" -v t0="$2" -v t1="$3" 'BEGIN { printf "%.1f", (t1 - t0) / n * 1e6 }'
}
