#!/bin/bash
# 3% random loss in the kernel's forward path (nftables numgen): the
# stack downloads 24 MB byte-identical from a server one router hop away,
# in a namespace of its own behind a veth (10.78.0.2). (24 MB: with 8 the
# rule dropped only 3 to 9 packets in six runs, and a run that dropped
# none would fail the check below for nothing.)
. "$(dirname "$0")/lib.sh"

# The server runs in a network namespace of its own (a process's, so that
# nothing outlives the scenario): it waits for its end of the veth, sets
# it up, and serves $E2E_DIR/www.
serve_behind_veth() {
	local i

	spawn http unshare -n bash -c '
		for ((i = 0; i < 200; i++)); do
			ip link show v1 >/dev/null 2>&1 && break
			sleep 0.05
		done
		ip link set lo up && ip addr add 10.78.0.2/24 dev v1 && ip link set v1 up &&
			ip route add default via 10.78.0.1 &&
			exec python3 -m http.server 8000 --bind 10.78.0.2 --directory "$0"' \
		"$E2E_DIR/www"
	SRV=$SPAWN_PID
	for ((i = 0; i < 200; i++)); do		# until unshare has made it
		[ "$(readlink "/proc/$SRV/ns/net")" != "$(readlink /proc/self/ns/net)" ] && break
		sleep 0.05
	done
	ip link add v0 type veth peer name v1 netns "$SRV" &&
		ip addr add 10.78.0.1/24 dev v0 && ip link set v0 up &&
		sysctl -qw net.ipv4.ip_forward=1
}

# Wait (at most 10 s) until the server listens on 8000 in its namespace.
server_listens() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ -n "$(nsenter -t "$SRV" -n ss -Htln 'sport = :8000')" ] && return 0
		sleep 0.05
	done
	return 1
}

check "nftables drops 3% of what the kernel forwards" nft -f - <<'NFT'
table inet e2e {
	chain forwarded {
		type filter hook forward priority 0;
		numgen random mod 100 < 3 counter drop
	}
}
NFT
mkdir "$E2E_DIR/www"
head -c $((24 << 20)) /dev/urandom >"$E2E_DIR/www/file"
check "a server behind a veth, forwarding on" serve_behind_veth
check "http.server listens on 10.78.0.2:8000" server_listens

timeout 45 "$NCTOOL" get 10.78.0.2 8000 /file >"$E2E_DIR/got"
check_eq "nctool get: exit status" 0 "$?"
check_eq "24 MB received" $((24 << 20)) "$(stat -c %s "$E2E_DIR/got")"
check "byte-identical" cmp "$E2E_DIR/www/file" "$E2E_DIR/got"
drops=$(nft list chain inet e2e forwarded | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
check_gt "forwarded packets were dropped ($drops)" "$drops" 0
