#!/bin/bash
# A `cat data` blocked on a TCP conversation with nothing to read stops
# within a second of SIGINT (the daemon answers FUSE's INTERRUPT).
. "$(dirname "$0")/lib.sh"

check "the daemon mounts $MNT" start_daemon
kernel_sink 9000
shell_connect '10.77.0.1!9000'
# Job control on: a background job keeps SIGINT's default action.
set -m
cat "$MNT/tcp/$n/data" >/dev/null &
cat=$!
set +m
# cat is blocked once it sleeps with the read request sent to the daemon.
blocked() {
	local i

	for ((i = 0; i < 100; i++)); do
		grep -q '^State:.*S (sleeping)' "/proc/$cat/status" 2>/dev/null &&
			grep -Eq "fuse|request_wait_answer" "/proc/$cat/wchan" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
check "cat is blocked in a read of data" blocked
check "it is still there" kill -0 "$cat"
kill -INT "$cat"
start=$EPOCHREALTIME
wait_exit "$cat" 1
rc=$?
ms=$(((${EPOCHREALTIME/./} - ${start/./}) / 1000))
check_eq "cat ends within a second of SIGINT, killed by it (took $ms ms)" 130 "$rc"
check_eq "the conversation is still Established" Established \
	"$(cut -d' ' -f1 "$MNT/tcp/$n/status")"
