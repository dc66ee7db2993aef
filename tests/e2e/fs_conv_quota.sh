#!/bin/bash
# Fair shares (issue 12, acceptance 2): with -o allow_other, uid 65534
# opens tcp/clone until refused; it is refused with EMFILE at its share
# (-o conv_per_uid), the log says why, and root and uid 1000 can still
# clone and connect. With a share as large as the table, 65534 is refused
# with ENFILE before the slots kept for root, and root still clones.
# -o hide_others: 65534 lists and finds only its own conversations.
# e2e-timeout: 120
. "$(dirname "$0")/lib.sh"

as_uid() {
	local uid=$1
	shift
	setpriv --reuid "$uid" --regid "$uid" --clear-groups "$@"
}

# hog LIMIT: as 65534, open clone until refused (at most LIMIT times),
# print "COUNT ERRNO-NAME" on $E2E_DIR/hog.out, then hold the
# conversations until its stdin (a fifo) closes.
hog() {
	rm -f "$E2E_DIR/hog.in" "$E2E_DIR/hog.out"
	mkfifo "$E2E_DIR/hog.in"
	chmod 666 "$E2E_DIR/hog.in"
	as_uid 65534 /usr/bin/python3 -c '
import errno, os, sys
fds, err = [], "none"
for _ in range(int(sys.argv[2])):
    try:
        fds.append(os.open(sys.argv[1], os.O_RDWR))
    except OSError as e:
        err = errno.errorcode[e.errno]
        break
print(len(fds), err, flush=True)
sys.stdin.read()
' "$MNT/tcp/clone" "$1" <"$E2E_DIR/hog.in" >"$E2E_DIR/hog.out" 2>&1 &
	HOG_PID=$!
	E2E_PIDS+=("$HOG_PID")
	exec {HOG_FD}>"$E2E_DIR/hog.in"
	wait_for "$E2E_DIR/hog.out" . 60
}

unhog() {
	exec {HOG_FD}>&-
	wait_exit "$HOG_PID" 20
}

# connect_as UID: clone, connect to the kernel's echo server, one line
# there and back; prints what came back.
connect_as() {
	# shellcheck disable=SC2016
	as_uid "$1" timeout 20 bash -c '
		exec 3<>"$1/tcp/clone" || exit 1
		read -r n <&3
		echo "connect 10.77.0.1!7777" >&3 || exit 1
		exec 4<>"$1/tcp/$n/data"
		echo "hello from $2" >&4
		IFS= read -r line <&4
		echo "$line"' _ "$MNT" "$1" 2>&1
}

ulimit -n 20000
check "the daemon mounts with allow_other,conv_per_uid=100" \
	start_daemon -o allow_other,conv_per_uid=100
kernel_echo 7777

hog 1000
check_eq "uid 65534 is refused at its share, with EMFILE" "100 EMFILE" "$(cat "$E2E_DIR/hog.out")"
check "the log says uid 65534 has its share" wait_for "$LOG" "uid 65534 has its share of 100 tcp" 5
check_eq "root still clones and connects" "hello from 0" "$(connect_as 0)"
check_eq "uid 1000 still clones and connects" "hello from 1000" "$(connect_as 1000)"
check_eq "uid 65534 is still refused" "open EMFILE" "$(as_uid 65534 "$FDTOOL" "$MNT/tcp/clone")"
check_eq "uid 65534 still has a udp conversation" "0" \
	"$(as_uid 65534 "$FDTOOL" "$MNT/udp/clone" >/dev/null; echo $?)"
check "uid 65534's hog ends" unhog
check_eq "once its conversations are gone, uid 65534 clones again" "hello from 65534" \
	"$(connect_as 65534)"
stop_daemon

check "the daemon mounts with conv_per_uid=16384,hide_others" \
	start_daemon --hide-others -o allow_other,conv_per_uid=16384
clone tcp
root_conv=$CONV_N
hog 17000
# CONV_MAX 16384, less the 256 slots kept for root and the owner; root's one
check_eq "uid 65534 fills the table but root's slots: ENFILE" "16127 ENFILE" \
	"$(cat "$E2E_DIR/hog.out")"
check "the log says the table is full" wait_for "$LOG" "tcp: no free conversation for uid 65534" 5
clone tcp
check "root still clones in the full table" test -n "$CONV_N"
listed=$(as_uid 65534 ls "$MNT/tcp" | grep -c '^[0-9]')
check_eq "hide_others: uid 65534 lists only its own 16127" 16127 "$listed"
check_eq "hide_others: uid 65534 cannot find root's conversation" "open ENOENT" \
	"$(as_uid 65534 "$FDTOOL" "$MNT/tcp/$root_conv/status")"
check_eq "hide_others: root lists them all" 16129 "$(ls "$MNT/tcp" | grep -c '^[0-9]')"
check "uid 65534's hog ends" unhog

