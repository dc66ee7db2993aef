#!/bin/bash
# Upload under loss, netcore against the kernel's own TCP (issue 10): 20 MB
# (SIZE_MB) over a path through a kernel router dropping 5% (PCT) each way
# (tests/e2e/loss_path.bash), ROUNDS (5) rounds alternating who goes
# first, with segmentation offload as by default and, with ethtool, off on
# the path. Prints each round, then per pass the median and min-max of
# both sending times and the ratio of the medians.
# KERNEL_CC: the kernel sender's congestion control (default: the
# system's, net.ipv4.tcp_congestion_control); NETCORE_CC netcore's
# (default: the same as the kernel's, if netcore has it, else cubic). The
# output names both. With cubic the kernel takes tens of seconds a round
# on this path, beyond run.sh's bound of 300 s for 5 rounds.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/../e2e/loss_path.bash"

SIZE_MB=${SIZE_MB:-20}
ROUNDS=${ROUNDS:-5}
PCT=${PCT:-5}
LP_KERNEL_CC=${KERNEL_CC:-}
LP_NETCORE_CC=${NETCORE_CC:-}

# stats FILE: "median (min-max)" of the numbers in FILE, one a line.
stats() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.2f s (%.2f-%.2f)", m, v[1], v[NR] }'
}

median() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# bench NAME: the rounds of one pass.
bench() {
	local i who t

	: >"$E2E_DIR/netcore.t"
	: >"$E2E_DIR/kernel.t"
	for ((i = 1; i <= ROUNDS; i++)); do
		for who in $( ((i % 2)) && echo netcore kernel || echo kernel netcore); do
			t=$(lp_send "$who" "$E2E_DIR/file" "$E2E_DIR/got")
			if [ -z "$t" ] || ! cmp -s "$E2E_DIR/file" "$E2E_DIR/got"; then
				not_ok "$1 round $i: $who's upload failed"
				continue
			fi
			echo "$t" >>"$E2E_DIR/$who.t"
			echo "# $1 round $i: $who $t s"
			rm -f "$E2E_DIR/got"
		done
	done
	echo "# $1: netcore ($(lp_netcore_cc)) $(stats "$E2E_DIR/netcore.t"), kernel ($(lp_kernel_cc)) $(stats "$E2E_DIR/kernel.t"), ratio $(
		echo "$(median "$E2E_DIR/netcore.t") $(median "$E2E_DIR/kernel.t")" |
			awk '{ printf "%.1f", $1 / ($2 > 0 ? $2 : 0.001) }')"
	ok "$1: $ROUNDS rounds"
}

head -c $((SIZE_MB << 20)) /dev/urandom >"$E2E_DIR/file"
check "a router dropping $PCT% each way" lp_setup "$PCT"
bench "offload on"
if lp_offload off; then
	bench "offload off"
else
	echo "# no ethtool: the pass with offload off is skipped"
fi
