#!/bin/bash
# The command line as slashnet(8) documents it (issue 15, acceptance 6):
# -V, --help (every option of SPEC.md, each with a sentence), -d, --log,
# the ready line of -f, --pcap - on stdout, every option as -o NAME=VALUE,
# the warning for a prefix the host routes elsewhere, and the hint a
# non-root start-up failure gives.
. "$(dirname "$0")/lib.sh"

out=$("$SLASHNET" -V)
check_eq "-V: exit status" 0 "$?"
check "-V: slashnet's version" grep -qE '^slashnet [0-9]+\.[0-9]+' <<<"$out"
check "-V: libfuse's version" grep -qE '^libfuse 3\.' <<<"$out"

help=$("$SLASHNET" --help)
check_eq "--help: exit status" 0 "$?"
for opt in $(grep -oE '^\| `--[a-z0-9-]+' "$E2E_ROOT/docs/SPEC.md" | cut -c4-); do
	line=$(grep -E "^  $opt( |$)" <<<"$help")
	check "--help describes $opt" test "$(wc -w <<<"$line")" -ge 5
done

# -f: the ready line; -o for every option of the table
check "-f -o OPTIONS mounts" start_daemon -o "mtu=1400,msl=1000,bufmem=16,busy_poll=0,no_timestamps,no_sack,hide_others,conv_per_uid=7,dns=10.77.0.1,pcap=$E2E_DIR/o.pcap"
check "-f: the ready line" grep -q "^slashnet: ready: $MNT mounted; the stack is 10.77.0.2/24 on TUN sn0, the host side 10.77.0.1\$" "$LOG"
check_eq "-o mtu=1400" 1400 "$(field "$MNT/ipifc/0/status" maxtu)"
check "-o pcap=FILE" test -s "$E2E_DIR/o.pcap"
stop_daemon

# -d: stays in the foreground and traces FUSE's requests
: >"$LOG"
check "-d mounts, in the foreground" start_daemon -d
ls "$MNT/tcp" >/dev/null
check "-d: FUSE requests traced to stderr" grep -q 'opcode: LOOKUP' "$LOG"
stop_daemon

# --log FILE, daemonized: the command returns with the mount live
"$SLASHNET" --log "$E2E_DIR/file.log" --tun sn1 "$MNT"
check_eq "--log: the daemon starts" 0 "$?"
check "--log: the ready line is in the file" grep -q "ready: $MNT mounted" "$E2E_DIR/file.log"
pid=$(daemon_pids)
umount "$MNT"
check "--log: umount ends the daemon" wait_gone "${pid:-0}"

# --pcap -: the capture on standard output, the messages on stderr
: >"$LOG"
"$SLASHNET" -f --pcap - "$MNT" >"$E2E_DIR/out.pcap" 2>>"$LOG" &
DAEMON_PID=$!
E2E_PIDS+=("$DAEMON_PID")
check "--pcap -: mounted" wait_for "$LOG" "ready: $MNT"
check_eq "--pcap -: a ping" 1 "$(ping_replies 10.77.0.2 1)"
stop_daemon
check "--pcap -: tcpdump reads the echo from stdout" \
	grep -q 'ICMP echo reply' <<<"$(tcpdump -nr "$E2E_DIR/out.pcap" 2>/dev/null)"

# a prefix the host already routes elsewhere: a warning, and it goes on
ip route add 10.77.9.0/24 dev lo
: >"$LOG"
check "an overlapping --addr still mounts" start_daemon --tun sn2 --addr 10.77.9.2/24 --gw 10.77.9.1
check "a warning names the other route's device" \
	grep -q 'warning: the host already routes part of 10.77.9.2/24 through lo' "$LOG"
stop_daemon

# not root: the error says what to do
err=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$SLASHNET" -f --tun sn3 "$MNT" 2>&1)
check_eq "non-root: exit status 1" 1 "$?"
echo "# $err"
check "non-root: the hint names a persistent TUN and --no-config" \
	grep -q 'cannot open TUN sn3: .* — as non-root, create a persistent TUN you own.*--no-config' <<<"$err"
