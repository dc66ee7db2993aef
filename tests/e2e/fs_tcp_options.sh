#!/bin/bash
# ctl options of a TCP conversation reach the wire: `ttl` and `tos` in
# the IP header of what it sends, `cork`/`nocork` holding and releasing a
# write, `keepalive MS` as probes after MS idle,
# `backlog N` as the bound of calls waiting for listen.
. "$(dirname "$0")/lib.sh"

PCAP=$E2E_DIR/cap.pcap

# Packets 10.77.0.2 sent to port 9000, as tcpdump -v prints them.
ours() {
	tcpdump -nv -r "$PCAP" 'src host 10.77.0.2 and dst port 9000' 2>/dev/null
}

check "the daemon mounts $MNT" start_daemon --pcap "$PCAP"
kernel_sink 9000
clone tcp
check "ttl 7" ctl "ttl 7"
check "tos 0x10" ctl "tos 16"
check "connect" ctl 'connect 10.77.0.1!9000'
check "the peer accepted" wait_for "$E2E_DIR/sink.out" accepted 5
echo hello >"$CONV/data"
check_gt "packets we sent are in the capture" "$(ours | grep -cE '^[0-9]')" 1
check "every packet we sent has ttl 7" test -z "$(ours | grep -E '^[0-9]' | grep -v 'ttl 7,')"
check "and tos 0x10" test -z "$(ours | grep -E '^[0-9]' | grep -v 'tos 0x10,')"

# cork / nocork: what is written corked goes out, with PSH, once uncorked.
check "cork" ctl "cork"
echo corked >"$CONV/data"
check "nocork" ctl "nocork"
sent=0
for ((i = 0; i < 100; i++)); do		# at most 5 s
	sent=$(ours | grep -c 'Flags \[P\.\].*length 7$')
	[ "$sent" -ge 1 ] && break
	sleep 0.05
done
check_gt "the corked write went out with PSH" "$sent" 0

# An idle connection with keepalive 1000 sends probes about every second.
before=$(ours | grep -cE '^[0-9]')
check "keepalive 1000" ctl "keepalive 1000"
probes=0
for ((i = 0; i < 100; i++)); do		# at most 5 s
	probes=$(($(ours | grep -cE '^[0-9]') - before))
	[ "$probes" -ge 2 ] && break
	sleep 0.05
done
check_gt "keepalive probes went out while idle ($probes)" "$probes" 1
echo hangup >&"$CONV_FD"

# usertimeout MS (TCP_USER_TIMEOUT) shows in status; a bad value is
# refused, says why in err, and leaves the one set.
clone tcp
check "usertimeout 2500" ctl "usertimeout 2500"
utimeout() {
	awk '{ for (i = 2; i < NF; i++) if ($i == "usertimeout") print $(i + 1) }' "$CONV/status"
}
check_eq "status shows it" 2500 "$(utimeout)"
for bad in -1 abc 99999999999 ""; do
	if ctl "usertimeout $bad" 2>/dev/null; then
		not_ok "usertimeout '$bad' accepted"
	else
		ok "usertimeout '$bad' refused"
	fi
done
check "err names the command" grep -q "usertimeout" "$CONV/err"
check_eq "the value set stays" 2500 "$(utimeout)"
check "usertimeout 0 restores the default" ctl "usertimeout 0"
check_eq "status shows 0" 0 "$(utimeout)"
exec {CONV_FD}>&-

# backlog 1: with nobody opening listen, the first call fills the
# accept queue; later calls get no answer and wait in SYN-SENT. The calls
# go one after another: three SYNs arriving together would all be
# answered before any handshake completes.
clone tcp
check "backlog 1" ctl "backlog 1"
check "announce 8080" ctl "announce 8080"
# count STATE: kernel connections in STATE to the stack's port 8080.
count() {
	ss -Htn state "$1" 'dport = :8080' | wc -l
}
call() {
	timeout 10 socat -u - TCP:10.77.0.2:8080 </dev/zero >/dev/null 2>&1 &
	E2E_PIDS+=($!)
}
call
for ((i = 0; i < 100; i++)); do		# at most 5 s
	[ "$(count established)" -ge 1 ] && break
	sleep 0.05
done
check_eq "the first call is established" 1 "$(count established)"
call
call
waiting=0
for ((i = 0; i < 100; i++)); do
	waiting=$(count syn-sent)
	[ "$waiting" -ge 2 ] && break
	sleep 0.05
done
check_eq "calls beyond the backlog wait in SYN-SENT" 2 "$waiting"
check_eq "and only the first is established" 1 "$(count established)"
