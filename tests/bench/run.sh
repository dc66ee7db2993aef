#!/bin/bash
# The bench suite: slashnet against the Linux kernel's TCP (and lwIP),
# same runs, contenders alternated (A B C A B C …) over ROUNDS rounds.
#
#   tests/bench/run.sh [SCENARIO...]     as root, after a build (./run.sh
#                                        bench installs, builds and runs it)
#
# Scenarios (each a file here, in namespaces of its own; default: all):
#   bulk       200 MiB down and up one router hop away: kernel, /net with
#              cat and dd bs=1M, the C API, lwIP; MB/s and CPU s per GB
#   pingpong   1-byte round trips: kernel, /net, the C API; µs each
#   connrate   connect + 1 KB + close: kernel, /net, the C API, and the
#              floor (fusefloor: the same files answered from memory, the
#              FUSE round trips alone); µs each
#   memory     10 000 idle conversations: daemon bytes each
#   relay      redis-benchmark, iperf3 and ab without keep-alive through
#              a forwarder: socat on kernel sockets, examples/forward.sh
#              and examples/netforward over /net
#   loss       5% loss each way, 20 MB sent: netcore against the kernel
#              (tests/bench/loss.sh, run when present)
#   costs      not by default: the daemon's syscalls, FUSE requests,
#              context switches and CPU per connection, ping-pong and MiB
#              (strace; counts a loaded machine does not change)
#
# Prints one summary line per measure: median (min–max) of each contender
# and the ratio of its median to the kernel's; rewrites RESULTS
# (tests/bench/results.md) with the machine, the kernel, the commit and
# the tables. Environment: ROUNDS (5), QUICK=1 (small sizes, 2 rounds: to
# check it works; its figures mean nothing), SLASHNET and E2E_BUILD as for
# the e2e scenarios, and each scenario's own (SIZE_MB, PINGS, CALLS, IDLE).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
: "${E2E_BUILD:=$ROOT/build}"
: "${RESULTS:=$HERE/results.md}"
export E2E_BUILD ROUNDS QUICK="${QUICK:-0}"
ALL=(bulk pingpong connrate memory relay loss)

declare -A LIMIT=([bulk]=600 [pingpong]=180 [connrate]=180 [memory]=300 [relay]=600 [loss]=300 [costs]=600)

die() {
	echo "bench: $*" >&2
	exit 1
}

# run_scenario NAME OUT: run it, bounded in time, its output in OUT; 0 if
# it passed its own checks. loss.sh is another's: run only if there.
run_scenario() {
	local t=$HERE/$1.sh start rc

	if [ "$1" = loss ] && ! [ -x "$t" ]; then
		echo "# loss: tests/bench/loss.sh is not there: skipped" >"$2"
		return 0
	fi
	[ -f "$t" ] || die "no scenario $1"
	start=$SECONDS
	timeout -k 5 "${LIMIT[$1]:-300}" bash "$t" </dev/null >"$2" 2>&1
	rc=$?
	echo "# $1: exit $rc after $((SECONDS - start)) s" >>"$2"
	return "$rc"
}

# The RESULT lines of all runs → per measure and contender: unit, count,
# min, median, max, the median's ratio to the kernel's ("-" if none), and
# the least and the greatest ratio of one round's figure to the kernel's
# in the same round ("lo–hi"; "-" unless both ran every round).
# Measures, and contenders within each, keep the order they first came in.
digest() {
	awk '$1 == "RESULT" {
		k = $2 SUBSEP $3
		if (!($2 in nc)) mo[++nm] = $2
		if (!(k in n)) { co[$2, ++nc[$2]] = $3; unit[k] = $4 }
		v[k, ++n[k]] = $5
	}
	function median(k,   i, j, t, m) {
		m = n[k]
		for (i = 1; i <= m; i++) s[i] = v[k, i]
		for (i = 2; i <= m; i++)	# insertion sort: a few values
			for (j = i; j > 1 && s[j - 1] + 0 > s[j] + 0; j--) {
				t = s[j]; s[j] = s[j - 1]; s[j - 1] = t
			}
		lo[k] = s[1]; hi[k] = s[m]
		return m % 2 ? s[(m + 1) / 2] : (s[m / 2] + s[m / 2 + 1]) / 2
	}
	function fmt(x) { return x >= 100 ? sprintf("%.0f", x) : sprintf("%.3g", x) }
	function rounds(k, kk,   i, x, a, b) {
		if (!(kk in n) || n[k] != n[kk] || k == kk)
			return "-"
		for (i = 1; i <= n[k]; i++) {
			if (v[kk, i] + 0 <= 0)
				return "-"
			x = v[k, i] / v[kk, i]
			if (i == 1 || x < a) a = x
			if (i == 1 || x > b) b = x
		}
		return sprintf("%.2f–%.2f", a, b)
	}
	END {
		for (k in n) med[k] = median(k)
		for (i = 1; i <= nm; i++) {
			m = mo[i]; kk = m SUBSEP "kernel"
			for (j = 1; j <= nc[m]; j++) {
				k = m SUBSEP co[m, j]
				r = (kk in med) && med[kk] > 0 ? sprintf("%.2f", med[k] / med[kk]) : "-"
				print m, co[m, j], unit[k], n[k], fmt(lo[k]), fmt(med[k]), fmt(hi[k]), r, rounds(k, kk)
			}
		}
	}'
}

