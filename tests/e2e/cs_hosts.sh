#!/bin/bash
# /net/cs translates tcp!host!service: a dotted quad, a name from
# /etc/hosts, a service from /etc/services; net! gives a line for tcp and
# one for udp; an unknown service fails the write with ENOENT, a name the
# host's resolver cannot ask about (its nameserver silent) with ETIMEDOUT.
. "$(dirname "$0")/lib.sh"

# This mount namespace gets its own /etc/hosts, and a resolver that asks
# only the kernel side of the TUN, where nobody answers (port closed).
printf '127.0.0.1 localhost\n10.77.0.1 kernel.e2e.test kernel\n' >"$E2E_DIR/hosts"
printf 'nameserver 10.77.0.1\noptions timeout:1 attempts:1\n' >"$E2E_DIR/resolv.conf"
mount --bind "$E2E_DIR/hosts" /etc/hosts || exit 1
mount --bind "$E2E_DIR/resolv.conf" /etc/resolv.conf || exit 1

# cs QUERY: write QUERY to cs and read the answer on the same open file.
cs() {
	local out

	exec 5<>"$MNT/cs" || return 1
	out=$(echo "$1" >&5 2>&1 && cat <&5)
	exec 5<&-
	printf '%s\n' "$out"
}

check "the daemon mounts $MNT" start_daemon
check_eq "tcp!10.77.0.1!80" "$MNT/tcp/clone 10.77.0.1!80" "$(cs 'tcp!10.77.0.1!80')"
check_eq "tcp!kernel.e2e.test!http (/etc/hosts, /etc/services)" "$MNT/tcp/clone 10.77.0.1!80" \
	"$(cs 'tcp!kernel.e2e.test!http')"
check_eq "udp!kernel!domain (an alias)" "$MNT/udp/clone 10.77.0.1!53" "$(cs 'udp!kernel!domain')"
check_eq "net!kernel.e2e.test!7777: tcp and udp" \
	"$MNT/tcp/clone 10.77.0.1!7777"$'\n'"$MNT/udp/clone 10.77.0.1!7777" \
	"$(cs 'net!kernel.e2e.test!7777')"
check_eq "tcp!nosuch.e2e.test!80, no nameserver answering: ETIMEDOUT" ETIMEDOUT \
	"$("$FDTOOL" "$MNT/cs" 'write:tcp!nosuch.e2e.test!80')"
check_eq "tcp!kernel.e2e.test!nosuchservice: ENOENT" ENOENT \
	"$("$FDTOOL" "$MNT/cs" 'write:tcp!kernel.e2e.test!nosuchservice')"
