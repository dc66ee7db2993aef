#!/bin/bash
# ctl errors decided by the stack itself (SPEC §3): EINVAL,
# EADDRINUSE, EADDRNOTAVAIL, EISCONN; each failed write leaves
# "COMMAND: reason" in err. (EAFNOSUPPORT, an IPv6 address with
# --no-ipv6: ipv6_link.sh.)
. "$(dirname "$0")/lib.sh"

# row ERRNO ERR COMMAND: on a new conversation, one write of COMMAND to
# ctl fails with ERRNO, and err then reads ERR.
row() {
	clone tcp
	check_eq "$3" "$1" "$("$FDTOOL" -w "$CONV/ctl" "write:$3")"
	check_eq "err after $3" "$2" "$(cat "$CONV/err")"
}

check "the daemon mounts $MNT" start_daemon
kernel_echo 7777

row EINVAL "unknown control request 'bogus'" "bogus"
row EINVAL "connect 10.77.0.1: Invalid argument" "connect 10.77.0.1"
row EINVAL "connect 10.77.0.1.5!80: Invalid argument" "connect 10.77.0.1.5!80"
row EINVAL "connect 10.77.0.1!99999: Invalid argument" "connect 10.77.0.1!99999"
row EINVAL "timeout soon: Invalid argument" "timeout soon"
row EINVAL "shutdown sideways: Invalid argument" "shutdown sideways"
row EINVAL "unknown control request 'headers'" "headers"
row EADDRNOTAVAIL "connect 0.0.0.0!80: Cannot assign requested address" "connect 0.0.0.0!80"
row EADDRNOTAVAIL "connect 10.77.0.1!0: Cannot assign requested address" "connect 10.77.0.1!0"
row EADDRNOTAVAIL "bind: 10.77.0.9!5000 is not an address of this stack: Cannot assign requested address" "bind 10.77.0.9!5000"

clone tcp
check "announce *!8080" ctl "announce *!8080"
row EADDRINUSE "announce: *!8080 is in use: Address already in use" "announce *!8080"
row EADDRINUSE "bind: 10.77.0.2!8080 is in use: Address already in use" "bind 10.77.0.2!8080"
row EADDRINUSE "connect 10.77.0.1!7777 8080: Address already in use" "connect 10.77.0.1!7777 8080"

clone tcp
check "connect 10.77.0.1!7777" ctl "connect 10.77.0.1!7777"
check_eq "connect again: EISCONN" EISCONN "$("$FDTOOL" -w "$CONV/ctl" 'write:connect 10.77.0.1!7777')"
check_eq "err after connect again" "connect 10.77.0.1!7777: Transport endpoint is already connected" \
	"$(cat "$CONV/err")"
check_eq "err of a conversation without error is empty" "" "$(clone tcp; cat "$CONV/err")"
