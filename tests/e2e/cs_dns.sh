#!/bin/bash
# With --dns 10.77.0.1, /net/cs asks dnsmasq on the kernel side over the
# stack's own UDP: the name is translated, and the query and its answer
# are seen crossing the TUN in the --pcap file.
. "$(dirname "$0")/lib.sh"

# Names only from DNS: an /etc/hosts of this mount namespace without them.
printf '127.0.0.1 localhost\n' >"$E2E_DIR/hosts"
mount --bind "$E2E_DIR/hosts" /etc/hosts || exit 1

PCAP=$E2E_DIR/capture.pcap
check "the daemon mounts $MNT with --dns 10.77.0.1 --pcap" \
	start_daemon --dns 10.77.0.1 --pcap "$PCAP"
spawn dnsmasq dnsmasq -k -C /dev/null --no-resolv --no-hosts --port 53 \
	--listen-address=10.77.0.1 --bind-interfaces --address=/x.test/10.77.0.1 \
	--pid-file="$E2E_DIR/dnsmasq.pid" --log-queries --log-facility=-
check "dnsmasq listens on 10.77.0.1" wait_for "$E2E_DIR/dnsmasq.out" 'started'

exec 5<>"$MNT/cs"
echo "tcp!www.x.test!http" >&5
check_eq "write tcp!www.x.test!http: exit status" 0 "$?"
check_eq "the answer" "$MNT/tcp/clone 10.77.0.1!80" "$(cat <&5)"
exec 5<&-
check "dnsmasq got the query from the stack" \
	grep -q 'query\[A\] www\.x\.test from 10\.77\.0\.2' "$E2E_DIR/dnsmasq.out"
check_eq "a name dnsmasq does not know: ENOENT" ENOENT \
	"$(timeout 20 "$FDTOOL" "$MNT/cs" 'write:tcp!www.nosuch.test!80')"

stop_daemon
check_eq "SIGTERM: exit status" 0 "$?"
out=$(tcpdump -n -r "$PCAP" udp port 53 2>/dev/null)
echo "$out" | sed 's/^/# tcpdump: /'
check "the query crossed the TUN" \
	grep -q '10\.77\.0\.2\.[0-9]* > 10\.77\.0\.1\.53: .* A? www\.x\.test\. ' <<<"$out"
check "the answer crossed the TUN" \
	grep -q '10\.77\.0\.1\.53 > 10\.77\.0\.2\.[0-9]*: .* A 10\.77\.0\.1 ' <<<"$out"
