#!/bin/bash
# 3% random loss in the kernel's forward path (nftables numgen): the
# stack downloads 8 MB byte-identical from a server one router hop away,
# in a namespace of its own behind a veth (10.78.0.2).
. "$(dirname "$0")/lib.sh"

NS=slashnet-srv-$$

# The server's namespace, and the kernel of ours as the router to it.
server_ns() {
	ip netns add "$NS" &&
		ip link add v0 type veth peer name v1 netns "$NS" &&
		ip addr add 10.78.0.1/24 dev v0 && ip link set v0 up &&
		ip -n "$NS" link set lo up &&
		ip -n "$NS" addr add 10.78.0.2/24 dev v1 && ip -n "$NS" link set v1 up &&
		ip -n "$NS" route add default via 10.78.0.1 &&
		sysctl -qw net.ipv4.ip_forward=1
}

# Wait (at most 10 s) until the server listens on 8000 in its namespace.
server_listens() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ -n "$(ip netns exec "$NS" ss -Htln 'sport = :8000')" ] && return 0
		sleep 0.05
	done
	return 1
}

check "namespace $NS behind veth, forwarding on" server_ns
check "nftables drops 3% of what the kernel forwards" nft -f - <<'NFT'
table inet e2e {
	chain forwarded {
		type filter hook forward priority 0;
		numgen random mod 100 < 3 counter drop
	}
}
NFT
mkdir "$E2E_DIR/www"
head -c $((8 << 20)) /dev/urandom >"$E2E_DIR/www/file"
spawn http ip netns exec "$NS" python3 -m http.server 8000 --bind 10.78.0.2 \
	--directory "$E2E_DIR/www"
check "http.server listens on 10.78.0.2:8000" server_listens

timeout 45 "$NCTOOL" get 10.78.0.2 8000 /file >"$E2E_DIR/got"
check_eq "nctool get: exit status" 0 "$?"
check_eq "8 MB received" $((8 << 20)) "$(stat -c %s "$E2E_DIR/got")"
check "byte-identical" cmp "$E2E_DIR/www/file" "$E2E_DIR/got"
drops=$(nft list chain inet e2e forwarded | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
check_gt "forwarded packets were dropped ($drops)" "$drops" 0
kill "$SPAWN_PID" 2>/dev/null
wait "$SPAWN_PID" 2>/dev/null
ip netns del "$NS"
