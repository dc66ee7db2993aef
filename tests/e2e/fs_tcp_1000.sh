#!/bin/bash
# 1000 TCP conversations open at once, each echoing a line through a
# kernel echo server; all are closed (the server sees every one end);
# then 1000 more.
. "$(dirname "$0")/lib.sh"

N=1000
ulimit -n 8192

# round R: open N conversations, a line on each, read every echo back,
# close them all, wait until the server has seen them all end.
round() {
	local i n c d line good=0 ctl=() data=()

	for ((i = 0; i < N; i++)); do
		exec {c}<>"$MNT/tcp/clone" || break
		read -r n <&"$c"
		echo "connect 10.77.0.1!7777" >&"$c" || break
		exec {d}<>"$MNT/tcp/$n/data" || break
		echo "round $1 line $i" >&"$d" || break
		ctl+=("$c")
		data+=("$d")
	done
	check_eq "round $1: conversations open at once" "$N" "${#data[@]}"
	check_eq "round $1: the kernel has them all established" "$N" \
		"$(ss -Htn state established "sport = :7777" | wc -l)"
	for ((i = 0; i < ${#data[@]}; i++)); do
		IFS= read -r line <&"${data[i]}" && [ "$line" = "round $1 line $i" ] &&
			good=$((good + 1))
	done
	check_eq "round $1: every line comes back on its own conversation" "$N" "$good"
	for ((i = 0; i < ${#data[@]}; i++)); do
		c=${ctl[i]} d=${data[i]}
		exec {c}<&- {d}<&-
	done
	check "round $1: the server sees them all closed" \
		wait_for_count "$E2E_DIR/echo.out" closed $(($1 * N)) 20
}

# wait_for_count FILE LINE COUNT SECONDS: until FILE has COUNT lines LINE.
wait_for_count() {
	local i

	for ((i = 0; i < $4 * 20; i++)); do
		[ "$(grep -cx "$2" "$1")" -ge "$3" ] && return 0
		sleep 0.05
	done
	return 1
}

check "the daemon mounts $MNT" start_daemon
kernel_echo 7777
start=$SECONDS
round 1
echo "# round 1: $((SECONDS - start)) s"
round 2
echo "# both rounds: $((SECONDS - start)) s"
check "the daemon is still there" kill -0 "$DAEMON_PID"
