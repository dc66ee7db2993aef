#!/bin/bash
# Idle cost: daemon memory per open, connected, idle TCP conversation.
# Opens IDLE conversations (10000; 1000 with QUICK) to a kernel echo server,
# measures the daemon's resident memory before and after, prints bytes
# each (one measurement: the conversations are opened once).
. "$(dirname "$0")/lib.sh"

if [ "$QUICK" = 1 ]; then IDLE=${IDLE:-1000}; else IDLE=${IDLE:-10000}; fi

rss_kib() {
	awk '$1 == "VmRSS:" { print $2 }' "/proc/$DAEMON_PID/status"
}

ulimit -n $((IDLE + 1024)) || exit 1
check "the daemon mounts $MNT" start_daemon
sysctl -qw net.core.somaxconn=65535
kpeer tcp-echo 10.77.0.1 7000 >/dev/null &
E2E_PIDS+=($!)
wait_listen 7000
before=$(rss_kib)
fds=()
opened=0
for ((i = 0; i < IDLE; i++)); do
	exec {fd}<>"$MNT/tcp/clone" || break
	fds+=("$fd")
	echo "connect 10.77.0.1!7000" >&"$fd" || break
	opened=$((opened + 1))
done
after=$(rss_kib)
check_eq "$IDLE conversations connected" "$IDLE" "$opened"
per=$(( (after - before) * 1024 / (opened > 0 ? opened : 1) ))
echo "daemon RSS: $before KiB idle, $after KiB with $opened conversations"
[ "$opened" = "$IDLE" ] && result idle-conversation daemon bytes "$per"
for fd in "${fds[@]}"; do exec {fd}>&-; done
stop_daemon
