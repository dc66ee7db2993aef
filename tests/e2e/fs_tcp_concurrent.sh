#!/bin/bash
# A TCP server in pure shell answers 16 concurrent curl requests: each
# call is handled in a subshell, and no handler answers before all 16 are
# taken from listen, so they are 16 distinct conversations at once.
. "$(dirname "$0")/lib.sh"

COUNT=16

# How many calls the server has taken from listen so far.
accepted() {
	wc -l 2>/dev/null <"$E2E_DIR/accepted" || echo 0
}

# handle N: answer the HTTP request on conversation N (its ctl is fd 5),
# once the server has taken all COUNT calls, so all are open at once (the
# file "all" says so; at most 10 s).
handle() {
	local line i body="answer from conversation $1"

	exec 6<>"$MNT/tcp/$1/data" || return 1
	while IFS= read -r line <&6 && [ "$line" != $'\r' ]; do :; done
	for ((i = 0; i < 200; i++)); do
		[ -e "$E2E_DIR/all" ] && break
		[ "$(accepted)" -ge "$COUNT" ] && : >"$E2E_DIR/all" && break
		sleep 0.05
	done
	printf 'HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s\n' $((${#body} + 1)) "$body" >&6
	exec 6<&- 5<&-
}

server() {
	local i l n

	exec 3<>"$MNT/tcp/clone" || return 1
	read -r l <&3
	echo 'announce *!8080' >&3 || return 1
	echo "announced $l"
	for ((i = 1; i <= COUNT; i++)); do
		exec 5<"$MNT/tcp/$l/listen" || return 1
		read -r n <&5
		echo "$n" >>"$E2E_DIR/accepted"
		handle "$n" &
		exec 5<&-
	done
	wait
}

check "the daemon mounts $MNT" start_daemon
spawn server server
srv=$SPAWN_PID
check "the server announced" wait_for "$E2E_DIR/server.out" announced
pids=()
for ((i = 1; i <= COUNT; i++)); do
	curl -sS --max-time 20 -o "$E2E_DIR/curl.$i" http://10.77.0.2:8080/ &
	pids+=($!)
done
good=0
for ((i = 1; i <= COUNT; i++)); do
	wait "${pids[i - 1]}" && grep -qx "answer from conversation [0-9]*" "$E2E_DIR/curl.$i" &&
		good=$((good + 1))
done
check_eq "curl: every concurrent request answered" "$COUNT" "$good"
check_eq "distinct conversations" "$COUNT" "$(sort -u "$E2E_DIR"/curl.* | wc -l)"
check "all $COUNT were taken from listen before any answer" test -e "$E2E_DIR/all"
wait_exit "$srv" 10
check_eq "the server ends after $COUNT calls" 0 "$?"
