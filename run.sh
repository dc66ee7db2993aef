#!/bin/bash
# slashnet's entry points (Debian 12, as root):
#
#   ./run.sh               install what is missing, build, mount /net
#   ./run.sh status        is /net served, by which daemon, on which TUN
#   ./run.sh stop          unmount /net and stop the daemon started here
#   ./run.sh test [--asan] build and run every test (unit + e2e); --asan
#                          (or SANITIZE=1) uses the ASan+UBSan build
#   ./run.sh deps          only install what is missing
#   ./run.sh --help        this text
#   ./run.sh bench [SCENARIO...]  install the bench's extra packages (lwIP),
#                          build, run tests/bench/run.sh (minutes; not a
#                          test: figures, against the kernel's TCP)
#
# The test run ends with one line: "N passed, N failed".
set -u
cd "$(dirname "$(readlink -f "$0")")" || exit 1
ROOT=$PWD

DEPS=(meson ninja-build pkg-config gcc libfuse3-dev fuse3 libnl-3-dev libnl-route-3-dev libc-ares-dev
      libcriterion-dev tcpdump socat nftables iproute2 iputils-ping dnsmasq-base curl
      python3 procps psmisc kmod ethtool
      apache2-utils wrk redis-server redis-tools nginx-light iperf3 git
      openssh-server openssh-client netcat-openbsd wget	# the real programs of tests/e2e/real_* and shim_*
      clang libclang-rt-dev)		# libFuzzer, for tests/fuzz/run.sh
BENCH_DEPS=(liblwip-dev)	# tests/bench's lwIP contender
MNT=/net
PIDFILE=$ROOT/build/slashnet.pid
DAEMON_LOG=$ROOT/build/slashnet.log
UNIT_TIMEOUT=300	# seconds, the whole Criterion binary
E2E_TIMEOUT=60		# seconds, each scenario unless it says "# e2e-timeout: N"

die() {
	echo "run.sh: $*" >&2
	exit 1
}

# Install the Debian packages that are missing (one apt-get update first):
# DEPS, and those given.
packages() {
	local p missing=()

	for p in "${DEPS[@]}" "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || die "missing packages: ${missing[*]} (run as root to install them)"
	echo "run.sh: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q || die "apt-get update failed"
	# The servers among them (nginx, redis, sshd) are for the tests, which
	# start their own in namespaces: keep Debian from starting them here.
	local policy=/usr/sbin/policy-rc.d ours=
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && ours=1
	fi
	apt-get install -y -q "${missing[@]}" </dev/null
	local rc=$?
	[ -n "$ours" ] && rm -f "$policy"
	[ "$rc" -eq 0 ] || die "apt-get install failed"
}

# The kernel's TUN and FUSE devices, loading their modules if need be.
devices() {
	[ -c /dev/net/tun ] || modprobe tun || die "no /dev/net/tun (modprobe tun failed)"
	[ -c /dev/fuse ] || modprobe fuse || die "no /dev/fuse (modprobe fuse failed)"
}

# What the build and the daemon need on this machine (and the packages
# given).
deps() {
	packages "$@"
	devices
}

# build DIR [MESON OPTIONS...]: configure once, then build.
build() {
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" || die "meson setup $dir failed"
	fi
	ninja -C "$dir" || die "build in $dir failed"
}

build_plain() {
	build build
}

build_asan() {
	build build-asan -Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fno-sanitize-recover=all
}

# ---- ./run.sh: mount /net ----

# Is $MNT a mount point?
mounted() {
	awk -v m="$MNT" '$5 == m { f = 1 } END { exit !f }' /proc/self/mountinfo
}

