#!/bin/bash
# slashnet-run with a server that gives root up (the mount with
# allow_other, so that other uids may use it at all): nginx's master
# listens as root and its worker, uid nobody, takes the calls (accept4
# opens the listener's `listen`, which only its owner may): the shim
# gives the conversations to the new uid just before setuid. A kernel
# curl gets 4 MiB byte for byte and ab 500 pages without a failure. A
# program that only visits another uid (seteuid, root still its saved
# uid) gives nothing away, and no one else's uid can take it.
# e2e-timeout: 90
. "$(dirname "$0")/lib.sh"

RUN=(sh "$E2E_BUILD/shim/slashnet-run" -m "$MNT")

check "the daemon mounts $MNT with -o allow_other" start_daemon -o allow_other
nginx_conf 8080
spawn nginx "${RUN[@]}" nginx -c "$E2E_DIR/nginx.conf" -e "$E2E_DIR/nginx/error.log"
check "slashnet-run nginx listens on the stack's 8080" wait_stack_listens 8080

got_big() {
	curl -sS --max-time 20 -o "$E2E_DIR/big" http://10.77.0.2:8080/big &&
		cmp -s "$E2E_DIR/big" "$E2E_DIR/www/big"
}
check "curl gets 4 MiB from nginx's worker, byte for byte" got_big
failed=$(timeout 60 ab -q -n 500 -c 10 http://10.77.0.2:8080/ 2>&1 |
	sed -n 's/^Failed requests: *//p')
check_eq "ab -n 500 -c 10: failed requests" 0 "${failed:-ab failed}"
check_eq "nginx logged no accept failure" 0 "$(grep -c 'accept4() failed' "$E2E_DIR/nginx/error.log")"

# The listener's conversation (the one in Listen), given to the worker
# when it started: it has answered, so that has happened.
for d in "$MNT"/tcp/[0-9]*; do
	read -r st _ <"$d/status" && [ "$st" = Listen ] && lconv=$d
done
check_eq "the worker took it: the listener belongs to nobody" nobody "$(stat -c %U "$lconv/ctl")"

# seteuid: a visit; the conversation stays root's, and uid nobody cannot
# open its listen.
spawn visit "${RUN[@]}" python3 -c '
import os, socket, time
s = socket.socket()
s.bind(("", 8081))
s.listen(4)
os.seteuid(65534)
os.seteuid(0)
print("visited", flush=True)
time.sleep(60)'
check "the visiting program listens on 8081" wait_for "$E2E_DIR/visit.out" visited
for d in "$MNT"/tcp/[0-9]*; do
	grep -q '!8081$' "$d/local" && vconv=$d
done
check_eq "after seteuid and back its listener is still root's" root "$(stat -c %U "$vconv/ctl")"
nobody_refused() {
	! setpriv --reuid=65534 --regid=65534 --clear-groups timeout 2 cat "$1/listen" \
		2>"$E2E_DIR/visit.err" && grep -q 'Permission denied' "$E2E_DIR/visit.err"
}
check "uid nobody cannot open that listen (EACCES)" nobody_refused "$vconv"
