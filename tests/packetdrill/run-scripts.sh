#!/bin/bash
# Run packetdrill's 49 core TCP scripts and print one line a script, PASS,
# or FAIL with the first error line, then the total.
#
#   tests/packetdrill/run-scripts.sh PACKETDRILL [LIBNETCORE_PD_SO]
#
# PACKETDRILL is the binary of a google/packetdrill checkout built in place
# (gtests/net/packetdrill/packetdrill); the scripts are its
# gtests/net/tcp/{blocking,close,…}. With the .so the scripts run against
# netcore; without it, against the Linux kernel.
#
# Each script runs in its own network namespace (unshare -n), for at most
# PD_TIMEOUT seconds (60). Against netcore the namespace gets a tun0 device,
# because the scripts' defaults.sh configures one; against the kernel
# packetdrill makes tun0 itself. PD_LOGS=DIR keeps each script's output
# there. Run as root.
set -u

DIRS="blocking close shutdown ts_recent validate fast_retransmit fast_recovery
      limited_transmit sack nagle mss user_timeout slow_start"
TIMEOUT=${PD_TIMEOUT:-60}

die() {
	echo "run-scripts.sh: $*" >&2
	exit 2
}

[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: run-scripts.sh PACKETDRILL [LIBNETCORE_PD_SO]"
PD=$(readlink -f "$1") || die "no $1"
[ -x "$PD" ] || die "$1 is not executable"
SO=
if [ $# -eq 2 ]; then
	SO=$(readlink -f "$2") || die "no $2"
	[ -f "$SO" ] || die "no $2"
fi
TCP=$(dirname "$PD")/../tcp
[ -d "$TCP/blocking" ] || die "no scripts at $TCP (is $1 in a packetdrill checkout?)"
[ "$(id -u)" -eq 0 ] || die "needs root (namespaces, tun)"

# The command run in the namespace, from the script's directory (its
# defaults.sh is found relative to it).
namespace_command() {
	local script=$1

	if [ -n "$SO" ]; then
		echo "ip link set lo up && ip tuntap add tun0 mode tun && ip link set tun0 up &&
		      exec '$PD' --so_filename='$SO' --local_ip=192.168.0.2 '$script'"
	else
		echo "ip link set lo up && exec '$PD' '$script'"
	fi
}

# The line that says why a script failed: packetdrill's first
# "FILE.pkt:LINE: …" line, else its last line.
first_error() {
	local out=$1 line

	line=$(grep -m 1 -E '\.pkt:[0-9]+: ' "$out")
	[ -n "$line" ] || line=$(grep -v '^sysctl: ' "$out" | tail -n 1)
	echo "$line"
}

passed=0
failed=0
for dir in $DIRS; do
	for path in "$TCP/$dir"/*.pkt; do
		name=$dir/$(basename "$path" .pkt)
		out=$(mktemp)
		(cd "$TCP/$dir" && timeout -k 5 "$TIMEOUT" unshare -n \
			bash -c "$(namespace_command "$(basename "$path")")") </dev/null >"$out" 2>&1
		rc=$?
		[ "$rc" -eq 124 ] && echo "(timed out after $TIMEOUT s)" >>"$out"
		if [ "$rc" -eq 0 ]; then
			echo "PASS $name"
			passed=$((passed + 1))
		else
			echo "FAIL $name: $(first_error "$out")"
			failed=$((failed + 1))
		fi
		if [ -n "${PD_LOGS:-}" ]; then
			mkdir -p "$PD_LOGS/$dir"
			cp "$out" "$PD_LOGS/$name.log"
		fi
		rm -f "$out"
	done
done
echo "$passed passed, $failed failed, of $((passed + failed))"
