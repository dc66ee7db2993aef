#!/bin/bash
# --pcap FILE captures what the stack sends and receives, readable by tcpdump.
. "$(dirname "$0")/lib.sh"

PCAP=$E2E_DIR/capture.pcap
check "the daemon mounts $MNT with --pcap" start_daemon --pcap "$PCAP"
check_eq "ping -c 2 10.77.0.2: replies" 2 "$(ping_replies 10.77.0.2 2)"
stop_daemon
check_eq "SIGTERM: exit status" 0 "$?"
out=$(tcpdump -n -r "$PCAP" 2>&1)
check_eq "tcpdump reads the file: exit status" 0 "$?"
echo "$out" | sed 's/^/# tcpdump: /'
check_eq "echo requests captured" 2 "$(grep -c '10\.77\.0\.1 > 10\.77\.0\.2: ICMP echo request' <<<"$out")"
check_eq "echo replies captured" 2 "$(grep -c '10\.77\.0\.2 > 10\.77\.0\.1: ICMP echo reply' <<<"$out")"
