#!/bin/bash
# Fuzz every target (or those named) for SECONDS each with libFuzzer under
# ASan+UBSan, in build-fuzz (clang, -Dfuzz=true):
#
#   tests/fuzz/run.sh SECONDS [TARGET...]     targets: tests/fuzz/corpus/*
#
# Each target starts from its seed corpus (tests/fuzz/corpus/TARGET) and
# keeps what it finds new in build-fuzz/fuzz/corpus/TARGET, so a second
# run goes on from there. A finding (crash, sanitizer report, leak,
# timeout) is saved under build-fuzz/fuzz/findings/TARGET/ and its path
# printed; replay it with build-fuzz/tests/fuzz/fuzz-TARGET PATH. Ends
# with "N passed, N failed" (a target passes when it found nothing) and
# exits non-zero on any finding.
set -u
cd "$(dirname "$(readlink -f "$0")")/../.." || exit 1
ROOT=$PWD
BUILD=$ROOT/build-fuzz
OUT=$BUILD/fuzz

die() {
	echo "fuzz: $*" >&2
	exit 1
}

[[ ${1:-} =~ ^[0-9]+$ ]] || die "usage: tests/fuzz/run.sh SECONDS [TARGET...]"
secs=$1
shift
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for d in tests/fuzz/corpus/*/; do
		targets+=("$(basename "$d")")
	done
fi
for t in "${targets[@]}"; do
	[ -d "tests/fuzz/corpus/$t" ] || die "no target '$t' (tests/fuzz/corpus/$t)"
done

# clang and its libFuzzer runtime (Debian: clang, libclang-rt-dev)
if [ "$(id -u)" -eq 0 ]; then
	./run.sh deps || exit 1
fi
if [ ! -f "$BUILD/build.ninja" ]; then
	CC=clang meson setup "$BUILD" -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false -Dc_args=-fno-sanitize-recover=all >/dev/null ||
		die "meson setup $BUILD failed (clang and libclang-rt-dev installed?)"
fi
ninja -C "$BUILD" "${targets[@]/#/tests/fuzz/fuzz-}" >/dev/null || die "build in $BUILD failed"

passed=0
failed=0
for t in "${targets[@]}"; do
	log=$OUT/$t.log
	mkdir -p "$OUT/corpus/$t" "$OUT/findings/$t"
	rm -f "$OUT/findings/$t"/*
	# -timeout: one input running 30 s is a finding (a loop); the leak
	# check is LeakSanitizer's, after each input
	"$BUILD/tests/fuzz/fuzz-$t" -max_total_time="$secs" -timeout=30 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$OUT/findings/$t/" \
		"$OUT/corpus/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	cov=$(grep -aoE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1)
	found=$(ls "$OUT/findings/$t")
	if [ "$rc" -eq 0 ] && [ -z "$found" ]; then
		echo "PASS fuzz/$t: ${execs:-?} runs in $secs s, $cov, corpus $(ls "$OUT/corpus/$t" | wc -l)"
		passed=$((passed + 1))
	else
		echo "FAIL fuzz/$t (exit $rc): ${execs:-?} runs, log $log"
		grep -aE -m 12 'ERROR|SUMMARY|leak:|runtime error|fs: |deadly signal' "$log" | sed 's/^/    /'
		for f in $found; do
			echo "    reproducer: $OUT/findings/$t/$f"
		done
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
