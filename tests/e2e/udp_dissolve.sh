#!/bin/bash
# connect 0.0.0.0!0 dissolves a UDP association: writing to data then
# fails with EDESTADDRREQ, as it does before any connect.
. "$(dirname "$0")/lib.sh"

check "the daemon mounts $MNT" start_daemon
spawn echo kpeer udp-echo 10.77.0.1 7777 echo:
check "the kernel echo server is ready" wait_for "$E2E_DIR/echo.out" ready

clone udp
check_eq "write before connect" EDESTADDRREQ "$("$FDTOOL" "$CONV/data" write:early)"
echo "connect 10.77.0.1!7777" >&"$CONV_FD"
check_eq "write once connected" "write 5" "$("$FDTOOL" "$CONV/data" write:hello)"
check_eq "the echo comes back" "read echo:hello" "$("$FDTOOL" "$CONV/data" read)"
check "connect 0.0.0.0!0" ctl "connect 0.0.0.0!0"
check_eq "write once dissolved" EDESTADDRREQ "$("$FDTOOL" "$CONV/data" write:late)"
check_eq "remote is null" "0.0.0.0!0" "$(cat "$CONV/remote")"
check_eq "the server got one datagram" 1 "$(grep -c '^from ' "$E2E_DIR/echo.out")"
