#!/bin/bash
# cs and the dns file with --dns: c-ares asks dnsmasq on the kernel side
# over the stack's own UDP and TCP (everything seen crossing the TUN in
# the --pcap file):
# - a name is translated (A); two lookups leave with different query ids
#   from different source ports;
# - an answer too long for UDP (40 A records) comes back truncated and is
#   asked again over TCP;
# - an unknown name is ENOENT, a refused query (a name dnsmasq would have
#   to forward, with nowhere to forward it) ECONNREFUSED, a malformed name
#   EINVAL;
# - the dns file answers ptr, mx and txt in 9front's format;
# - two servers: with the first one silent, the second answers; with both
#   silent, ETIMEDOUT, not ENOENT, within a bounded time; a lookup
#   interrupted meanwhile is EINTR (its query ends at the daemon's exit).
. "$(dirname "$0")/lib.sh"

# Names only from DNS: an /etc/hosts of this mount namespace without them.
printf '127.0.0.1 localhost\n' >"$E2E_DIR/hosts"
mount --bind "$E2E_DIR/hosts" /etc/hosts || exit 1

PCAP=$E2E_DIR/capture.pcap
check "the daemon mounts $MNT with --dns 10.77.0.1,10.77.0.3 --pcap" \
	start_daemon --dns 10.77.0.1,10.77.0.3 --pcap "$PCAP"
check "a second kernel address, 10.77.0.3" ip addr add 10.77.0.3/32 dev sn0
big=()
for i in $(seq 1 40); do
	big+=("--host-record=big.test,10.77.1.$i")
done
spawn dnsmasq dnsmasq -k -C /dev/null --no-resolv --no-hosts --port 53 \
	--listen-address=10.77.0.1 --listen-address=10.77.0.3 --bind-interfaces \
	--local=/test/ --address=/x.test/10.77.0.1 "${big[@]}" \
	--ptr-record=2.0.77.10.in-addr.arpa,stack.y.test \
	--mx-host=y.test,mail.y.test,10 --txt-record=y.test,"hello world" \
	--pid-file="$E2E_DIR/dnsmasq.pid" --log-queries --log-facility=-
check "dnsmasq listens on 10.77.0.1 and 10.77.0.3" wait_for "$E2E_DIR/dnsmasq.out" 'started'

# ask FILE QUERY: write QUERY to FILE (cs, dns), read the answers on the
# same open file.
ask() {
	local out

	exec 5<>"$MNT/$1" || return 1
	out=$(echo "$2" >&5 2>&1 && cat <&5)
	exec 5<&-
	printf '%s\n' "$out"
}
check_eq "cs: tcp!www.x.test!http" "$MNT/tcp/clone 10.77.0.1!80" "$(ask cs 'tcp!www.x.test!http')"
check "dnsmasq got the query from the stack" \
	grep -q 'query\[A\] www\.x\.test from 10\.77\.0\.2' "$E2E_DIR/dnsmasq.out"
check_eq "a name dnsmasq does not know: ENOENT" ENOENT \
	"$(timeout 20 "$FDTOOL" "$MNT/cs" 'write:tcp!www.nosuch.test!80')"
check_eq "a name dnsmasq refuses: ECONNREFUSED" ECONNREFUSED \
	"$(timeout 20 "$FDTOOL" "$MNT/cs" 'write:tcp!www.example.org!80')"
check_eq "a label of 64 bytes, refused by c-ares at once: EINVAL" EINVAL \
	"$("$FDTOOL" "$MNT/cs" "write:tcp!$(printf 'a%.0s' $(seq 64)).test!80")"
check_eq "big.test: the first 16 of its 40 addresses" 16 \
	"$(ask cs 'tcp!big.test!80' | grep -c '10\.77\.1\.')"
