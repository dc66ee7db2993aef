#!/bin/bash
# Randomness an off-path attacker must not guess (issue 12, acceptance 4):
# two daemons started with the same command line, each making the same
# four TCP connections and four cs lookups through DNS, choose different
# ISNs, ephemeral ports and DNS query ids (read from their --pcap files);
# and each DNS lookup leaves from a source port of its own, not the next
# one up (c-ares sends a lookup's A and AAAA queries, under way together,
# from one socket).
# e2e-timeout: 120
. "$(dirname "$0")/lib.sh"

# Names only from DNS: an /etc/hosts of this mount namespace without them.
printf '127.0.0.1 localhost\n' >"$E2E_DIR/hosts"
mount --bind "$E2E_DIR/hosts" /etc/hosts || exit 1

PCAP=$E2E_DIR/capture.pcap
check "a persistent TUN for both daemons" make_tun
kernel_echo 7777
spawn dnsmasq dnsmasq -k -C /dev/null --no-resolv --no-hosts --port 53 \
	--listen-address=10.77.0.1 --bind-interfaces --local=/test/ --address=/x.test/10.77.0.1 \
	--pid-file="$E2E_DIR/dnsmasq.pid" --log-facility=-
check "dnsmasq listens on 10.77.0.1" wait_for "$E2E_DIR/dnsmasq.out" 'started'

# run N: a daemon, four connections and four lookups, its capture kept
# as $E2E_DIR/N.pcap.
run() {
	local i n answers=0

	check "daemon $1 mounts" start_daemon --no-config --dns 10.77.0.1 --pcap "$PCAP"
	for i in 1 2 3 4; do
		exec {fd}<>"$MNT/tcp/clone" && read -r n <&"$fd" &&
			echo "connect 10.77.0.1!7777" >&"$fd"
		exec {fd}>&-
	done
	for i in 1 2 3 4; do
		exec {fd}<>"$MNT/cs"
		echo "tcp!host$i.x.test!7777" >&"$fd" &&
			[ "$(cat <&"$fd")" = "$MNT/tcp/clone 10.77.0.1!7777" ] &&
			answers=$((answers + 1))
		exec {fd}<&-
	done
	check_eq "daemon $1 translates four names through DNS" 4 "$answers"
	stop_daemon
	check_eq "daemon $1 exits" 0 "$?"
	mv "$PCAP" "$E2E_DIR/$1.pcap"
	python3 "$E2E_ROOT/tests/e2e/pcap_fields.py" "$E2E_DIR/$1.pcap" 10.77.0.2 >"$E2E_DIR/$1.txt"
	sed "s/^/# daemon $1: /" "$E2E_DIR/$1.txt" | grep -v ipid
}

# fields RUN KIND COLUMN: that column of that kind of line, one line.
fields() {
	awk -v k="$2" -v c="$3" '$1 == k { print $c }' "$E2E_DIR/$1.txt" | xargs
}

run 1
run 2
for r in 1 2; do
	check_eq "daemon $r sent four SYNs" 4 "$(fields $r syn 2 | wc -w)"
	# each lookup asks for A and AAAA
	check_eq "daemon $r sent eight DNS queries (A and AAAA)" 8 "$(fields $r dns 2 | wc -w)"
done
check "the ISNs differ" test "$(fields 1 syn 3)" != "$(fields 2 syn 3)"
check "the ephemeral ports differ" test "$(fields 1 syn 2)" != "$(fields 2 syn 2)"
check "the DNS query ids differ" test "$(fields 1 dns 3)" != "$(fields 2 dns 3)"
check "the IP IDs differ" test "$(fields 1 ipid 2)" != "$(fields 2 ipid 2)"
for r in 1 2; do
	# the source port of each lookup, in turn
	ports=$(fields $r dns 2 | tr ' ' '\n' | uniq | xargs)
	check_eq "daemon $r: four lookups, four DNS source ports, all different" 4 \
		"$(tr ' ' '\n' <<<"$ports" | sort -u | wc -l)"
	# one port after the other, as a counter would give them: 1 chance in
	# 2^48 for random ports
	check "daemon $r: the DNS source ports are not a sequence" \
		awk -v p="$ports" 'BEGIN { n = split(p, a, " "); for (i = 2; i <= n; i++)
			if (a[i] - a[i - 1] != 1) exit 0; exit 1 }'
done
