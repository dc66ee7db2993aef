#!/bin/bash
# 1000 `cat data` blocked at once on 1000 TCP conversations cost the daemon
# no thread each (DESIGN rule 2: parked requests); each is then answered
# when its data comes, and ends at its peer's FIN.
. "$(dirname "$0")/lib.sh"

N=1000
ulimit -n 8192

threads() {
	ls "/proc/$DAEMON_PID/task" | wc -l
}

# How many of the cats are blocked in the read system call (number 0 on
# x86-64, first in /proc/PID/syscall; builtins only: a fork for each of
# 1000 processes would dominate the run).
blocked() {
	local pid sc n=0

	for pid in "${cats[@]}"; do
		sc=
		read -r sc _ 2>/dev/null <"/proc/$pid/syscall"
		[ "$sc" = 0 ] && n=$((n + 1))
	done
	echo "$n"
}

# How many of the cats have exited (gone, or zombies not yet reaped).
ended() {
	local pid st n=0

	for pid in "${cats[@]}"; do
		if ! read -r st 2>/dev/null <"/proc/$pid/stat"; then
			n=$((n + 1))
		else
			st=${st##*) }
			[ "${st%% *}" = Z ] && n=$((n + 1))
		fi
	done
	echo "$n"
}

# until COMMAND prints at least COUNT, at most SECONDS.
wait_count() {
	local i

	for ((i = 0; i < $3 * 10; i++)); do
		[ "$($1)" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

check "the daemon mounts $MNT" start_daemon
kernel_echo 7777
before=$(threads)

ctls=() cats=() dirs=()
mkdir "$E2E_DIR/out"
for ((i = 0; i < N; i++)); do
	exec {c}<>"$MNT/tcp/clone" || break
	read -r n <&"$c"
	echo "connect 10.77.0.1!7777" >&"$c" || break
	cat "$MNT/tcp/$n/data" >"$E2E_DIR/out/$i" &
	cats+=($!)
	ctls+=("$c")
	dirs+=("$MNT/tcp/$n")
done
check_eq "cats started, each on its own conversation" "$N" "${#cats[@]}"
check "all $N are blocked in a read" wait_count blocked "$N" 20
check_eq "the daemon's threads: as many as before ($before)" "$before" "$(threads)"

# A line to each, then `shutdown wr`: the echo comes back, then the FIN.
for ((i = 0; i < ${#dirs[@]}; i++)); do
	echo "line $i" >"${dirs[i]}/data"
	echo "shutdown wr" >&"${ctls[i]}"
done
check "every cat ends at its peer's FIN" wait_count ended "$N" 20
good=0
for ((i = 0; i < ${#cats[@]}; i++)); do
	line=
	read -r line <"$E2E_DIR/out/$i"
	[ "$line" = "line $i" ] && good=$((good + 1))
done
check_eq "every cat printed its own line" "$N" "$good"