check_eq "dns: 10.77.0.2 ptr" $'2.0.77.10.in-addr.arpa ptr\tstack.y.test' "$(ask dns '10.77.0.2 ptr')"
check_eq "dns: y.test mx" $'y.test mx\t10 mail.y.test' "$(ask dns 'y.test mx')"
check_eq "dns: y.test txt" $'y.test txt\thello world' "$(ask dns 'y.test txt')"
check_eq "dns: no srv record: ENOENT" ENOENT "$("$FDTOOL" "$MNT/dns" "write:y.test srv")"
check "ndb: both nameservers" \
	test "$(grep -c $'^\tdns=10\\.77\\.0\\.[13]$' "$MNT/ndb")" -eq 2

# Silence 10.77.0.1 (dropped, no ICMP): c-ares goes on to 10.77.0.3.
check "nft drops DNS to 10.77.0.1" nft -f - <<'EOF'
table inet e2e_dns {
	chain input {
		type filter hook input priority 0;
		ip daddr 10.77.0.1 udp dport 53 drop
		ip daddr 10.77.0.1 tcp dport 53 drop
	}
}
EOF
check_eq "10.77.0.1 silent: 10.77.0.3 answers" "$MNT/tcp/clone 10.77.0.1!80" \
	"$(ask cs 'tcp!www2.x.test!80')"
nft add rule inet e2e_dns input ip daddr 10.77.0.3 udp dport 53 drop
nft add rule inet e2e_dns input ip daddr 10.77.0.3 tcp dport 53 drop
check_eq "a lookup interrupted while no server answers: EINTR" "alarm EINTR" \
	"$("$FDTOOL" "$MNT/cs" alarm:300 'write:tcp!www4.x.test!80' | xargs)"
start=$(date +%s%N)
check_eq "both silent: ETIMEDOUT" ETIMEDOUT \
	"$(timeout 30 "$FDTOOL" "$MNT/cs" 'write:tcp!www3.x.test!80')"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "# ETIMEDOUT after $ms ms"
check "... within 15 s (two rounds over two servers: about 6 s)" test "$ms" -lt 15000

stop_daemon
check_eq "SIGTERM: exit status" 0 "$?"
out=$(tcpdump -n -r "$PCAP" port 53 2>/dev/null)
echo "$out" | sed 's/^/# tcpdump: /'
check "the query crossed the TUN" \
	grep -q '10\.77\.0\.2\.[0-9]* > 10\.77\.0\.1\.53: .* A? www\.x\.test\. ' <<<"$out"
check "the answer crossed the TUN" \
	grep -q '10\.77\.0\.1\.53 > 10\.77\.0\.2\.[0-9]*: .* A 10\.77\.0\.1' <<<"$out"
check "big.test: a truncated answer over UDP" \
	grep -Eq '10\.77\.0\.1\.53 > 10\.77\.0\.2\.[0-9]+: [0-9]+\*?\| [0-9]+/0/0 A ' <<<"$out"
check "big.test: asked again over TCP" \
	grep -q '10\.77\.0\.2\.[0-9]* > 10\.77\.0\.1\.53: Flags \[P\.\].* A? big\.test\. ' <<<"$out"
check "www2.x.test: answered by 10.77.0.3" \
	grep -q '10\.77\.0\.3\.53 > 10\.77\.0\.2\.[0-9]*: .* A 10\.77\.0\.1' <<<"$out"
# "SPORT ID" of the first A query of two lookups
first() {
	sed -n "s/.* 10\.77\.0\.2\.\([0-9]*\) > 10\.77\.0\.1\.53: \([0-9]*\)+ A? $1\. .*/\1 \2/p" <<<"$out" |
		head -1
}
one=$(first 'www\.x\.test')
two=$(first 'www\.nosuch\.test')
echo "# www.x.test: port, id $one; www.nosuch.test: $two"
check "two lookups: different source ports" test "${one% *}" != "${two% *}" -a -n "$one"
check "two lookups: different query ids" test "${one#* }" != "${two#* }" -a -n "$two"
