#!/bin/bash
# One open data file is read and written at once (slashnet(4)): a thread
# blocked reading does not hold up a write on the same descriptor, for
# TCP and UDP; the shell's `exec 4<>data; cat <&4 & echo x >&4` works.
. "$(dirname "$0")/lib.sh"

check "the daemon mounts $MNT" start_daemon
kernel_echo 7777
spawn uecho kpeer udp-echo 10.77.0.1 7778 echo:
check "the kernel UDP echo server is ready" wait_for "$E2E_DIR/uecho.out" ready

clone tcp
ctl "connect 10.77.0.1!7777"
check_eq "tcp: a write while a read blocks on the same open" "hello" \
	"$(python3 "$E2E_ROOT/tests/e2e/duplex.py" "$CONV/data" $'hello\n')"

clone udp
ctl "connect 10.77.0.1!7778"
check_eq "udp: a write while a read blocks on the same open" "echo:hello" \
	"$(python3 "$E2E_ROOT/tests/e2e/duplex.py" "$CONV/data" $'hello\n')"

# The plainest shell duplex: cat reads in the background, then writes.
clone tcp
ctl "connect 10.77.0.1!7777"
exec 4<>"$CONV/data"
cat <&4 >"$E2E_DIR/duplex.out" &
reader=$!
check "shell: cat sleeps in read" wait_in_read "$reader"
for i in 1 2; do
	echo "line $i" >&4 &
	writer=$!
	if wait_gone "$writer" 5; then
		ok "shell: write $i while cat reads the same open"
	else
		# Stuck on the file-position lock, which only cat's end frees.
		not_ok "shell: write $i while cat reads the same open"
		kill "$reader"
	fi
	wait "$writer"
done
check "shell: both lines echoed back through cat" \
	wait_for "$E2E_DIR/duplex.out" "line 2" 5
check_eq "shell: what cat read" $'line 1\nline 2' "$(cat "$E2E_DIR/duplex.out")"
kill "$reader"
exec 4<&-
