#!/bin/bash
# --boost: the stack's loop runs that many nice levels above the thread
# that started the daemon (5 by default), as the kernel's own network
# processing runs above programs; --boost 0 leaves it as it was. The
# daemon runs its loop on its main thread, so its nice is the loop's. A
# daemon started at nice 10 runs its loop at 5: the boost is relative.
. "$(dirname "$0")/lib.sh"

base=$(nice)

# loop_nice: the nice value of the daemon's thread that runs the loop.
loop_nice() {
	ps -o ni= -p "$DAEMON_PID" | tr -d ' '
}

for boost in default 0 12; do
	opt= want=$((base - 5))
	[ "$boost" != default ] && opt="--boost $boost" want=$((base - boost))
	want=$((want < -20 ? -20 : want))	# nice's floor
	# shellcheck disable=SC2086
	check "the daemon mounts $MNT ${opt:-(default)}" start_daemon $opt
	check_eq "${opt:-default}: the loop runs at nice $want (ours is $base)" "$want" "$(loop_nice)"
	clone tcp
	check_eq "${opt:-default}: the tree answers" "0" "$CONV_N"
	exec {CONV_FD}>&-
	stop_daemon
done

# The daemon started through nice(1): exec keeps the PID start_daemon saw.
printf '#!/bin/sh\nexec nice -n 10 "%s" "$@"\n' "$SLASHNET" >"$E2E_DIR/niced"
chmod +x "$E2E_DIR/niced"
SLASHNET=$E2E_DIR/niced check "the daemon mounts $MNT, started at nice $((base + 10))" start_daemon
check_eq "started at nice $((base + 10)): the loop runs at $((base + 5))" \
	"$((base + 5))" "$(loop_nice)"
stop_daemon
