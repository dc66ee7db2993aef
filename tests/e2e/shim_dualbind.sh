#!/bin/bash
# One port, two listeners, one family each, as servers take both families
# on two sockets (an AF_INET one on 0.0.0.0, an IPV6_V6ONLY one on ::):
# through the files, `announce 0.0.0.0!P` takes IPv4 calls alone and a
# conversation with `v6only` announced on *!P IPv6 calls alone (a kernel
# nc over each family reaches its own); a dual-stack `announce *!P` on
# that port is EADDRINUSE. Then redis-server through slashnet-run, which
# binds both ways by default: redis-cli PING over IPv4 and IPv6, and
# redis-benchmark's SET without an error. An AF_INET socket listening
# without bind takes IPv4 calls alone.
# e2e-timeout: 90
. "$(dirname "$0")/lib.sh"

RUN=(sh "$E2E_BUILD/shim/slashnet-run" -m "$MNT")

check "the daemon mounts $MNT" start_daemon

# say FD CMD: write ctl command CMD on descriptor FD.
say() {
	echo "$2" >&"$1"
}

exec 5<>"$MNT/tcp/clone" && read -r v4 <&5
check "announce 0.0.0.0!8090" say 5 'announce 0.0.0.0!8090'
exec 6<>"$MNT/tcp/clone" && read -r v6 <&6
check "v6only, then announce *!8090 beside it" say 6 v6only
check "... announce *!8090" say 6 'announce *!8090'
check_eq "their local files" '0.0.0.0!8090 ::!8090' \
	"$(cat "$MNT/tcp/$v4/local" "$MNT/tcp/$v6/local" | xargs)"
exec 7<>"$MNT/tcp/clone" && read -r dual <&7
check "a dual-stack announce *!8090 is refused" not say 7 'announce *!8090' 2>/dev/null
check_eq "its err" "announce: *!8090 is in use: Address already in use" "$(cat "$MNT/tcp/$dual/err")"

# call LISTENER ADDR: a kernel nc calls ADDR!8090 (the call waits in the
# accept queue until listen is opened); prints the address the call on
# conversation LISTENER's listen came from (nothing if none came within
# 10 s).
call() {
	(echo hi | timeout 3 nc -q1 "$2" 8090 >/dev/null 2>&1) &
	timeout 10 bash -c 'exec 8<"$1/listen" && read -r m <&8 && sed "s/!.*//" "$2/$m/remote"' \
		_ "$MNT/tcp/$1" "$MNT/tcp"
	wait
}
check_eq "an IPv4 call reaches the 0.0.0.0 listener" 10.77.0.1 "$(call "$v4" 10.77.0.2)"
check_eq "an IPv6 call reaches the v6only listener" fd77::1 "$(call "$v6" fd77::2)"
exec 5<&- 6<&- 7<&-

spawn redis "${RUN[@]}" redis-server --port 6390 --save '' --appendonly no --daemonize no \
	--protected-mode no --dir "$E2E_DIR"
check "slashnet-run redis-server listens on 6390" wait_stack_listens 6390
check_eq "redis-cli PING over IPv4" PONG "$(timeout 5 redis-cli -h 10.77.0.2 -p 6390 ping)"
check_eq "redis-cli PING over IPv6" PONG "$(timeout 5 redis-cli -h fd77::2 -p 6390 ping)"
rate=$(timeout 30 redis-benchmark -h 10.77.0.2 -p 6390 -n 2000 -c 10 -t set --csv 2>/dev/null |
	tr -d '"' | awk -F, '$1 == "SET" { print int($2) }')
check_gt "redis-benchmark SET through it (requests/s)" "${rate:-0}" 0
echo "# redis-server through slashnet-run, SET: ${rate:-none} requests/s"
check_eq "redis logged no bind failure" 0 "$(grep -c 'Could not create server' "$E2E_DIR/redis.out")"

# An AF_INET socket that listens without bind takes IPv4 calls alone, on
# a port the stack chose (as on Linux): its conversation announces
# 0.0.0.0, an IPv6 call is refused, an IPv4 call reaches it.
spawn nobind "${RUN[@]}" python3 -c '
import socket
l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
l.listen(4)
print("port", l.getsockname()[1], flush=True)
c, peer = l.accept()
print("from", peer[0], flush=True)
'
check "the unbound listener says its port" wait_for "$E2E_DIR/nobind.out" port 10
port=$(awk '$1 == "port" { print $2 }' "$E2E_DIR/nobind.out")
check "its conversation announced 0.0.0.0!$port" grep -qx "0.0.0.0!$port" "$MNT"/tcp/*/local
check "an IPv6 call to its port is refused" not timeout 5 nc -z fd77::2 "$port"
check "an IPv4 call reaches it" timeout 5 nc -z 10.77.0.2 "$port"
check "it accepted that call" wait_for "$E2E_DIR/nobind.out" "from 10.77.0.1" 10

# getaddrinfo with no host and no family gives both any addresses for a
# server (IPv4's first) and both loopbacks for a client (IPv6's first),
# as the C library does.
gai() {
	"${RUN[@]}" python3 -c '
import socket, sys
flags = socket.AI_PASSIVE if sys.argv[1] == "passive" else 0
print(" ".join(a[4][0] for a in socket.getaddrinfo(None, 80, 0, socket.SOCK_STREAM, 0, flags)))' "$1"
}
check_eq "getaddrinfo(NULL, AI_PASSIVE): 0.0.0.0, then ::" "0.0.0.0 ::" "$(gai passive)"
check_eq "getaddrinfo(NULL): ::1, then 127.0.0.1" "::1 127.0.0.1" "$(gai client)"
