# The lossy path of tcp_loss_upload.sh and tests/bench/loss.sh (sourced
# after lib.sh; not a scenario itself). The scenario's namespace is a
# router: netcore's TUN sn0 (nctool, 10.77.0.2) on one side, a receiver
# namespace behind veth v0 (10.78.0.2) and a kernel sender namespace
# behind veth v2 (10.79.0.2). nftables drops PCT% of the packets each
# way, at random: netcore and the kernel's TCP send over the same path,
# one after the other. The data is dropped where the receiver's veth v1
# takes it in, after the router has cut super-packets into segments when
# offload is off (netcore's TUN always hands the router super-packets,
# which a drop in the router's forward hook would lose whole); the ACKs
# are dropped in the router's forward hook.

LP_PORT=9000
# The kernel sender's congestion control (TCP_CONGESTION on its socket);
# empty: the system's default (lp_kernel_cc says which that is).
LP_KERNEL_CC=${LP_KERNEL_CC:-}
# netcore's congestion control (nctool --cc); empty: the kernel sender's,
# when netcore has it (lp_netcore_cc), so that both run one algorithm.
LP_NETCORE_CC=${LP_NETCORE_CC:-}

# lp_ns NAME ADDR GW DEV PEERDEV: a network namespace held by a sleeping
# process (stopped at the end), its end of a veth DEV at ADDR/24 routed via
# GW; the router's end PEERDEV at GW/24. Sets LP_PID_NAME.
lp_ns() {
	local i pid

	spawn "ns_$1" unshare -n sleep 3600
	pid=$SPAWN_PID
	for ((i = 0; i < 200; i++)); do		# until unshare has made it
		[ "$(readlink "/proc/$pid/ns/net")" != "$(readlink /proc/self/ns/net)" ] && break
		sleep 0.05
	done
	ip link add "$5" type veth peer name "$4" netns "$pid" &&
		ip addr add "$3/24" dev "$5" && ip link set "$5" up &&
		nsenter -t "$pid" -n sh -c "ip link set lo up && ip addr add $2/24 dev $4 &&
			ip link set $4 up && ip route add default via $3" || return 1
	printf -v "LP_PID_$1" %s "$pid"
}

# lp_setup PCT: the router, its two namespaces and the drop rule.
lp_setup() {
	sysctl -qw net.ipv4.ip_forward=1 &&
		lp_ns rcv 10.78.0.2 10.78.0.1 v1 v0 &&
		lp_ns snd 10.79.0.2 10.79.0.1 v3 v2 || return 1
	nft -f - <<NFT || return 1
table inet e2e {
	chain forwarded {
		type filter hook forward priority 0;
		iifname "v0" numgen random mod 100 < $1 counter drop
	}
}
NFT
	nsenter -t "$LP_PID_rcv" -n nft -f - <<NFT
table netdev e2e {
	chain arriving {
		type filter hook ingress device "v1" priority 0;
		ip saddr != 10.78.0.0/24 numgen random mod 100 < $1 counter drop
	}
}
NFT
}

# lp_offload on|off: segmentation and receive offloads of every interface
# on the path (netcore segments its own super-packets: nctool's TUN offload
# is what netcore asked for, and it stays). 1 without ethtool.
lp_offload() {
	command -v ethtool >/dev/null || return 1
	local f="tso $1 gso $1 gro $1"
	# shellcheck disable=SC2086
	ethtool -K v0 $f && ethtool -K v2 $f && ethtool -K sn0 gro "$1" 2>/dev/null
	# shellcheck disable=SC2086
	nsenter -t "$LP_PID_rcv" -n ethtool -K v1 $f &&
		nsenter -t "$LP_PID_snd" -n ethtool -K v3 $f
}

# lp_dropped: the packets dropped, both ways.
lp_dropped() {
	{
		nft list chain inet e2e forwarded
		nsenter -t "$LP_PID_rcv" -n nft list chain netdev e2e arriving
	} | sed -n 's/.*counter packets \([0-9]*\).*/\1/p' | awk '{ n += $1 } END { print n + 0 }'
}

# lp_kernel_cc: the congestion control the kernel sender uses.
lp_kernel_cc() {
	if [ -n "$LP_KERNEL_CC" ]; then
		echo "$LP_KERNEL_CC"
	else
		nsenter -t "$LP_PID_snd" -n sysctl -n net.ipv4.tcp_congestion_control
	fi
}

# lp_netcore_cc: the congestion control netcore's sender uses.
lp_netcore_cc() {
	local cc=${LP_NETCORE_CC:-$(lp_kernel_cc)}

	case $cc in
	cubic | reno | bbr) echo "$cc" ;;
	*) echo cubic ;;
	esac
}

# lp_receiver FILE: a kernel receiver on 10.78.0.2 (a new port each time),
# writing what one connection sends into FILE. Sets LP_PORT, LP_RCV.
lp_receiver() {
	local i

	LP_PORT=$((LP_PORT + 1))
	nsenter -t "$LP_PID_rcv" -n timeout 300 socat -u \
		"TCP-LISTEN:$LP_PORT,bind=10.78.0.2,reuseaddr" "CREATE:$1" &
	LP_RCV=$!
	E2E_PIDS+=("$LP_RCV")
	for ((i = 0; i < 200; i++)); do
		[ -n "$(nsenter -t "$LP_PID_rcv" -n ss -Htln "sport = :$LP_PORT")" ] && return 0
		sleep 0.05
	done
	return 1
}

# lp_send WHO FILE OUT: send FILE from netcore (WHO=netcore, nctool put)
# or from the kernel (WHO=kernel, socat in the sender namespace) to a new
# receiver writing OUT; prints the seconds from the start of the sending
# to the receiver's end (every byte arrived), nothing on failure.
lp_send() {
	local t0 t1 rc

	lp_receiver "$3" || return 1
	t0=$(date +%s.%N)
	if [ "$1" = netcore ]; then
		timeout 240 "$NCTOOL" --cc "$(lp_netcore_cc)" put 10.78.0.2 "$LP_PORT" "$2" >/dev/null
	else
		nsenter -t "$LP_PID_snd" -n timeout 240 socat -u "OPEN:$2" \
			"TCP:10.78.0.2:$LP_PORT${LP_KERNEL_CC:+,setsockopt-string=6:13:$LP_KERNEL_CC}"
	fi
	rc=$?
	wait "$LP_RCV" || rc=1
	t1=$(date +%s.%N)
	[ "$rc" -eq 0 ] && echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }'
}
