#!/bin/bash
# slashnet-run servers and netcat (shim/): python3's http.server on the
# stack answers 20 kernel-side curl calls one after another and 16 at
# once (accept, a listener's readiness through poll, threads); OpenBSD
# nc as a client and as a -l server, each way a file byte for byte, the
# other end the kernel's nc.
# e2e-timeout: 90
. "$(dirname "$0")/lib.sh"

RUN=(sh "$E2E_BUILD/shim/slashnet-run" -m "$MNT")

check "the daemon mounts $MNT" start_daemon
mkdir "$E2E_DIR/www"
head -c 262144 /dev/urandom >"$E2E_DIR/www/blob"
(cd "$E2E_DIR/www" && spawn www "${RUN[@]}" python3 -m http.server 8080)
check "slashnet-run python3 -m http.server listens on the stack's 8080" wait_stack_listens 8080

get() {
	curl -sS --max-time 20 -o "$E2E_DIR/get.$1" http://10.77.0.2:8080/blob &&
		cmp -s "$E2E_DIR/www/blob" "$E2E_DIR/get.$1"
}
good=0
for i in $(seq 20); do get "s$i" && good=$((good + 1)); done
check_eq "20 calls one after another, each the blob" 20 "$good"
pids=()
for i in $(seq 16); do get "c$i" & pids+=($!); done
good=0
for p in "${pids[@]}"; do wait "$p" && good=$((good + 1)); done
check_eq "16 calls at once, each the blob" 16 "$good"
check_eq "the server logged 36 calls from the kernel" 36 \
	"$(grep -c '^10\.77\.0\.1 .*"GET /blob' "$E2E_DIR/www.out")"

# A non-blocking listener under epoll: readable when a call waits,
# accept4 then EAGAIN when none is left.
spawn ep "${RUN[@]}" python3 -c '
import selectors, socket
l = socket.socket()
l.bind(("", 8090))
l.listen(8)
l.setblocking(False)
sel = selectors.EpollSelector()
sel.register(l, selectors.EVENT_READ)
print("listening", flush=True)
served = 0
while served < 3:
    for key, ev in sel.select(timeout=20):
        c, peer = l.accept()
        c.setblocking(True)
        c.sendall(b"hi %s\n" % peer[0].encode())
        c.close()
        served += 1
        try:
            l.accept()
            print("accepted a call that was not there")
        except BlockingIOError:
            print("then EAGAIN", flush=True)
'
ep=$SPAWN_PID
check "an epoll server on the shim listens" wait_for "$E2E_DIR/ep.out" listening
good=0
for i in 1 2 3; do
	[ "$(curl -s --max-time 20 telnet://10.77.0.2:8090 </dev/null)" = "hi 10.77.0.1" ] && good=$((good + 1))
done
check_eq "it answers 3 calls with the caller's address" 3 "$good"
# (a caller has its answer before the server's next accept: wait for the
# server to end, after its third)
wait_exit "$ep" 20
check_eq "the epoll server ends after 3 calls" 0 "$?"
check_eq "each accept then EAGAIN" 3 "$(grep -c 'then EAGAIN' "$E2E_DIR/ep.out")"

# nc: a file each way, as client and as -l server; the sender half-closes
# at its end of file (-N), the receiver reads to the end (-d: no stdin).
head -c 1048576 /dev/urandom >"$E2E_DIR/file"

# ncpair NAME LISTENER CALLER: run the -l side (backgrounded) and the
# calling side (at most 20 s); the listener's output in $E2E_DIR/NAME.l,
# the caller's in $E2E_DIR/NAME.c.
ncpair() {
	local name=$1 listen=$2 call=$3 lp

	eval "$listen" >"$E2E_DIR/$name.l" 2>&1 &
	lp=$!
	E2E_PIDS+=("$lp")
	eval "$4"	# wait until it listens
	timeout 20 bash -c "$call" >"$E2E_DIR/$name.c" 2>&1
	check_eq "$name: the caller's exit status" 0 "$?"
	wait_exit "$lp" 20
	check_eq "$name: the listener's exit status" 0 "$?"
}

F=$E2E_DIR/file
ncpair up "nc -l 10.77.0.1 7001 </dev/null" \
	"${RUN[*]} nc -N 10.77.0.1 7001 <$F >/dev/null" "wait_listen 7001"
check "shim nc -> kernel nc -l: the file" cmp -s "$F" "$E2E_DIR/up.l"
ncpair down "nc -N -l 10.77.0.1 7002 <$F" \
	"${RUN[*]} nc -d 10.77.0.1 7002" "wait_listen 7002"
check "kernel nc -l -> shim nc: the file" cmp -s "$F" "$E2E_DIR/down.c"
ncpair lin "${RUN[*]} nc -l 7003 </dev/null" \
	"nc -N 10.77.0.2 7003 <$F >/dev/null" "wait_stack_listens 7003"
check "kernel nc -> shim nc -l: the file" cmp -s "$F" "$E2E_DIR/lin.l"
ncpair lout "${RUN[*]} nc -N -l 7004 <$F" \
	"nc -d 10.77.0.2 7004" "wait_stack_listens 7004"
check "shim nc -l -> kernel nc: the file" cmp -s "$F" "$E2E_DIR/lout.c"
