#!/bin/bash
# connect() with a 2 s timeout while nftables drops the SYNs: ETIMEDOUT,
# after about 2 s.
. "$(dirname "$0")/lib.sh"

check "nftables drops TCP to port 9" nft -f - <<'NFT'
table inet e2e {
	chain in {
		type filter hook input priority 0;
		tcp dport 9 counter drop
	}
}
NFT
start=$EPOCHREALTIME
out=$(timeout 20 "$NCTOOL" connect 10.77.0.1 9 2000 2>/dev/null)
check_eq "nctool connect: exit status" 2 "$?"
ms=$(((${EPOCHREALTIME/./} - ${start/./}) / 1000))
check_eq "connect 10.77.0.1:9 with a 2000 ms timeout" ETIMEDOUT "$out"
check "it took 2 s (got $ms ms)" test "$ms" -ge 1900 -a "$ms" -lt 4000
drops=$(nft list chain inet e2e in | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
check_gt "the SYN was sent again (dropped $drops)" "$drops" 1

# With nothing coming back at all (the host drops what it would forward),
# only the stack's own timer can end the connect: a blocking connect must
# hand its SYN timer to the loop before it waits (it once did not, and
# hung for good whenever no packet happened to wake the loop).
for i in 1 2 3 4; do
	start=$EPOCHREALTIME
	out=$(timeout 10 "$NCTOOL" connect 10.78.1.5 80 1000 2>/dev/null)
	ms=$(((${EPOCHREALTIME/./} - ${start/./}) / 1000))
	check_eq "silent path, try $i: ETIMEDOUT after 1 s (took $ms ms)" ETIMEDOUT "$out"
done
