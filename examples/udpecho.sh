#!/bin/bash
# A UDP echo server in shell over /net, Plan 9 style: with `headers`, each
# read of data is one datagram behind a 52-byte header naming its sender,
# and writing that back unchanged sends the payload back to the sender.
#
#   examples/udpecho.sh PORT [MOUNTPOINT]
set -eu
net=${2:-/net}
exec 3<>"$net/udp/clone"
read -r n <&3
echo "announce *!$1" >&3
echo headers >&3
exec 4<>"$net/udp/$n/data"
while :; do
	dd bs=65600 count=1 <&4 >&4 2>/dev/null	# one datagram in, the same out
done
