#!/bin/bash
# 5% random loss each way on a kernel router's path (nftables numgen;
# tests/e2e/loss_path.bash says where): netcore uploads 20 MB to a kernel
# receiver one hop away, and the kernel's own TCP sends the same over the
# same path in the same run, both with the kernel's congestion control
# when netcore has it (lp_netcore_cc); with segmentation offload as by
# default, then (with ethtool) off on the path.
# Prints both sending times and their ratio; checks that every byte
# arrived and that both finish within a generous bound. The ratio itself
# is tests/bench/loss.sh's to keep, not asserted here.
# e2e-timeout: 300
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/loss_path.bash"

head -c $((20 << 20)) /dev/urandom >"$E2E_DIR/file"
check "a path dropping 5% each way, two namespaces behind its router" lp_setup 5

# pass NAME: netcore, then the kernel.
pass() {
	local nc k

	nc=$(lp_send netcore "$E2E_DIR/file" "$E2E_DIR/got_nc")
	check "$1: netcore's upload ended (in ${nc:-?} s)" test -n "$nc"
	check "$1: netcore's bytes arrived byte-identical" cmp -s "$E2E_DIR/file" "$E2E_DIR/got_nc"
	k=$(lp_send kernel "$E2E_DIR/file" "$E2E_DIR/got_k")
	check "$1: the kernel's upload ended (in ${k:-?} s)" test -n "$k"
	check "$1: the kernel's bytes arrived byte-identical" cmp -s "$E2E_DIR/file" "$E2E_DIR/got_k"
	if [ -n "$nc" ] && [ -n "$k" ]; then
		echo "# $1: netcore ($(lp_netcore_cc)) ${nc} s, kernel ($(lp_kernel_cc)) ${k} s, ratio $(echo "$nc $k" |
			awk '{ printf "%.1f", $1 / ($2 > 0 ? $2 : 0.001) }')"
	fi
	rm -f "$E2E_DIR/got_nc" "$E2E_DIR/got_k"
}

pass "offload on"
if lp_offload off; then
	pass "offload off"
else
	echo "# no ethtool: the pass with offload off is skipped"
fi
check_gt "packets were dropped ($(lp_dropped))" "$(lp_dropped)" 0
