#!/bin/bash
# --no-timestamps and --no-sack: the daemon's TCP offers neither option in
# its SYN, nor takes them from the kernel's SYN-ACK, which offers both.
. "$(dirname "$0")/lib.sh"

PCAP=$E2E_DIR/cap.pcap

# The TCP packets 10.77.0.2 sent to port 9000, as tcpdump prints them.
ours() {
	tcpdump -n -r "$PCAP" 'tcp and src host 10.77.0.2 and dst port 9000' 2>/dev/null
}

check "the daemon mounts $MNT" start_daemon --pcap "$PCAP" --no-timestamps --no-sack
kernel_sink 9000
clone tcp
check "connect" ctl 'connect 10.77.0.1!9000'
check "the peer accepted" wait_for "$E2E_DIR/sink.out" accepted 5
echo hello >"$CONV/data"
out=$(ours)
echo "$out" | sed 's/^/# tcpdump: /'
check_eq "one SYN sent" 1 "$(grep -c 'Flags \[S\]' <<<"$out")"
check "the SYN offers an MSS and a window scale" grep -q 'Flags \[S\].*mss 1460.*wscale' <<<"$out"
check_eq "no packet has a timestamp" 0 "$(grep -c 'TS val' <<<"$out")"
check_eq "nor SACK" 0 "$(grep -ci 'sack' <<<"$out")"
echo hangup >&"$CONV_FD"
