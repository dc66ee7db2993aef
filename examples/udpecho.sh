#!/bin/bash
# A UDP echo server in shell over /net, Plan 9 style: with `headers`, each
# read of data is one datagram behind a 52-byte header naming its sender,
# and writing that back unchanged sends the payload back to the sender.
#
#   examples/udpecho.sh PORT [MOUNTPOINT]
set -eu
if [ $# -lt 1 ]; then
	echo "usage: $0 PORT [MOUNTPOINT]" >&2
	exit 2
fi
net=${2:-/net}
exec 3<>"$net/udp/clone"
read -r n <&3
echo "announce *!$1" >&3
echo headers >&3
exec 4<>"$net/udp/$n/data"
while :; do
	# one datagram in, the same out; a client gone (ICMP unreachable,
	# ECONNREFUSED) ends only its exchange, not the server
	dd bs=65600 count=1 <&4 >&4 2>/dev/null || :
done
