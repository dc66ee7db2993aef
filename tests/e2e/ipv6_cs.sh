#!/bin/bash
# cs with an IPv6 nameserver (--dns fd77::1): the stack asks dnsmasq over
# its own UDP over IPv6, for A and AAAA records; the answer lists every
# address, the IPv6 one first (the stack has an IPv6 default route); a
# connect by name goes to that first address.
. "$(dirname "$0")/lib.sh"

# Names only from DNS: an /etc/hosts of this mount namespace without them.
printf '127.0.0.1 localhost\n' >"$E2E_DIR/hosts"
mount --bind "$E2E_DIR/hosts" /etc/hosts || exit 1

check "the daemon mounts $MNT with --dns fd77::1" start_daemon --dns fd77::1
spawn dnsmasq dnsmasq -k -C /dev/null --no-resolv --no-hosts --port 53 \
	--listen-address=fd77::1 --bind-interfaces \
	--address=/x.test/10.77.0.1 --address=/x.test/fd77::1 \
	--pid-file="$E2E_DIR/dnsmasq.pid" --log-queries --log-facility=-
check "dnsmasq listens on fd77::1" wait_for "$E2E_DIR/dnsmasq.out" 'started'

exec 5<>"$MNT/cs"
echo "tcp!www.x.test!http" >&5
check_eq "write tcp!www.x.test!http: exit status" 0 "$?"
check_eq "both addresses, IPv6 first" \
	"$MNT/tcp/clone fd77::1!80 $MNT/tcp/clone 10.77.0.1!80" "$(cat <&5 | xargs)"
exec 5<&-
check "dnsmasq got the AAAA query over IPv6" \
	grep -q 'query\[AAAA\] www\.x\.test from fd77::2' "$E2E_DIR/dnsmasq.out"
check "... and the A query" grep -q 'query\[A\] www\.x\.test from fd77::2' "$E2E_DIR/dnsmasq.out"

spawn echo kpeer tcp-echo fd77::1 7070
check "the kernel echo server on [fd77::1]:7070 is ready" wait_for "$E2E_DIR/echo.out" ready
shell_connect 'www.x.test!7070'
check_eq "connect by name: to the IPv6 address" 'fd77::1!7070' "$(cat "$MNT/tcp/$n/remote")"
exec 3<&-
stop_daemon
check_eq "SIGTERM: exit status" 0 "$?"