# The PID in the PID file, if that process is still our daemon.
our_daemon() {
	local pid

	[ -f "$PIDFILE" ] || return 1
	pid=$(cat "$PIDFILE")
	[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$ROOT/build/fs/slashnet" ] || return 1
	echo "$pid"
}

start() {
	local pid i

	[ "$(id -u)" -eq 0 ] || die "mounting $MNT needs root"
	deps
	build_plain
	mounted && die "$MNT is already mounted (./run.sh stop, or umount $MNT)"
	mkdir -p "$MNT"
	# Foreground mode in its own session, so the PID is known exactly and
	# the log goes to a file; the mount is live once $MNT/tcp shows.
	setsid build/fs/slashnet -f "$MNT" </dev/null >>"$DAEMON_LOG" 2>&1 &
	pid=$!
	echo "$pid" >"$PIDFILE"
	for ((i = 0; i < 100; i++)); do
		[ -d "$MNT/tcp" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if ! [ -d "$MNT/tcp" ]; then
		rm -f "$PIDFILE"
		tail -n 5 "$DAEMON_LOG" >&2
		die "slashnet did not mount $MNT (log: $DAEMON_LOG)"
	fi
	cat <<EOF
slashnet is serving $MNT (pid $pid, log $DAEMON_LOG).
The stack is 10.77.0.2 on TUN sn0; the host side is 10.77.0.1.

Try:
  cat $MNT/ipifc/0/status $MNT/iproute
  ping -c 3 10.77.0.2
  socat TCP-LISTEN:7777,bind=10.77.0.1,reuseaddr EXEC:date &
  exec 3<>$MNT/tcp/clone; read -r n <&3
  echo 'connect 10.77.0.1!7777' >$MNT/tcp/\$n/ctl; cat $MNT/tcp/\$n/data

See it with ./run.sh status; stop it with ./run.sh stop.
EOF
}

stop() {
	local pid i

	pid=$(our_daemon)
	if [ -n "$pid" ]; then
		kill -TERM "$pid"
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null && die "slashnet (pid $pid) did not exit"
		echo "slashnet (pid $pid) stopped"
	fi
	rm -f "$PIDFILE"
	if mounted; then
		umount "$MNT" || die "cannot unmount $MNT"
		echo "unmounted $MNT"
	fi
}

status() {
	local pid

	if ! mounted; then
		echo "$MNT is not mounted (./run.sh to mount it)"
		return 1
	fi
	pid=$(our_daemon)
	echo "$MNT is served by slashnet${pid:+ (pid $pid, log $DAEMON_LOG)}"
	findmnt -n -o SOURCE,FSTYPE,OPTIONS "$MNT"
	cat "$MNT/ipifc/0/status"
}

usage() {
	sed -n '2,/^$/s/^# \{0,1\}//p' "$0"
}

# ---- ./run.sh test ----

PASSED=0
FAILED=0

# A Criterion binary (unit, pd_test): counts from its "Synthesis" line. A test that leaked
# is reported after Criterion counted it passed, by LeakSanitizer or by the
# fixture's leak check ending the teardown (which Criterion only warns
# about): each such report turns one pass into a failure.
run_unit() {
	local bin=$1 out line tested passing leaks rc

	out=$(mktemp)
	echo "== unit: $bin"
	timeout -k 10 "$UNIT_TIMEOUT" "$bin" --jobs 2 >"$out" 2>&1
	rc=$?
	cat "$out"
	line=$(grep -a 'Synthesis: Tested:' "$out" | tail -n 1)
	leaks=$(grep -ac -e 'ERROR: LeakSanitizer' -e 'crashed during its setup or teardown' "$out")
	rm -f "$out"
	if [[ $line =~ Tested:\ ([0-9]+)\ \|\ Passing:\ ([0-9]+) ]]; then
		tested=${BASH_REMATCH[1]}
		passing=$((BASH_REMATCH[2] - leaks))
		[ "$passing" -lt 0 ] && passing=0
		PASSED=$((PASSED + passing))
		FAILED=$((FAILED + tested - passing))
		if [ "$rc" -ne 0 ] && [ "$tested" -eq "$passing" ]; then
			echo "unit: exit status $rc with every test passed: counted as one failure"
			FAILED=$((FAILED + 1))
		fi
	else
		echo "unit: no summary (exit status $rc): counted as one failure"
		FAILED=$((FAILED + 1))
	fi
}

# tally NAME OK OUTPUT: count one test, passed if OK is 0; a failure
# shows OUTPUT.
tally() {
	if [ "$2" -eq 0 ]; then
		echo "PASS $1"
		PASSED=$((PASSED + 1))
	else
		echo "FAIL $1:"
		echo "$3" | sed 's/^/    /'
		FAILED=$((FAILED + 1))
	fi
}

# run_meson DIR NAME: one meson test, counted.
run_meson() {
	local out

	out=$(meson test -C "$1" --no-rebuild --print-errorlogs "$2" 2>&1)
	tally "$2" $? "$out"
}

# DESIGN rule 1 as a build fact (core-purity), libnetcore.so's exported
# symbols (exports), and the fuzz targets'
# seed corpora replayed (fuzz-TARGET, one test each).
run_meson_tests() {
	local d

	run_meson "$1" core-purity
	run_meson "$1" exports
	for d in tests/fuzz/corpus/*/; do
		run_meson "$1" "fuzz-$(basename "$d")"
	done
}

# The bench suite is not run here (minutes, and figures rather than
# verdicts): only checked to parse.
run_bench_syntax() {
	local f out= rc=0

	for f in tests/bench/*.sh; do
		out+=$(bash -n "$f" 2>&1) || rc=1
	done
	tally bench-syntax "$rc" "$out"
}

# Each scenario in its own namespaces, one at a time, bounded in time.
run_e2e() {
	local dir=$1 t name out rc start limit

	for t in tests/e2e/*.sh; do
		[ "$(basename "$t")" = lib.sh ] && continue
		name=$(basename "$t" .sh)
		limit=$(sed -n 's/^# e2e-timeout: \([0-9][0-9]*\)$/\1/p' "$t")
		limit=${limit:-$E2E_TIMEOUT}
		out=$(mktemp)
		start=$SECONDS
		SLASHNET=$ROOT/$dir/fs/slashnet E2E_BUILD=$ROOT/$dir \
			timeout -k 5 "$limit" bash "$t" </dev/null >"$out" 2>&1
		rc=$?
		if [ "$rc" -eq 0 ]; then
			echo "PASS e2e/$name ($((SECONDS - start)) s)"
			PASSED=$((PASSED + 1))
		else
			[ "$rc" -eq 124 ] && echo "(timed out after $limit s)" >>"$out"
			echo "FAIL e2e/$name (exit $rc):"
			# what failed first: a long log is often cut short
			grep -E '^not ok|timed out' "$out" | sed 's/^/    failed: /'
			sed 's/^/    /' "$out"
			FAILED=$((FAILED + 1))
		fi
		rm -f "$out"
	done
}

run_tests() {
	local dir=build

	if [ "${1:-}" = --asan ] || [ "${SANITIZE:-0}" = 1 ]; then
		dir=build-asan
		export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0:print_stacktrace=1
		export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
		export LSAN_OPTIONS=exitcode=23
	elif [ -n "${1:-}" ]; then
		die "unknown test option '$1' (want --asan)"
	fi
	[ "$(id -u)" -eq 0 ] || die "the tests need root (namespaces, TUN, FUSE)"
	deps
	if [ "$dir" = build ]; then build_plain; else build_asan; fi
	run_meson_tests "$dir"
	run_unit "$dir/tests/unit/unit"
	run_unit "$dir/tests/packetdrill/pd_test"
	run_e2e "$dir"
	run_bench_syntax
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}

# ---- ./run.sh bench ----

# lwIP's contender is built only when liblwip-dev was there at setup:
# set the build up again if it came later.
bench() {
	[ "$(id -u)" -eq 0 ] || die "the bench needs root (namespaces, TUN, FUSE)"
	deps "${BENCH_DEPS[@]}"
	if [ -f build/build.ninja ] && ! [ -x build/tests/bench/lwipget ] &&
		pkg-config --exists lwip; then
		meson setup --reconfigure build >/dev/null || die "meson setup --reconfigure build failed"
	fi
	build_plain
	tests/bench/run.sh "$@"
}

case "${1:-}" in
"") start ;;
status) status ;;
stop) stop ;;
-h | --help | help) usage ;;
test) shift; run_tests "$@" ;;
deps) packages ;;
bench) shift; bench "$@" ;;
*) die "usage: ./run.sh [status | stop | test [--asan] | deps | bench [SCENARIO...] | --help]" ;;
esac
