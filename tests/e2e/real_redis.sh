#!/bin/bash
# redis-benchmark through the stack: redis-server on the kernel's side,
# redis-benchmark on the kernel's side calling the stack, each of its 20
# connections relayed back by examples/forward.sh, new ones for each
# test. 10 tests of 10000 requests: every one completes; the rate does
# not fall test after test: the last three tests' mean is at least 80% of
# the first three's (or, after a slow spell of the machine, the first
# three run again are); no request of any test waits 500 ms or more;
# and no test runs below 40% of the first's. A stall of the relay shows
# in the longest wait: with the daemon stopped for 1 s during SET, SET's
# longest was 1007 ms (and its rate half the others', which a rule
# measuring later tests against the first would not see); without it,
# 57-115 ms on an idle 2-core machine and up to 175 ms with a busy loop
# beside it. A stall in a connect does not show here: redis-benchmark
# times requests, not connections, and hands a late client's share to
# the others. Single tests' rates vary by 20-40% on a busy 2-core machine
# (one ran at 59.7% of the first beside a busy loop), so one test's rate
# against another's is only a backstop. Every test's rate and longest
# wait are printed as "# ..." lines, and for comparison SET and GET
# straight to redis-server.
# e2e-timeout: 90
. "$(dirname "$0")/lib.sh"

# Under AddressSanitizer the daemon gets a 16 MB quarantine, not 256: a
# test is some 40 000 FUSE requests (a read and a write each way per
# request), and libfuse allocates each (its struct fuse_req); with the
# default every allocation takes fresh memory, the heap grew 17-19 MB a
# test and the daemon's CPU a test with it (126-154 ticks against 99-127
# with a small quarantine, DESIGN rule 2), the sanitizer's cost, not the
# relay's trend.
[ -n "${ASAN_OPTIONS:-}" ] && export ASAN_OPTIONS="$ASAN_OPTIONS:quarantine_size_mb=16"
check "the daemon mounts $MNT" start_daemon
spawn redis redis-server --bind 10.77.0.1 --port 6379 --save '' --appendonly no \
	--daemonize no --protected-mode no --dir "$E2E_DIR"
check "redis-server listens on 10.77.0.1:6379" wait_listen 6379
forwarder 6379 '10.77.0.1!6379'

tests=set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop
# bench FILE TESTS: redis-benchmark through the stack, its rates one
# "TEST RPS MAX_MS" a line in FILE, in the order run (CSV: "test","rps",
# then the latencies: avg, min, p50, p95, p99, max, in ms).
bench() {
	timeout 60 redis-benchmark -h 10.77.0.2 -p 6379 -n 10000 -c 20 -t "$2" --csv \
		>"$E2E_DIR/bench.csv" 2>"$E2E_DIR/bench.err" || return
	tr -d '"' <"$E2E_DIR/bench.csv" |
		awk -F, 'NR > 1 && $2 + 0 > 0 { print $1, int($2), $8 }' >"$1"
}
# mean: the mean rate of the "TEST RPS MAX_MS" lines on standard input.
mean() {
	awk '{ s += $2 } END { print NR ? int(s / NR) : 0 }'
}

bench "$E2E_DIR/rates" "$tests"
check_eq "redis-benchmark: exit status" 0 "$?"
check_eq "every test reported a rate" 10 "$(wc -l <"$E2E_DIR/rates")"
while read -r name rps max; do
	echo "# $name: $rps requests/s, the longest wait $max ms"
done <"$E2E_DIR/rates"
check_eq "every test reported its longest wait" 10 \
	"$(awk '$3 ~ /^[0-9.]+$/' "$E2E_DIR/rates" | wc -l)"
read -r first rate0 _ <"$E2E_DIR/rates"
while read -r name rps max; do
	check "$name: no request waited 500 ms (the longest: $max ms)" \
		awk -v m="$max" 'BEGIN { exit !(m != "" && m < 500) }'
	[ "$name" = "$first" ] && continue
	check "$name: $rps requests/s, at least 40% of $first's $rate0" \
		test "$((rps * 100))" -ge "$((rate0 * 40))"
done <"$E2E_DIR/rates"
# No slowing test after test: the last three tests' mean is at least 80%
# of the first three's. This 2-core VM has slow spells of ten seconds or
# so (four tests in a row at 4000 requests/s, the next three at 6000),
# so when the last three fall short, the first three run again on the
# same daemon, after its 200 connections: what the stack accumulated
# would slow them as much; a spell that has passed does not.
head3=$(head -n 3 "$E2E_DIR/rates" | mean)
tail3=$(tail -n 3 "$E2E_DIR/rates" | mean)
best=$tail3 what="the last three tests' mean"
if ((tail3 * 100 < head3 * 80)); then
	again=
	bench "$E2E_DIR/again" set,get,incr && again=$(mean <"$E2E_DIR/again")
	echo "# the last three's mean $tail3 is below 80% of the first three's: they ran again at ${again:-no} requests/s"
	((${again:-0} > best)) && best=$again what="the first three tests' mean, run again at the end,"
fi
check "$what $best is at least 80% of the first three's $head3" \
	test "$((best * 100))" -ge "$((head3 * 80))"
[ -s "$E2E_DIR/bench.err" ] && echo "# redis-benchmark said: $(head -c 300 "$E2E_DIR/bench.err")"
echo "# tcp/stats: $(grep -E 'ActiveOpens|PassiveOpens|CurrEstab|EstabResets' "$MNT/tcp/stats" | paste -sd' ')"
timeout 15 redis-benchmark -h 10.77.0.1 -p 6379 -n 10000 -c 20 -t set,get --csv 2>/dev/null |
	tr -d '"' | awk -F, 'NR > 1 { printf "# straight to redis-server, %s: %d requests/s\n", $1, $2 }'
