#!/bin/bash
# A bad option, a bad value, a mountpoint in use or a TUN that cannot be
# opened: one line on stderr, exit status 1, nothing left behind.
. "$(dirname "$0")/lib.sh"

# expect_refusal WHAT ARGS...: the daemon must exit 1 with one line on stderr.
expect_refusal() {
	local what=$1 err rc lines
	shift
	err=$(timeout 10 "$SLASHNET" "$@" 2>&1 >/dev/null)
	rc=$?
	lines=$(printf '%s' "$err" | grep -c .)
	echo "# slashnet $*: exit $rc: $err"
	check_eq "$what: exit status" 1 "$rc"
	check_eq "$what: one line on stderr" 1 "$lines"
}

expect_refusal "unknown option" --no-such-option "$MNT"
expect_refusal "missing value" -f "$MNT" --addr
expect_refusal "bad --addr" -f --addr 10.77.0.300/24 "$MNT"
expect_refusal "bad --gw" -f --gw nowhere "$MNT"
expect_refusal "bad --mtu" -f --mtu 12 "$MNT"
expect_refusal "bad --busy-poll" -f --busy-poll 1001 "$MNT"
expect_refusal "bad --boost" -f --boost 20 "$MNT"
expect_refusal "negative --boost" -f --boost -1 "$MNT"
expect_refusal "bad --addr6" -f --addr6 fd77::2/129 "$MNT"
expect_refusal "bad --gw6" -f --gw6 10.77.0.1 "$MNT"
expect_refusal "bad --dns" -f --dns '[fd77::1]' "$MNT"
expect_refusal "three arguments (SOURCE MOUNTPOINT only)" -f slashnet "$MNT" "$E2E_DIR"
check "nothing mounted" not_mounted "$MNT"
check "no sn0 left" no_link sn0

check "the daemon mounts $MNT" start_daemon
expect_refusal "mountpoint in use" -f --tun sn1 --addr 10.78.0.2/24 --gw 10.78.0.1 "$MNT"
mkdir "$E2E_DIR/other"
expect_refusal "TUN in use" -f --tun sn0 "$E2E_DIR/other"
check "nothing mounted there" not_mounted "$E2E_DIR/other"
expect_refusal "TUN name too long" -f --tun sn0-with-a-name-too-long "$E2E_DIR/other"
check "the first daemon still serves" test -d "$MNT/tcp"
check "the refused daemon left no sn1" no_link sn1
stop_daemon
check_eq "SIGTERM: exit status" 0 "$?"
