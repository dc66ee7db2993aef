#!/bin/bash
# A conversation's number is free once its TCP reaches Time_wait: the
# stack holds the Time_wait itself (the port pair, the answer to a
# repeated FIN), as Linux holds one without a file descriptor, up to
# 16384 of them; beyond, one ends at once and is counted, as in Linux
# past tcp_max_tw_buckets. 20 000 connections the stack closes first,
# all well within 2 MSL: more than a protocol's 16384 conversations, so
# every one must give its number back. /net/tcp/stats counts the
# Time_waits held and those cut short; a number given back answers
# ENOENT though the kernel may keep its name.
# e2e-timeout: 180
. "$(dirname "$0")/lib.sh"

NCBENCH=$E2E_BUILD/tests/bench/ncbench
CALLS=20000
HELD=16384

tcp_stat() {
	counter "$MNT/tcp/stats" "$1"
}
reached_time_wait() {
	[ $(($(tcp_stat CurrTimeWait) + $(tcp_stat TCPTimeWaitOverflow))) -eq "$CALLS" ]
}

check "the daemon mounts $MNT" start_daemon
spawn sink "$NCBENCH" sink 10.77.0.1 9010
check "the kernel sink listens" wait_listen 9010
read -r n _ <<<"$("$NCBENCH" netconnects "$MNT" 10.77.0.1 9010 "$CALLS")"
check_eq "$CALLS connections through $MNT, each closed by the stack first" "$CALLS" "${n:-none}"
check "every connection reached Time_wait" eventually reached_time_wait
check_eq "Time_waits the stack holds" "$HELD" "$(tcp_stat CurrTimeWait)"
check_eq "Time_waits cut short" $((CALLS - HELD)) "$(tcp_stat TCPTimeWaitOverflow)"
check_eq "conversations left" 0 "$(ls -d "$MNT"/tcp/[0-9]* 2>/dev/null | wc -l)"
check_eq "callers the sink read 1 KB from" "$CALLS" "$(grep -c '^1024 ' "$E2E_DIR/sink.out")"
# Number 0 was taken and given back many times; the kernel may keep its
# name, but the number's files answer as if it were not there.
check "a free number is not there" test ! -e "$MNT/tcp/0"
check_eq "a free number's status" "No such file or directory" \
	"$(cat "$MNT/tcp/0/status" 2>&1 >/dev/null | sed 's/.*: //')"
