# The library of the end-to-end scenarios; each scenario sources it first:
#
#     . "$(dirname "$0")/lib.sh"
#
# A scenario is one file checking one behaviour against the Linux kernel.
# Sourcing this file re-executes the scenario inside new network, mount and
# PID namespaces (unshare), so the TUN, the host addresses, the FUSE mount
# and every process it starts exist only there: they all vanish when the
# scenario ends, even if it is killed. It never touches the real network.
#
# Convention: each check prints "ok - WHAT" or "not ok - WHAT"; the scenario
# exits 0 when it made at least one check and none failed, 1 otherwise.
# run.sh counts one scenario as one test.
#
# Environment: SLASHNET, the daemon (default build/fs/slashnet); E2E_BUILD,
# the build directory of the C test tools (default build). ASAN_OPTIONS and
# UBSAN_OPTIONS, when set, also apply to the daemon; their reports go to
# files here and fail the scenario.

set -u
E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${SLASHNET:=$E2E_ROOT/build/fs/slashnet}"
: "${E2E_BUILD:=$E2E_ROOT/build}"
export SLASHNET E2E_BUILD

if [ -z "${E2E_INSIDE:-}" ]; then
	# Outside: make the scratch directory, run this same scenario in the
	# namespaces, remove the directory. --kill-child takes the whole PID
	# namespace down with us if we are killed (run.sh's timeout).
	E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/slashnet-e2e.XXXXXX") || exit 1
	trap 'rm -rf "$E2E_DIR"' EXIT
	trap 'exit 143' TERM INT
	E2E_INSIDE=1 E2E_DIR=$E2E_DIR unshare --net --mount --pid --fork --kill-child \
		--mount-proc --propagation private bash "$0" "$@"
	exit $?
fi

# Inside. The scratch directory becomes a tmpfs of this mount namespace,
# so nothing written in it outlives the scenario.
mount -t tmpfs -o mode=0755 e2e "$E2E_DIR" || exit 1
ip link set lo up || exit 1
MNT=$E2E_DIR/mnt
LOG=$E2E_DIR/daemon.log
mkdir "$MNT"
: >"$LOG"
if [ -n "${ASAN_OPTIONS:-}" ]; then
	export ASAN_OPTIONS="$ASAN_OPTIONS:log_path=$E2E_DIR/sanitizer"
fi
if [ -n "${UBSAN_OPTIONS:-}" ]; then
	export UBSAN_OPTIONS="$UBSAN_OPTIONS:log_path=$E2E_DIR/sanitizer"
fi

E2E_CHECKS=0
E2E_FAILS=0
E2E_PIDS=()
DAEMON_PID=

# ---- checks ----

ok() {
	E2E_CHECKS=$((E2E_CHECKS + 1))
	echo "ok - $*"
}

not_ok() {
	E2E_CHECKS=$((E2E_CHECKS + 1))
	E2E_FAILS=$((E2E_FAILS + 1))
	echo "not ok - $*"
}

# check WHAT COMMAND...: ok if the command succeeds.
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# not COMMAND...: succeeds if the command fails (for check).
not() {
	! "$@"
}

# check_eq WHAT EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (expected '$2', got '$3')"; fi
}

# check_gt WHAT A B: ok if the number A > B.
check_gt() {
	if [ "$2" -gt "$3" ] 2>/dev/null; then ok "$1"; else not_ok "$1 ($2 is not > $3)"; fi
}

# ---- the host side ----

# Is DIR a mount point in this namespace?
is_mounted() {
	awk -v m="$1" '$5 == m { found = 1 } END { exit !found }' /proc/self/mountinfo
}

not_mounted() {
	! is_mounted "$1"
}

has_link() {
	ip link show dev "$1" >/dev/null 2>&1
}

no_link() {
	! has_link "$1"
}

# The value of KEY in a file of "key value" pairs (ipifc/0/status, a TCP
# status), the first one, empty if none.
field() {
	awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }' "$1"
}

# counter FILE NAME: the value of NAME in FILE's "Name: value" lines (the
# stack's tcp/stats, udp/stats, ipifc/stats …), empty if it has none.
counter() {
	awk -F': ' -v k="$2" '$1 == k { print $2 }' "$1"
}

