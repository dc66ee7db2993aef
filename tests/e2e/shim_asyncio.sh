#!/bin/bash
# slashnet-run with asyncio (shim/): 200 connections at once, each
# echoing 100 KB while it sends (non-blocking sockets under epoll, a
# backlog of 512, half-closes), first with the server on the stack and
# the kernel's clients, then with the clients on the stack and the
# kernel's server; every connection gets back exactly what it sent.
# e2e-timeout: 90
. "$(dirname "$0")/lib.sh"

RUN=(sh "$E2E_BUILD/shim/slashnet-run" -m "$MNT")
ECHO=$E2E_ROOT/tests/e2e/echo_many.py

check "the daemon mounts $MNT" start_daemon

spawn stacksrv "${RUN[@]}" python3 "$ECHO" serve 7000
check "slashnet-run's asyncio server listens on the stack's 7000" wait_stack_listens 7000
out=$(timeout 60 python3 "$ECHO" call 10.77.0.2 7000 200)
check_eq "200 kernel clients at once, each its own bytes back" "good 200 of 200" "$(head -1 <<<"$out")"

spawn kernsrv python3 "$ECHO" serve 7001
check "the kernel's asyncio server listens on 7001" wait_listen 7001
out=$(timeout 60 "${RUN[@]}" python3 "$ECHO" call 10.77.0.1 7001 200)
check_eq "200 slashnet-run clients at once, each its own bytes back" "good 200 of 200" "$(head -1 <<<"$out")"
