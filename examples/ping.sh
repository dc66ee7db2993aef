#!/bin/bash
# ping over /net/icmp (or /net/icmpv6 for an IPv6 address), in shell:
# each write of data sends an echo request carrying the payload, each read
# returns the matching reply's payload.
#
#   examples/ping.sh [-c COUNT] [-i SECONDS] [-W SECONDS] [-m MOUNTPOINT] HOST
#
# COUNT requests (default 4), SECONDS apart (1), each reply waited for at
# most -W seconds (2). Exit status 0 if any reply came back, 1 if none,
# 2 on a usage or /net error.
set -u

count=4 interval=1 wait=2 net=/net
usage() {
	echo "usage: ping.sh [-c COUNT] [-i SECONDS] [-W SECONDS] [-m MOUNTPOINT] HOST" >&2
	exit 2
}
while getopts c:i:W:m: opt; do
	case $opt in
	c) count=$OPTARG ;;
	i) interval=$OPTARG ;;
	W) wait=$OPTARG ;;
	m) net=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
host=$1

# Microseconds since the epoch, from bash's clock.
now() {
	local t=$EPOCHREALTIME
	echo $((${t/[.,]/}))
}

# A microsecond count as milliseconds with three decimals.
ms() {
	printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000))
}

# An IPv6 literal (it has a colon) is pinged over ICMPv6.
proto=icmp
case $host in *:*) proto=icmpv6 ;; esac
exec 3<>"$net/$proto/clone" || exit 2
read -r n <&3 || exit 2
echo "connect $host" >&3 || { echo "ping.sh: cannot reach $host: $(cat "$net/$proto/$n/err")" >&2; exit 2; }
exec 4<>"$net/$proto/$n/data" || exit 2

echo "PING $host through $net/$proto/$n"
sent=0 received=0 min='' max=0 sum=0
for ((seq = 1; seq <= count; seq++)); do
	[ "$seq" -gt 1 ] && sleep "$interval"
	payload=$(printf 'slashnet ping %-42s' "$seq")	# 56 bytes
	t0=$(now)
	printf '%s' "$payload" >&4 || { echo "seq=$seq: send failed" >&2; continue; }
	sent=$((sent + 1))
	reply=$(timeout "$wait" dd bs=65536 count=1 status=none <&4)
	t1=$(now)
	if [ "$reply" != "$payload" ]; then
		echo "no reply for seq=$seq"
		continue
	fi
	rtt=$((t1 - t0))
	received=$((received + 1))
	sum=$((sum + rtt))
	[ -z "$min" ] || [ "$rtt" -lt "$min" ] && min=$rtt
	[ "$rtt" -gt "$max" ] && max=$rtt
	echo "${#reply} bytes from $host: seq=$seq time=$(ms "$rtt") ms"
done

echo "--- $host ping statistics ---"
echo "$sent packets transmitted, $received received, $(((sent - received) * 100 / (sent ? sent : 1)))% packet loss"
if [ "$received" -gt 0 ]; then
	echo "rtt min/avg/max = $(ms "$min")/$(ms $((sum / received)))/$(ms "$max") ms"
	exit 0
fi
exit 1
