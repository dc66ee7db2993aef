#!/bin/bash
# Costs of the daemon in units a loaded machine does not change: per
# connect + 1 KB + close (CALLS, 300), per 1-byte ping-pong (PINGS, 3000)
# and per MiB of a `cat` download (SIZE_MB, 100), ROUNDS times each:
#   syscalls     the daemon's system calls (strace -c -f on it)
#   fuse         FUSE requests (connect only: a daemon with -o debug,
#                its log's opcodes counted)
#   wakeups      the daemon's voluntary context switches (/proc/PID/status):
#                each a sleep in epoll_wait and the wake-up that ends it
#   cpu-us       the daemon's CPU time (µs; this one a loaded machine
#                does inflate)
# The daemon runs with --busy-poll 0: its polls (epoll_wait with no
# wait, sched_yield) come as many as the time allows, which is not a
# count a loaded machine leaves alone. Needs strace; not in run.sh's default list (strace slows what it
# watches): run it as `tests/bench/run.sh costs`.
. "$(dirname "$0")/lib.sh"

if [ "$QUICK" = 1 ]; then
	CALLS=${CALLS:-50} PINGS=${PINGS:-500} SIZE_MB=${SIZE_MB:-20}
else
	CALLS=${CALLS:-300} PINGS=${PINGS:-3000} SIZE_MB=${SIZE_MB:-100}
fi
CONN_PORT=9004
PING_PORT=9003
DOWN_PORT=9001

# Voluntary context switches of process PID so far (the involuntary ones
# count the load, not the daemon).
switches() {
	awk '$1 == "voluntary_ctxt_switches:" { print $2 }' "/proc/$1/status"
}

# counted SCENARIO N COMMAND...: run COMMAND with the daemon watched;
# RESULT lines of syscalls, wake-ups and CPU per N.
counted() {
	local scen=$1 n=$2 sp sw0 t0
	shift 2

	strace -c -f -p "$DAEMON_PID" -o "$E2E_DIR/strace.$scen" 2>/dev/null &
	sp=$!
	sleep 0.5	# strace attaches
	"$@" >/dev/null || not_ok "$scen: $*"
	kill -INT "$sp"
	wait "$sp"
	result "$scen" syscalls "per-op" "$(awk -v n="$n" '$NF == "total" { printf "%.2f", $4 / n }' \
		"$E2E_DIR/strace.$scen")"
	sw0=$(switches "$DAEMON_PID")
	t0=$(proc_ticks "$DAEMON_PID")
	"$@" >/dev/null || not_ok "$scen: $*"
	result "$scen" wakeups "per-op" "$(awk -v a="$sw0" -v b="$(switches "$DAEMON_PID")" -v n="$n" \
		'BEGIN { printf "%.2f", (b - a) / n }')"
	result "$scen" cpu-us "per-op" "$(awk -v a="$t0" -v b="$(proc_ticks "$DAEMON_PID")" -v n="$n" \
		-v hz="$TICK" 'BEGIN { printf "%.1f", (b - a) / hz / n * 1e6 }')"
}

connects() {
	"$NCBENCH" netconnects "$MNT" "$FAR_ADDR" "$CONN_PORT" "$CALLS"
}

# One conversation to PORT, its data file on stdin of COMMAND; the ctl
# closed after, so the far end sees the end.
on_data() {
	local port=$1 r
	shift
	clone tcp && ctl "connect $FAR_ADDR!$port" || return 1
	"$@" <>"$CONV/data"
	r=$?
	exec {CONV_FD}>&-
	return "$r"
}

pingpongs() {
	on_data "$PING_PORT" "$NCBENCH" pingpong 0 "$PINGS"
}

download() {
	on_data "$DOWN_PORT" cat
}

# FUSE requests of CALLS connections, by opcode, from a debug daemon.
fuse_requests() {
	local total

	connects >/dev/null || return 1	# the names above tcp/N are known now
	: >"$LOG"
	connects >/dev/null || return 1
	total=$(grep -c 'opcode: ' "$LOG")
	grep -o 'opcode: [A-Z_]*' "$LOG" | sort | uniq -c | sed 's/^/# /'
	result connect-costs fuse "per-op" "$(awk -v t="$total" -v n="$CALLS" 'BEGIN { printf "%.2f", t / n }')"
}

command -v strace >/dev/null || { not_ok "strace is needed"; exit 1; }
check "a router: far end" router
far sink sink "$CONN_PORT"
far echo echo "$PING_PORT"
far source source "$DOWN_PORT" $((SIZE_MB * 1024 * 1024))
check "a daemon with -o debug mounts $MNT" start_daemon -o debug --busy-poll 0
for ((r = 1; r <= ROUNDS; r++)); do
	fuse_requests || not_ok "connections through a debug daemon, round $r"
done
stop_daemon
check "the daemon mounts $MNT" start_daemon --busy-poll 0
connects >/dev/null	# warm: the first connections grow the tables
for ((r = 1; r <= ROUNDS; r++)); do
	counted connect-costs "$CALLS" connects
	counted pingpong-costs "$PINGS" pingpongs
	counted download-costs "$SIZE_MB" download
done
stop_daemon
