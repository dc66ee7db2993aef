#!/bin/bash
# Two downloads at once through /net, 32 MB each from the kernel's
# python3 http.server, each byte-identical. A download's payload is read
# from the TUN straight into its connection's queue when the stack's
# guess of the next packet's connection holds (tcp/stats InPlaceSegs);
# with two, the guess is wrong for some packets (InPlaceMissed), which
# are made whole and taken as any other. Big reads are answered through
# a pipe the daemon opens at the first (fs/reply.c, vmsplice and splice);
# the daemon runs without CAP_SYS_RESOURCE, as a user's would, so its
# pipe holds 1 MiB and a 1 MiB answer is cut to what fits.
. "$(dirname "$0")/lib.sh"

SIZE=$((32 << 20))

# The daemon, CAP_SYS_RESOURCE dropped from what it may ever have.
printf '#!/bin/sh\nexec setpriv --inh-caps -sys_resource --bounding-set -sys_resource %q "$@"\n' \
	"$SLASHNET" >"$E2E_DIR/slashnet"
chmod +x "$E2E_DIR/slashnet"
SLASHNET=$E2E_DIR/slashnet

# The pipes the daemon holds.
pipes() {
	find "/proc/$DAEMON_PID/fd" -lname 'pipe:*' | wc -l
}

check "the daemon mounts $MNT" start_daemon
pipes_before=$(pipes)
mkdir "$E2E_DIR/www"
for f in one two; do head -c "$SIZE" /dev/urandom >"$E2E_DIR/www/$f"; done
spawn http python3 -m http.server 8000 --bind 10.77.0.1 --directory "$E2E_DIR/www"
check "http.server listens on 10.77.0.1:8000" wait_listen 8000

pids=()
for f in one two; do
	timeout 60 bash "$E2E_ROOT/examples/httpget.sh" '10.77.0.1!8000' "/$f" "$MNT" \
		>"$E2E_DIR/$f.resp" &
	pids+=($!)
done
for i in 0 1; do
	wait "${pids[$i]}"
	check_eq "download $((i + 1)): exit status" 0 "$?"
done
for f in one two; do
	hdr=$(head -c 4096 "$E2E_DIR/$f.resp" | sed '/^\r$/q' | wc -c)
	tail -c +$((hdr + 1)) "$E2E_DIR/$f.resp" >"$E2E_DIR/$f.body"
	check "$f: byte-identical" cmp "$E2E_DIR/www/$f" "$E2E_DIR/$f.body"
done
check_gt "big reads answered by splice: the daemon keeps its pipe" "$(pipes)" "$pipes_before"
check_eq "no splice failed (daemon log)" 0 "$(grep -c "by writev from now on" "$LOG")"
check_gt "segments read in place (InPlaceSegs)" "$(counter "$MNT/tcp/stats" InPlaceSegs)" 0
check_gt "guesses missed, made whole (InPlaceMissed)" "$(counter "$MNT/tcp/stats" InPlaceMissed)" 0
echo "# $(grep -E 'InSegs|Place' "$MNT/tcp/stats" | tr '\n' ' ')"
