#!/bin/bash
# A TCP server in pure shell over /net/tcp: `announce *!8080`, then a loop
# opening listen (each open gives the ctl of a new conversation), reading
# the request from data and writing an answer; the kernel's curl gets 20
# answers in a row.
. "$(dirname "$0")/lib.sh"

COUNT=20

# handle N I: answer the HTTP request on conversation N (its ctl is fd 5).
handle() {
	local line body="answer $2 from conversation $1"

	exec 6<>"$MNT/tcp/$1/data" || return 1
	while IFS= read -r line <&6 && [ "$line" != $'\r' ]; do :; done
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
		echo "call $i: conversation $n"
		handle "$n" "$i" || return 1
	done
}

check "the daemon mounts $MNT" start_daemon
spawn server server
srv=$SPAWN_PID
check "the server announced" wait_for "$E2E_DIR/server.out" announced
check_eq "local of the listener (dual-stack: ::)" "::!8080" \
	"$(cat "$MNT/tcp/$(sed -n 's/^announced //p' "$E2E_DIR/server.out")/local")"
good=0
for ((i = 1; i <= COUNT; i++)); do
	out=$(curl -sS --max-time 10 http://10.77.0.2:8080/)
	if grep -qx "answer $i from conversation [0-9]*" <<<"$out"; then
		good=$((good + 1))
	else
		echo "# curl $i: '$out'"
	fi
done
check_eq "curl: answers in order" "$COUNT" "$good"
wait_exit "$srv" 10
check_eq "the server ends after $COUNT calls" 0 "$?"
