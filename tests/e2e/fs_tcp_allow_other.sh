#!/bin/bash
# Mounted with -o allow_other: uid 65534 gets EACCES opening root's ctl,
# data and listen (the daemon checks on open), may read root's status, and
# clones a conversation of its own, owned by 65534, that it can use. chown
# of a conversation: refused to 65534 (root's or its own), root's gives
# it, and then 65534 opens it.
. "$(dirname "$0")/lib.sh"

as_nobody() {
	setpriv --reuid 65534 --regid 65534 --clear-groups "$@"
}

check "the daemon mounts $MNT with -o allow_other" start_daemon -o allow_other
kernel_echo 7777

clone tcp
echo "announce *!8080" >&"$CONV_FD"
check_eq "root's conversation: owner and modes" "0 755 0 660 0 660 0 660 0 444" \
	"$(stat -c '%u %a' "$CONV" "$CONV/ctl" "$CONV/data" "$CONV/listen" "$CONV/status" | xargs)"
check_eq "nobody opens root's ctl" "open EACCES" "$(as_nobody "$FDTOOL" "$CONV/ctl")"
check_eq "nobody opens root's data" "open EACCES" "$(as_nobody "$FDTOOL" "$CONV/data")"
check_eq "nobody opens root's listen" "open EACCES" "$(as_nobody "$FDTOOL" -n -r "$CONV/listen")"
check_eq "nobody reads root's status" Listen "$(as_nobody cut -d' ' -f1 "$CONV/status")"

# shellcheck disable=SC2016
out=$(as_nobody timeout 10 bash -c '
	exec 3<>"$1/tcp/clone" || exit 1
	read -r n <&3
	stat -c "%u %g %a" "$1/tcp/$n" "$1/tcp/$n/ctl" "$1/tcp/$n/data"
	echo "connect 10.77.0.1!7777" >&3 || exit 1
	exec 4<>"$1/tcp/$n/data"
	echo "hello from nobody" >&4
	IFS= read -r line <&4
	echo "$line"' _ "$MNT")
check_eq "nobody clones its own conversation and uses it" \
	"65534 65534 755 65534 65534 660 65534 65534 660 hello from nobody" "$(xargs <<<"$out")"

# chown: only root (or the daemon's owner) gives a conversation away.
nobody_chown() {
	as_nobody chown "$@" 2>/dev/null
}
check "nobody cannot chown root's ctl to itself (EPERM)" \
	not nobody_chown 65534:65534 "$CONV/ctl"
check_eq "root's conversation is still root's" 0 "$(stat -c %u "$CONV/ctl")"
check "root gives its conversation to nobody" chown 65534:65534 "$CONV/ctl"
check_eq "ctl, data and listen now nobody's" "65534 65534 65534 65534 65534 65534" \
	"$(stat -c '%u %g' "$CONV/ctl" "$CONV/data" "$CONV/listen" | xargs)"
check_eq "nobody opens the ctl given to it" opened "$(as_nobody "$FDTOOL" "$CONV/ctl" say:opened)"
check "nobody cannot give it on to another uid (EPERM)" \
	not nobody_chown 1:1 "$CONV/ctl"