# One line per measure: "down (MB/s): kernel 1446 (479–1610) · cat 536 …"
summary() {
	awk '{
		if ($1 != m) { if (m != "") print line; m = $1; line = $1 " (" $3 "):"; sep = " " }
		line = line sep $2 " " $6 " (" $5 "–" $7 ")" ($8 != "-" && $2 != "kernel" ? " " $8 "×" : "")
		sep = " · "
	} END { if (m != "") print line }'
}

# What each measure is, for results.md.
describe() {
	case $1 in
	down) echo "download, $2 MiB from a kernel sender one router hop away" ;;
	up) echo "upload, $2 MiB to a kernel receiver one router hop away" ;;
	down-cpu | up-cpu) echo "${1%-cpu}: CPU seconds per GB, whole machine (/proc/stat)" ;;
	down-cpu-stack | up-cpu-stack)
		echo "${1%-cpu-stack}: CPU seconds per GB of the stack's own process (daemon, api, lwip)" ;;
	down-tun-in | up-tun-in) echo "${1%-tun-in}: packets the kernel hands the daemon's TUN per MiB (super-packets with TSO)" ;;
	down-tun-out | up-tun-out) echo "${1%-tun-out}: packets the daemon writes to its TUN per MiB" ;;
	down-retrans) echo "down: segments the far sender retransmits per MiB" ;;
	pingpong) echo "1-byte ping-pong, µs per round trip (lower is better)" ;;
	connect) echo "connect + 1 KB + close, µs per connection (lower is better)" ;;
	redis-set | redis-get) echo "redis-benchmark ${1#redis-} through a forwarder, requests/s (kernel: socat)" ;;
	iperf3) echo "iperf3 TCP through a forwarder, Mbit/s received (kernel: socat)" ;;
	ab) echo "ApacheBench without keep-alive through a forwarder, requests/s (kernel: socat)" ;;
	idle-conversation) echo "daemon memory per idle connected conversation (RSS delta / count)" ;;
	connect-costs) echo "the daemon's cost per connect + 1 KB + close (lower is better)" ;;
	pingpong-costs) echo "the daemon's cost per 1-byte round trip (lower is better)" ;;
	download-costs) echo "the daemon's cost per MiB of a cat download (lower is better)" ;;
	*) echo "$1" ;;
	esac
}

# write_results DIGEST OUTDIR: results.md from the digest and the outputs.
write_results() {
	local size m f commit

	[ "$QUICK" = 1 ] && size=${SIZE_MB:-20} || size=${SIZE_MB:-200}
	commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)
	[ -n "$(git -C "$ROOT" status --porcelain -- . ':!tests/bench/results.md' 2>/dev/null)" ] &&
		commit="$commit (with uncommitted changes)"
	{
		echo "# Bench results"
		echo
		echo "Written by \`tests/bench/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC')."
		[ "$QUICK" = 1 ] && echo && echo "**QUICK run: small sizes, few rounds — these figures mean nothing.**"
		echo
		echo "- CPU: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores"
		echo "- Kernel: Linux $(uname -r)"
		echo "- Commit: $commit"
		echo "- Load average at the start: $LOAD0"
		echo "- Rounds: ${ROUNDS:-$( [ "$QUICK" = 1 ] && echo 2 || echo 5)}, contenders alternated in each"
		echo
		echo "Each figure: median (min–max) over the rounds; ratio: the median over the"
		echo "kernel's median in the same runs (for times, above 1 is slower); its"
		echo "rounds: the least and the greatest ratio of one round to the kernel's same round."
		for m in $(awk '{ print $1 }' "$1" | uniq); do
			echo
			echo "## $m: $(describe "$m" "$size")"
			echo
			echo "| contender | median | min | max | runs | ratio to kernel | its rounds |"
			echo "|---|---|---|---|---|---|---|"
			awk -v m="$m" '$1 == m { printf "| %s | %s %s | %s | %s | %s | %s | %s |\n", $2, $6, $3, $5, $7, $4, $8, $9 }' "$1"
		done
		for f in "$2"/*.out; do
			grep -q '^RESULT' "$f" && continue
			echo
			echo "## $(basename "$f" .out): its own output"
			echo
			echo '```'
			grep -v '^ok - ' "$f"
			echo '```'
		done
		for f in "$2"/*.out; do
			grep -q '^not ok' "$f" || continue
			echo
			echo "## Failures in $(basename "$f" .out)"
			echo
			echo '```'
			grep '^not ok' "$f"
			echo '```'
		done
	} >"$RESULTS"
}

[ "$(id -u)" -eq 0 ] || die "needs root (namespaces, TUN, FUSE)"
[ -x "$E2E_BUILD/tests/bench/ncbench" ] || die "no $E2E_BUILD/tests/bench/ncbench: build first (./run.sh bench)"
[ $# -gt 0 ] && ALL=("$@")
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
out=$(mktemp -d) || exit 1
trap 'rm -rf "$out"' EXIT
failed=0
for s in "${ALL[@]}"; do
	echo "== $s"
	if ! run_scenario "$s" "$out/$s.out"; then
		failed=$((failed + 1))
		echo "bench: $s failed:"
		grep -v '^RESULT' "$out/$s.out" | sed 's/^/    /'
	fi
	tail -n 1 "$out/$s.out"
	if grep -q '^RESULT' "$out/$s.out"; then
		grep -h '^RESULT' "$out/$s.out" | digest | summary
	else	# a scenario of another form (loss.sh): its own words
		grep -v '^ok - ' "$out/$s.out" | sed 's/^/    /'
	fi
done
cat "$out"/*.out | digest >"$out/digest"
write_results "$out/digest" "$out"
echo "results: $RESULTS"
[ "$failed" -eq 0 ]
