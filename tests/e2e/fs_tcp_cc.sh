#!/bin/bash
# ctl `cc cubic|newreno|bbr` chooses a conversation's congestion control,
# before connecting or on a live connection; `status` ends with `cc
# NAME` (CUBIC by default, the daemon's --cc otherwise); a name the stack
# does not know is EINVAL and changes nothing. Data moves with each.
. "$(dirname "$0")/lib.sh"

# The value of KEY in the status line of the last clone.
status_of() {
	awk -v k="$1" '{ for (i = 2; i < NF; i += 2) if ($i == k) print $(i + 1) }' "$CONV/status"
}

check "the daemon mounts $MNT" start_daemon
kernel_sink 9000
head -c $((1 << 20)) /dev/urandom >"$E2E_DIR/mb"

clone tcp
check_eq "a new conversation: cc cubic" cubic "$(status_of cc)"
check "cc newreno" ctl "cc newreno"
check_eq "status: cc newreno" newreno "$(status_of cc)"
check "cc reno (Linux's name) too" ctl "cc reno"
check_eq "status: cc newreno" newreno "$(status_of cc)"
check "cc vegas (unknown) is refused" eval '! ctl "cc vegas" 2>/dev/null'
check "so is cc without a name" eval '! ctl "cc" 2>/dev/null'
check "so is cc with two" eval '! ctl "cc cubic newreno" 2>/dev/null'
check_eq "err says which command" "cc cubic newreno: Invalid argument" "$(cat "$CONV/err")"
check_eq "still newreno" newreno "$(status_of cc)"
check_eq "the state is still the first word" Closed "$(cut -d' ' -f1 "$CONV/status")"

check "connect" ctl 'connect 10.77.0.1!9000'
check "the peer accepted" wait_for "$E2E_DIR/sink.out" accepted 5
check "1 MB with newreno" timeout 20 dd if="$E2E_DIR/mb" of="$CONV/data" bs=64k status=none
check "cc cubic on the live connection" ctl "cc cubic"
check_eq "status: cc cubic" cubic "$(status_of cc)"
check "1 MB more with cubic" timeout 20 dd if="$E2E_DIR/mb" of="$CONV/data" bs=64k status=none
check "cc bbr on the live connection" ctl "cc bbr"
check_eq "status: cc bbr" bbr "$(status_of cc)"
check "1 MB more with bbr (paced)" timeout 20 dd if="$E2E_DIR/mb" of="$CONV/data" bs=64k status=none
check "shutdown wr" ctl "shutdown wr"
check "the peer read to the end" wait_for "$E2E_DIR/sink.out" "eof $((3 << 20))" 10
stop_daemon

mkdir -p "$E2E_DIR/m2"
check "the daemon refuses --cc vegas" eval "! timeout 10 '$SLASHNET' -f --tun sn9 --cc vegas '$E2E_DIR/m2' 2>'$E2E_DIR/cc.err'"
check "and says why" grep -q "unknown congestion control 'vegas'" "$E2E_DIR/cc.err"
check "--cc bbr: new conversations start with it" start_daemon --cc bbr
clone tcp
check_eq "status: cc bbr" bbr "$(status_of cc)"