# snmp GROUP NAME: the kernel's counter NAME of GROUP (Ip, Icmp, Tcp, Udp)
# in /proc/net/snmp, this network namespace's.
snmp() {
	awk -v g="$1:" -v k="$2" '$1 == g {
		if (!(g in hdr)) { hdr[g] = 1; for (i = 2; i <= NF; i++) col[$i] = i }
		else if (k in col) print $col[k] }' /proc/net/snmp
}

# How many replies `ping -c COUNT ADDR` got (each reply waited at most 2 s).
ping_replies() {
	ping -n -c "$2" -i 0.2 -W 2 "$1" 2>&1 |
		sed -n 's/.* \([0-9][0-9]*\) received.*/\1/p'
}

# ---- the daemon ----

# start_daemon [OPTIONS...]: run the daemon in the foreground (-f) as a job
# of this shell, on $MNT, logging to $LOG; return once the mount is live
# (the tree's tcp directory shows), 1 if it is not within 10 s or the
# daemon died. Sets DAEMON_PID.
start_daemon() {
	local i

	"$SLASHNET" -f "$@" "$MNT" >>"$LOG" 2>&1 &
	DAEMON_PID=$!
	E2E_PIDS+=("$DAEMON_PID")
	for ((i = 0; i < 200; i++)); do
		[ -d "$MNT/tcp" ] && return 0
		kill -0 "$DAEMON_PID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# Has process PID exited (gone, or a zombie not yet reaped)?
exited() {
	local stat

	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	stat=${stat##*) }
	[ "${stat%% *}" = Z ]
}

# wait_gone PID [SECONDS]: wait, at most SECONDS (10), for any process of
# this namespace to exit; 1 if it did not.
wait_gone() {
	local i

	for ((i = 0; i < ${2:-10} * 20; i++)); do
		exited "$1" && return 0
		sleep 0.05
	done
	return 1
}

# wait_exit PID [SECONDS]: wait for a job of this shell to exit, at most
# SECONDS (10); returns its exit status, or 124 after killing it.
wait_exit() {
	if wait_gone "$1" "${2:-10}"; then
		wait "$1" 2>/dev/null
		return
	fi
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 124
}

# stop_daemon: SIGTERM, then its exit status (124 if it did not exit).
stop_daemon() {
	kill -TERM "$DAEMON_PID" 2>/dev/null
	wait_exit "$DAEMON_PID" 10
}

# The PIDs of slashnet processes in this PID namespace (all of them were
# started by this scenario): how a daemonized slashnet is found.
daemon_pids() {
	local exe p

	exe=$(readlink -f "$SLASHNET")
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/exe" 2>/dev/null)" = "$exe" ] && echo "${p#/proc/}"
	done
}

# wait_in_read PID [SECONDS]: wait, at most SECONDS (10), until process PID
# sleeps in the read system call (number 0 on x86-64, first in
# /proc/PID/syscall); 1 if it does not.
wait_in_read() {
	local i sc

	for ((i = 0; i < ${2:-10} * 20; i++)); do
		sc=
		read -r sc _ 2>/dev/null <"/proc/$1/syscall"
		[ "$sc" = 0 ] && return 0
		sleep 0.05
	done
	return 1
}

# ---- peers, tools, conversations ----

# make_tun: create the TUN sn0 beforehand, host side 10.77.0.1/24 and up,
# for a stack that attaches to it with --no-config (nctool): kernel
# servers can then bind 10.77.0.1 before the stack starts.
make_tun() {
	ip tuntap add dev sn0 mode tun &&
		ip addr add 10.77.0.1/24 dev sn0 &&
		ip link set sn0 up
}

# wait_listen PORT [SECONDS]: wait, at most SECONDS (10), until a kernel
# TCP socket listens on PORT; 1 if none does.
wait_listen() {
	local i

	for ((i = 0; i < ${2:-10} * 20; i++)); do
		[ -n "$(ss -Htln "sport = :$1")" ] && return 0
		sleep 0.05
	done
	return 1
}

export FDTOOL=$E2E_BUILD/tests/e2e/fdtool
export NCTOOL=$E2E_BUILD/tests/e2e/nctool
export UDPRELAY=$E2E_BUILD/tests/e2e/udprelay

# kpeer ARGS...: the kernel's side of a conversation (tests/e2e/kpeer.py).
kpeer() {
	python3 "$E2E_ROOT/tests/e2e/kpeer.py" "$@"
}

# spawn NAME COMMAND...: run COMMAND as a job of this shell, its output in
# $E2E_DIR/NAME.out; it is stopped at the end. Sets SPAWN_PID.
spawn() {
	local name=$1
	shift
	"$@" >"$E2E_DIR/$name.out" 2>&1 &
	SPAWN_PID=$!
	E2E_PIDS+=("$SPAWN_PID")
}

# eventually CMD...: wait, at most 10 s, until CMD succeeds (polled every
# 50 ms: for a state another process reaches that gives no event).
eventually() {
	local i

	for ((i = 0; i < 200; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

# wait_for FILE PATTERN [SECONDS]: wait, at most SECONDS (10), until a line
# of FILE matches the grep PATTERN; 1 if none did.
wait_for() {
	local i

	for ((i = 0; i < ${3:-10} * 20; i++)); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# clone PROTO: open $MNT/PROTO/clone on a new descriptor of this shell.
# Sets CONV_FD (that descriptor, the conversation's ctl), CONV_N (its
# number) and CONV (its directory).
# shellcheck disable=SC2034
clone() {
	exec {CONV_FD}<>"$MNT/$1/clone" || return 1
	read -r CONV_N <&"$CONV_FD" || return 1
	CONV=$MNT/$1/$CONV_N
}

# ctl COMMAND...: one write of COMMAND to the ctl of the last clone.
ctl() {
	echo "$*" >&"$CONV_FD"
}

# new_netns: a sleeping process of its own network namespace (it goes
# with the scenario's PID namespace). Sets NS_PID.
new_netns() {
	local i

	unshare -n sleep 100000 &
	NS_PID=$!
	E2E_PIDS+=("$NS_PID")
	for ((i = 0; i < 200; i++)); do
		[ "$(readlink "/proc/$NS_PID/ns/net")" != "$(readlink /proc/self/ns/net)" ] && return 0
		sleep 0.05
	done
	return 1
}

# in_ns PID COMMAND...: COMMAND in the network namespace of PID.
in_ns() {
	local pid=$1
	shift
	nsenter -t "$pid" -n -- "$@"
}

# kernel_echo PORT: the kernel's tcp-echo (kpeer.py) on 10.77.0.1:PORT,
# ready; it reports in $E2E_DIR/echo.out.
kernel_echo() {
	spawn echo kpeer tcp-echo 10.77.0.1 "$1"
	check "the kernel echo server is ready" wait_for "$E2E_DIR/echo.out" ready
}

# kernel_sink PORT: the kernel's tcp-sink (kpeer.py) on 10.77.0.1:PORT,
# ready; it reports in $E2E_DIR/sink.out.
kernel_sink() {
	spawn sink kpeer tcp-sink 10.77.0.1 "$1"
	check "the kernel sink is ready" wait_for "$E2E_DIR/sink.out" ready
}

# kernel_nginx PORT: nginx on 10.77.0.1:PORT in the foreground, serving
# $E2E_DIR/www (index.html: 1 KiB, big: 4 MiB), everything it writes in
# $E2E_DIR; ready when it answers.
kernel_nginx() {
	nginx_conf "10.77.0.1:$1"
	spawn nginx nginx -c "$E2E_DIR/nginx.conf" -e "$E2E_DIR/nginx/error.log"
	check "nginx listens on 10.77.0.1:$1" wait_listen "$1"
}

# nginx_conf LISTEN: $E2E_DIR/nginx.conf, one worker serving
# $E2E_DIR/www (index.html, 1 KiB; big, 4 MiB) on LISTEN (nginx's
# listen: ADDR:PORT, or PORT for every address).
nginx_conf() {
	mkdir -p "$E2E_DIR/www" "$E2E_DIR/nginx"
	head -c 1024 /dev/zero | tr '\0' x >"$E2E_DIR/www/index.html"
	head -c 4194304 /dev/urandom >"$E2E_DIR/www/big"
	cat >"$E2E_DIR/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $E2E_DIR/nginx/pid;
error_log $E2E_DIR/nginx/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $E2E_DIR/nginx;
	proxy_temp_path $E2E_DIR/nginx;
	fastcgi_temp_path $E2E_DIR/nginx;
	uwsgi_temp_path $E2E_DIR/nginx;
	scgi_temp_path $E2E_DIR/nginx;
	server { listen $1; root $E2E_DIR/www; }
}
CONF
}

# stack_listens PORT: does a conversation of the stack listen on PORT?
stack_listens() {
	local d st

	for d in "$MNT"/tcp/[0-9]*; do
		read -r st _ 2>/dev/null <"$d/status" || continue
		[ "$st" = Listen ] && grep -q "!$1\$" "$d/local" && return 0
	done
	return 1
}

# wait_stack_listens PORT [SECONDS]: wait, at most SECONDS (10), for it.
wait_stack_listens() {
	local i

	for ((i = 0; i < ${2:-10} * 20; i++)); do
		stack_listens "$1" && return 0
		sleep 0.05
	done
	return 1
}

# forwarder PORT DEST: examples/forward.sh on the stack, relaying calls to
# PORT on to DEST; ready when the stack listens on PORT. Sets FORWARD_PID.
forwarder() {
	spawn forward bash "$E2E_ROOT/examples/forward.sh" "$1" "$2" "$MNT"
	FORWARD_PID=$SPAWN_PID
	check "forward.sh listens on $1" wait_stack_listens "$1"
}

# netforwarder PORT DEST: the same with examples/netforward (C).
netforwarder() {
	spawn netforward "$E2E_BUILD/examples/netforward" "$1" "$2" "$MNT"
	check "netforward listens on $1" wait_stack_listens "$1"
}

# shell_connect ADDR: what a pure shell client does first: fd 3 becomes
# the ctl of a new TCP conversation, $n its number, connected to ADDR.
shell_connect() {
	exec 3<>"$MNT/tcp/clone" && read -r n <&3 || { not_ok "clone tcp"; return 1; }
	echo "connect $1" >&3
	check_eq "connect $1: exit status" 0 "$?"
}

# drop_each_way PERCENT: nftables drops that share of the packets going
# in and out through sn0, at random (numgen), counting them.
drop_each_way() {
	check "nftables drops $1% of the packets each way" nft -f - <<NFT
table inet e2e {
	chain in {
		type filter hook input priority 0;
		iifname "sn0" numgen random mod 100 < $1 counter drop
	}
	chain out {
		type filter hook output priority 0;
		oifname "sn0" numgen random mod 100 < $1 counter drop
	}
}
NFT
}

# User + system clock ticks of process PID, all its threads.
proc_ticks() {
	local s

	s=$(cat "/proc/$1/stat") || return 1
	s=${s##*) }
	set -- $s
	echo $((${12} + ${13}))
}

# ---- the end ----

# Stop what we started, unmount, report sanitizer findings and the log if
# something failed, and set the exit status.
e2e_finish() {
	local rc=$? pid f

	for pid in "${E2E_PIDS[@]}"; do
		kill -0 "$pid" 2>/dev/null || continue
		kill -TERM "$pid" 2>/dev/null
		wait_exit "$pid" 5 >/dev/null 2>&1
	done
	if is_mounted "$MNT"; then
		umount -l "$MNT"
	fi
	for f in "$E2E_DIR"/sanitizer*; do
		[ -e "$f" ] || continue
		not_ok "sanitizer report $(basename "$f")"
		cat "$f"
	done
	if [ "$rc" -ne 0 ]; then
		not_ok "the scenario itself exited with status $rc"
	fi
	if [ "$E2E_CHECKS" -eq 0 ]; then
		not_ok "the scenario made no check"
	fi
	if [ "$E2E_FAILS" -gt 0 ] && [ -s "$LOG" ]; then
		echo "--- daemon log:"
		cat "$LOG"
	fi
	[ "$E2E_FAILS" -eq 0 ]
	exit $?
}
trap e2e_finish EXIT
