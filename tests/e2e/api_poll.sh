#!/bin/bash
# The C API the event-loop way (SPEC §7): a non-blocking connect says
# EINPROGRESS, nc_poll reports POLLOUT when the handshake ends, and
# SO_ERROR tells how: connected, ECONNREFUSED, or nc_poll's own timeout
# while the SYNs go unanswered.
. "$(dirname "$0")/lib.sh"

check "the TUN sn0 is made, host side 10.77.0.1" make_tun
kernel_echo 7777
check_eq "to a listening port" connected \
	"$(timeout 20 "$NCTOOL" --no-config pollconnect 10.77.0.1 7777 5000 2>/dev/null)"
check_eq "to a closed port" ECONNREFUSED \
	"$(timeout 20 "$NCTOOL" --no-config pollconnect 10.77.0.1 9 5000 2>/dev/null)"
check "nftables drops SYNs to port 7778" nft -f - <<'NFT'
table inet e2e {
	chain in {
		type filter hook input priority 0;
		tcp dport 7778 drop
	}
}
NFT
start=$EPOCHREALTIME
check_eq "unanswered: nc_poll times out" timeout \
	"$(timeout 20 "$NCTOOL" --no-config pollconnect 10.77.0.1 7778 500 2>/dev/null)"
ms=$(((${EPOCHREALTIME/./} - ${start/./}) / 1000))
check "after about 500 ms (took $ms ms)" test "$ms" -ge 450 -a "$ms" -lt 5000
