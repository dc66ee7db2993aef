#!/bin/bash
# Packet Too Big (RFC 8201): a client in a namespace of its own, behind a
# router hop (the kernel, forwarding) whose link to it has an MTU of 1280,
# downloads 2 MB from a shell server on the stack. The client's side of
# the link says 1500, so the stack's first segments are too big for the
# hop: the kernel answers Packet Too Big, the stack lowers its path MTU
# and the download completes byte-identical.
. "$(dirname "$0")/lib.sh"

# The shell server: announce *!8080, answer one call with the file.
shell_server() {
	exec 5<>"$MNT/tcp/clone" && read -r n <&5 && echo 'announce *!8080' >&5 || return 1
	exec 6<"$MNT/tcp/$n/listen" && read -r m <&6 && exec 7<>"$MNT/tcp/$m/data" || return 1
	while IFS= read -r line <&7 && [ -n "${line%$'\r'}" ]; do :; done
	printf 'HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n' $((2 << 20)) >&7
	cat "$E2E_DIR/file" >&7
}

# The client's namespace (a process's, so nothing outlives the scenario):
# it waits for its end of the veth, sets it up, and sleeps.
client_behind_veth() {
	local i

	spawn client unshare -n bash -c '
		for ((i = 0; i < 200; i++)); do
			ip link show v1 >/dev/null 2>&1 && break
			sleep 0.05
		done
		ip link set lo up && ip addr add fd77:2::2/64 dev v1 nodad && ip link set v1 up &&
			ip -6 route add default via fd77:2::1 && echo ready && exec sleep 600'
	CLI=$SPAWN_PID
	for ((i = 0; i < 200; i++)); do		# until unshare has made it
		[ "$(readlink "/proc/$CLI/ns/net")" != "$(readlink /proc/self/ns/net)" ] && break
		sleep 0.05
	done
	ip link add v0 type veth peer name v1 netns "$CLI" &&
		ip link set v0 mtu 1280 && ip addr add fd77:2::1/64 dev v0 nodad && ip link set v0 up &&
		sysctl -qw net.ipv6.conf.all.forwarding=1
}

check "the daemon mounts $MNT" start_daemon
head -c $((2 << 20)) /dev/urandom >"$E2E_DIR/file"
check "a client behind a 1280-byte hop, forwarding on" client_behind_veth
check "the client's namespace is ready" wait_for "$E2E_DIR/client.out" ready
spawn server shell_server
check "the shell server listens on 8080" wait_stack_listens 8080
ptb=$(awk '$1 == "Icmp6OutPktTooBigs" { print $2 }' /proc/net/snmp6)
timeout 30 nsenter -t "$CLI" -n curl -s -o "$E2E_DIR/got" 'http://[fd77::2]:8080/'
check_eq "curl: exit status" 0 "$?"
check_eq "2 MB received" $((2 << 20)) "$(stat -c %s "$E2E_DIR/got" 2>/dev/null)"
check "byte-identical" cmp "$E2E_DIR/file" "$E2E_DIR/got"
check_gt "the kernel sent Packet Too Big" \
	"$(($(awk '$1 == "Icmp6OutPktTooBigs" { print $2 }' /proc/net/snmp6) - ptb))" 0
