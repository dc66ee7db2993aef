#!/bin/bash
# TCP over IPv6 through /net (SPEC §3, §6): examples/httpget.sh fetches
# 4 MB from the kernel's python3 http.server on fd77::1, byte-identical
# (most of it read in place, tcp/stats InPlaceSegs);
# local and remote print IPv6 addresses as Plan 9 does; a shell server
# announced with *!8080 answers curl -6 and curl -4 alike (IPv4 callers
# seen as dotted quads); a connect to an address the kernel routes
# "prohibit" fails with EHOSTUNREACH (ICMPv6 administratively prohibited),
# one it routes "unreachable" with ENETUNREACH (ICMPv6 no route, which
# Linux reads as ENETUNREACH too), and one on a link where neighbour
# discovery gets no answer with EHOSTUNREACH (ICMPv6 address unreachable).
. "$(dirname "$0")/lib.sh"

# A shell HTTP server on the stack: announce *!8080, answer two calls
# with "hello REMOTE", REMOTE as the call's remote file says.
shell_server() {
	exec 5<>"$MNT/tcp/clone" && read -r n <&5 && echo 'announce *!8080' >&5 || return 1
	for i in 1 2; do
		exec 6<"$MNT/tcp/$n/listen" && read -r m <&6 && exec 7<>"$MNT/tcp/$m/data" ||
			return 1
		while IFS= read -r line <&7 && [ -n "${line%$'\r'}" ]; do :; done
		body="hello $(cat "$MNT/tcp/$m/remote")"
		printf 'HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s' "${#body}" "$body" >&7
		exec 7<&- 6<&-
	done
}

check "the daemon mounts $MNT" start_daemon
mkdir "$E2E_DIR/www"
head -c $((4 << 20)) /dev/urandom >"$E2E_DIR/www/file"
spawn http python3 -m http.server 8000 --bind fd77::1 --directory "$E2E_DIR/www"
check "http.server listens on [fd77::1]:8000" wait_listen 8000
timeout 30 bash "$E2E_ROOT/examples/httpget.sh" 'fd77::1!8000' /file "$MNT" >"$E2E_DIR/resp"
check_eq "httpget.sh fd77::1!8000: exit status" 0 "$?"
hdr=$(head -c 4096 "$E2E_DIR/resp" | sed '/^\r$/q' | wc -c)
tail -c +$((hdr + 1)) "$E2E_DIR/resp" >"$E2E_DIR/body"
check_eq "4 MB of body" $((4 << 20)) "$(stat -c %s "$E2E_DIR/body")"
check "byte-identical" cmp "$E2E_DIR/www/file" "$E2E_DIR/body"
check_gt "segments read in place (InPlaceSegs)" "$(counter "$MNT/tcp/stats" InPlaceSegs)" 0

shell_connect '[fd77::1]:8000'
check_eq "remote prints fd77::1!8000" 'fd77::1!8000' "$(cat "$MNT/tcp/$n/remote")"
check "local prints fd77::2!PORT" grep -qx 'fd77::2![0-9]*' "$MNT/tcp/$n/local"
exec 3<&-

spawn server shell_server
check "the shell server listens on 8080" wait_stack_listens 8080
check "the listener's local is ::!8080" grep -qx '::!8080' "$MNT"/tcp/[0-9]*/local

got=$(timeout 10 curl -6 -s 'http://[fd77::2]:8080/')
check "curl -6 http://[fd77::2]:8080/ (got '$got')" grep -qx 'hello fd77::1![0-9]*' <<<"$got"
got=$(timeout 10 curl -4 -s 'http://10.77.0.2:8080/')
check "curl -4 http://10.77.0.2:8080/, same listener (got '$got')" \
	grep -qx 'hello 10.77.0.1![0-9]*' <<<"$got"

# connect_fails ADDR TEXT: a connect to ADDR fails, err reads TEXT.
connect_fails() {
	clone tcp
	ctl "connect $1" 2>/dev/null
	check_eq "connect $1 fails" 1 "$?"
	check_eq "err: $2" "connect: $2" "$(cat "$CONV/err")"
	exec {CONV_FD}<&-
}
check "IPv6 forwarding on" sysctl -qw net.ipv6.conf.all.forwarding=1
check "route fd77:1::/64 prohibit" ip -6 route add prohibit fd77:1::/64
check "route fd77:3::/64 unreachable" ip -6 route add unreachable fd77:3::/64
connect_fails 'fd77:1::5!80' 'host fd77:1::5 is unreachable: No route to host'
connect_fails 'fd77:3::5!80' 'no route to fd77:3::5: Network is unreachable'

# A link whose far side has no address: the kernel's neighbour discovery
# for fd77:5::5 fails after two solicitations 100 ms apart, and the SYN
# it held comes back as ICMPv6 address unreachable (code 3).
check "a veth with nobody at fd77:5::5" ip link add v5a type veth peer name v5b
check "fd77:5::1/64 on it" ip addr add fd77:5::1/64 dev v5a nodad
check "solicitations 100 ms apart, two of them" \
	sysctl -qw net.ipv6.neigh.v5a.retrans_time_ms=100 net.ipv6.neigh.v5a.mcast_solicit=2
check "the veth up" ip link set v5a up
check "the veth's peer up" ip link set v5b up
unreach0=$(awk '$1 == "Icmp6OutDestUnreachs" { print $2 }' /proc/net/snmp6)
connect_fails 'fd77:5::5!80' 'host fd77:5::5 is unreachable: No route to host'
check_gt "the kernel sent ICMPv6 destination unreachable" \
	"$(awk '$1 == "Icmp6OutDestUnreachs" { print $2 }' /proc/net/snmp6)" "$unreach0"
