#!/bin/bash
# A blocking reader of the C API and the library's loop thread share a
# CPU while a download flows (netcore/driver/loop.c, reader_stay): the
# loop thread keeps to one CPU during it, every byte arrives, and the
# reader has its own CPUs back once its calls return.
. "$(dirname "$0")/lib.sh"

NCBENCH=$E2E_BUILD/tests/bench/ncbench
BYTES=$((1 << 30))

# The Cpus_allowed_list of /proc/PID/task/TID.
allowed() {
	local key val

	while read -r key val; do
		[ "$key" = Cpus_allowed_list: ] && echo "$val"
	done <"/proc/$1/task/$2/status" 2>/dev/null
}

check "the TUN sn0 is made, host side 10.77.0.1" make_tun
spawn source "$NCBENCH" source 10.77.0.1 8000 "$BYTES"
check "a kernel sender on 10.77.0.1:8000" wait_for "$E2E_DIR/source.out" ready

"$NCTOOL" --no-config --cpus drain 10.77.0.1 8000 >"$E2E_DIR/got" 2>"$E2E_DIR/cpus" &
pid=$!
E2E_PIDS+=("$pid")
# Until it exits (at most 60 s): did a thread besides the reader keep to
# one CPU?
one=
for ((i = 0; i < 3000; i++)); do
	[ -z "$one" ] && kill -0 "$pid" 2>/dev/null || break
	for t in /proc/"$pid"/task/*; do
		t=${t##*/}
		[ "$t" != "$pid" ] && [[ $(allowed "$pid" "$t") =~ ^[0-9]+$ ]] && one=$t
	done
	sleep 0.02
done
wait "$pid"
check_eq "nctool drain: exit status" 0 "$?"
check_eq "every byte arrived" "$BYTES" "$(cat "$E2E_DIR/got")"
if [ "$(nproc)" -ge 2 ]; then
	check "the loop thread kept to one CPU while the download flowed" test -n "$one"
fi
read -r word before after <"$E2E_DIR/cpus"
check_eq "the reader's CPUs after the download are its own" "cpus $before" "$word $after"
