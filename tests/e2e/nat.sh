#!/bin/bash
# --nat (SPEC §1): the host masquerades the stack to the hosts beyond it.
#
#   stack 10.77.0.2 -sn0- host 10.78.0.1 -v0/v1- edge 10.79.0.1 -w0/w1- world 10.79.0.2
#
# The world (an HTTP server) routes only 10.78.0.0/24 back through the
# edge, never 10.77/16; the edge, as a network that filters private sources
# does, refuses to forward anything from 10.77/16 with an ICMP net
# unreachable. So with --nat a shell client on the stack reaches the
# server, which sees the host's address; without it the connect fails at
# once with ENETUNREACH. At exit (SIGTERM, unmount, error) the daemon's
# nft table is gone, and a stale one left by a crash is replaced at start;
# a failure to install it is said, and the daemon exits 1.
. "$(dirname "$0")/lib.sh"

# The edge: forwards between the host and the world, refuses 10.77/16
# (it routes 10.77/16 back only so that its ICMP reaches the stack).
edge_up() {
	ip link add v0 type veth peer name v1 netns "$EDGE" &&
		ip addr add 10.78.0.1/24 dev v0 && ip link set v0 up &&
		ip route add 10.79.0.0/24 via 10.78.0.2 &&
		in_ns "$EDGE" ip link add w0 type veth peer name w1 netns "$WORLD" &&
		in_ns "$EDGE" ip addr add 10.78.0.2/24 dev v1 && in_ns "$EDGE" ip link set v1 up &&
		in_ns "$EDGE" ip addr add 10.79.0.1/24 dev w0 && in_ns "$EDGE" ip link set w0 up &&
		in_ns "$EDGE" ip route add 10.77.0.0/16 via 10.78.0.1 &&
		in_ns "$EDGE" sysctl -qw net.ipv4.ip_forward=1 &&
		in_ns "$EDGE" nft -f - <<'NFT'
table ip edge {
	chain forward {
		type filter hook forward priority 0;
		ip saddr 10.77.0.0/16 counter reject with icmp type net-unreachable
	}
}
NFT
}

world_up() {
	in_ns "$WORLD" ip link set lo up && in_ns "$WORLD" ip addr add 10.79.0.2/24 dev w1 &&
		in_ns "$WORLD" ip link set w1 up && in_ns "$WORLD" ip route add 10.78.0.0/24 via 10.79.0.1
}

no_route_back() {
	! in_ns "$WORLD" ip route get 10.77.0.2 >/dev/null 2>&1
}

# Wait (at most 10 s) until the world's server listens on 8000.
world_listens() {
	local i

	for ((i = 0; i < 200; i++)); do
		[ -n "$(in_ns "$WORLD" ss -Htln 'sport = :8000')" ] && return 0
		sleep 0.05
	done
	return 1
}

check "an edge namespace" new_netns
EDGE=$NS_PID
check "a world namespace" new_netns
WORLD=$NS_PID
check "the edge links the host and the world" edge_up
check "the world is up" world_up
check "the world has no route to 10.77/16" no_route_back
mkdir "$E2E_DIR/www"
echo "hello from the world" >"$E2E_DIR/www/hello"
spawn http nsenter -t "$WORLD" -n python3 -m http.server 8000 --bind 10.79.0.2 --directory "$E2E_DIR/www"
check "http.server listens on 10.79.0.2:8000 in the world" world_listens

# A crashed daemon's table, which start-up must replace.
check "a stale table" nft -f - <<'NFT'
table inet slashnet_sn0 {
	chain stale {
	}
}
NFT
check_eq "forwarding off before" 0 "$(sysctl -n net.ipv4.ip_forward)"

check "the daemon mounts $MNT with --nat" start_daemon --nat
check_eq "forwarding on" 1 "$(sysctl -n net.ipv4.ip_forward)"
# nft's output in a variable, not <(...): a process substitution's nft
# may end during the connect below, and its SIGCHLD interrupts that
# write (EINTR, as for connect(2)).
table=$(nft list table inet slashnet_sn0)
check "the stale table is replaced" not grep -q stale <<<"$table"
check "10.77.0.0/24 masqueraded" grep -q 'ip saddr 10.77.0.0/24 .*masquerade' <<<"$table"
check "fd77::/64 masqueraded" grep -q 'ip6 saddr fd77::/64 .*masquerade' <<<"$table"

shell_connect "10.79.0.2!8000"
exec 4<>"$MNT/tcp/$n/data"
printf 'GET /hello HTTP/1.0\r\nHost: 10.79.0.2\r\n\r\n' >&4
timeout 10 cat <&4 >"$E2E_DIR/resp"
check_eq "data read to EOF" 0 "$?"
exec 4<&- 3<&-
check "HTTP/1.0 200" grep -q '^HTTP/1.0 200' "$E2E_DIR/resp"
check "the body" grep -q '^hello from the world$' "$E2E_DIR/resp"
check "the world saw the host's address, 10.78.0.1" wait_for "$E2E_DIR/http.out" '^10\.78\.0\.1 .*GET /hello'
check "the world saw no 10.77 address" not grep -q '^10\.77\.' "$E2E_DIR/http.out"

stop_daemon
check_eq "the daemon exits 0 on SIGTERM" 0 "$?"
check "its nft table is gone" not grep -q slashnet <<<"$(nft list tables)"

# The other ways out: unmounted, and an error (the TUN deleted).
check "the daemon mounts $MNT with --nat again" start_daemon --nat
check "umount $MNT" umount "$MNT"
wait_exit "$DAEMON_PID" 10
check_eq "after umount: exit status" 0 "$?"
check "its nft table is gone after umount" not grep -q slashnet <<<"$(nft list tables)"
check "the daemon mounts $MNT with -o nat once more" start_daemon -o nat
check "ip link del sn0" ip link del sn0
wait_exit "$DAEMON_PID" 10
check_eq "the TUN gone: exit status" 1 "$?"
check "its nft table is gone after the error" not grep -q slashnet <<<"$(nft list tables)"

# Without --nat (forwarding still on): the edge refuses the SYN.
check "the daemon mounts $MNT without --nat" start_daemon
check "no nft table" not grep -q slashnet <<<"$(nft list tables)"
clone tcp
start=$EPOCHREALTIME
out=$(timeout 20 "$FDTOOL" -w "$CONV/ctl" "write:connect 10.79.0.2!8000" | tail -n 1)
ms=$(((${EPOCHREALTIME/./} - ${start/./}) / 1000))
check_eq "connect 10.79.0.2!8000" ENETUNREACH "$out"
check "within 5 s (took $ms ms)" test "$ms" -lt 5000
check "the edge refused it" grep -q "counter packets [1-9]" <<<"$(in_ns "$EDGE" nft list chain ip edge forward)"
stop_daemon
check_eq "the daemon without --nat exits 0" 0 "$?"

# libnftables fails (no CAP_NET_ADMIN; forwarding is already on, and the
# persistent TUN needs no privilege): one line says what, exit status 1.
check "a persistent TUN sn9" ip tuntap add sn9 mode tun
err=$(setpriv --inh-caps=-net_admin --bounding-set=-net_admin "$SLASHNET" -f --nat --tun sn9 \
	--addr 10.77.9.2/24 --gw 10.77.9.1 --no-config "$MNT" 2>&1)
check_eq "without CAP_NET_ADMIN: exit status" 1 "$?"
check "it says what failed" \
	grep -q '^slashnet: nat: cannot install nft table inet slashnet_sn9: .*Operation not permitted' <<<"$err"
check "nothing mounted" not_mounted "$MNT"
