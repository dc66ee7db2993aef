#!/bin/bash
# Non-blocking and interrupted connects through ctl (SPEC §3):
# EINPROGRESS, then data polls writable and err stays empty, or err tells
# the outcome; EALREADY while in progress; a signal gives EINTR, the
# attempt goes on (EALREADY), and once it is established EISCONN.
. "$(dirname "$0")/lib.sh"

# state: the first word of the conversation's status.
state() {
	cut -d' ' -f1 "$CONV/status"
}

# wait_state STATE: at most 5 s.
wait_state() {
	local i

	for ((i = 0; i < 100; i++)); do
		[ "$(state)" = "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

check "the daemon mounts $MNT" start_daemon
kernel_echo 7777
check "nftables drops TCP to port 7777 from ports 40000-40001" nft -f - <<'NFT'
table inet e2e {
	chain in {
		type filter hook input priority 0;
		tcp sport 40000-40001 tcp dport 7777 drop
	}
}
NFT

# Success: EINPROGRESS, then data polls writable.
clone tcp
check_eq "O_NONBLOCK connect" EINPROGRESS "$("$FDTOOL" -n -w "$CONV/ctl" 'write:connect 10.77.0.1!7777')"
check_eq "data polls writable" "poll POLLOUT" "$(timeout 10 "$FDTOOL" "$CONV/data" poll:out:5000)"
check_eq "status: Established" Established "$(state)"
check_eq "err: empty" "" "$(cat "$CONV/err")"

# Failure: EINPROGRESS, then err tells the outcome.
clone tcp
check_eq "O_NONBLOCK connect to a closed port" EINPROGRESS \
	"$("$FDTOOL" -n -w "$CONV/ctl" 'write:connect 10.77.0.1!9')"
check "then status: Closed" wait_state Closed
check_eq "err: the outcome, in words" "connect: 10.77.0.1!9 refused the connection: Connection refused" \
	"$(cat "$CONV/err")"

# EALREADY while the SYNs are dropped.
clone tcp
check "bind *!40000" ctl "bind *!40000"
check_eq "O_NONBLOCK connect, then again" $'EINPROGRESS\nEALREADY' \
	"$("$FDTOOL" -n -w "$CONV/ctl" 'write:connect 10.77.0.1!7777' 'write:connect 10.77.0.1!7777')"
check_eq "err after EALREADY" "connect 10.77.0.1!7777: Operation already in progress" \
	"$(cat "$CONV/err")"
check_eq "status: Syn_sent" Syn_sent "$(state)"
check_eq "connect ADDR LPORT while in progress" EALREADY \
	"$("$FDTOOL" -n -w "$CONV/ctl" 'write:connect 10.77.0.1!7777 40000')"
echo hangup >&"$CONV_FD"

# EINTR: a blocking connect interrupted by a signal; it goes on.
clone tcp
check "bind *!40001" ctl "bind *!40001"
check_eq "SIGALRM during a blocking connect" $'alarm\nEINTR' \
	"$(timeout 10 "$FDTOOL" -w "$CONV/ctl" alarm:300 'write:connect 10.77.0.1!7777')"
check_eq "err after EINTR" "connect 10.77.0.1!7777: Interrupted system call" "$(cat "$CONV/err")"
check_eq "connect again while it goes on" EALREADY \
	"$(timeout 10 "$FDTOOL" -w "$CONV/ctl" 'write:connect 10.77.0.1!7777')"
check_eq "status: Syn_sent" Syn_sent "$(state)"
check "the SYNs pass again" nft flush chain inet e2e in
check "the retransmitted SYN connects" wait_state Established
check_eq "connect once more" EISCONN \
	"$("$FDTOOL" -w "$CONV/ctl" 'write:connect 10.77.0.1!7777')"
