#!/bin/bash
# An HTTP GET in shell over /net: prints the whole response.
#
#   examples/httpget.sh HOST!PORT [PATH] [MOUNTPOINT]
set -eu
if [ $# -lt 1 ]; then
	echo "usage: $0 HOST!PORT [PATH] [MOUNTPOINT]" >&2
	exit 2
fi
net=${3:-/net}
exec 3<>"$net/tcp/clone"		# a new conversation; fd 3 is its ctl
read -r n <&3				# its number
echo "connect $1" >&3			# returns once established
printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "${2:-/}" "${1%!*}" >"$net/tcp/$n/data"
cat "$net/tcp/$n/data"			# until the server closes
