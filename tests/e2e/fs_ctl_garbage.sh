#!/bin/bash
# Garbage written to ctl files (random bytes, random words, overlong
# lines, control characters, near-miss commands) is refused with an
# error, never crashes the daemon, and leaves the conversations usable;
# UDP's `reuse` (SO_REUSEADDR) lets conversations share a port.
. "$(dirname "$0")/lib.sh"

check "the daemon mounts $MNT" start_daemon
refused=0
for proto in tcp udp icmp; do
	clone "$proto"
	for ((i = 0; i < 150; i++)); do
		case $((i % 5)) in
		0) junk=$(head -c $((RANDOM % 300 + 1)) /dev/urandom | tr -d '\n\0') ;;
		1) junk="connect $(head -c 20 /dev/urandom | base64 | tr -d '\n=')" ;;
		2) junk=$(printf 'x%.0s' $(seq $((RANDOM % 2000 + 1)))) ;;
		3) junk=$'announce *!80\tjunk\x01\x7f' ;;
		4) junk="$(echo connect announce bind reuse ttl tos backlog headers timeout |
			tr ' ' '\n' | shuf -n 1) $RANDOM!$RANDOM!$RANDOM $RANDOM" ;;
		esac
		printf '%s' "$junk" >&"$CONV_FD" 2>/dev/null || refused=$((refused + 1))
	done
	exec {CONV_FD}>&-
done
check_gt "garbage refused ($refused of 450)" "$refused" 400
check "the daemon is alive" kill -0 "$DAEMON_PID"
clone tcp
check "a new conversation still works" ctl 'bind *!7000'
check_eq "its local address (dual-stack: ::)" '::!7000' "$(cat "$CONV/local")"

# reuse (SO_REUSEADDR): UDP conversations that all wrote it share a port;
# one that did not is refused the port; reuse takes 0 or 1 only.
clone udp
check "udp: reuse" ctl reuse
check "announce 7001" ctl 'announce 7001'
R1=$CONV_FD
clone udp
check "reuse 1 on a second" ctl 'reuse 1'
check "it announces 7001 too" ctl 'announce 7001'
R2=$CONV_FD
clone udp
check "a third without reuse is refused 7001: EADDRINUSE" \
	eval 'ctl "announce 7001" 2>&1 | grep -q "Address already in use"'
check "reuse 2 is refused" eval '! ctl "reuse 2" 2>/dev/null'
check "tcp has no reuse" eval '! { clone tcp && ctl reuse; } 2>/dev/null'
exec {R1}>&- {R2}>&-
