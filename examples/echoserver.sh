#!/bin/bash
# A TCP echo server in shell over /net: every connection to PORT gets its
# own bytes back, many at once.
#
#   examples/echoserver.sh PORT [MOUNTPOINT]
set -eu
if [ $# -lt 1 ]; then
	echo "usage: $0 PORT [MOUNTPOINT]" >&2
	exit 2
fi
net=${2:-/net}
exec 3<>"$net/tcp/clone"
read -r n <&3
echo "announce *!$1" >&3
while exec 4<"$net/tcp/$n/listen"; do	# blocks until a call is established
	read -r c <&4			# fd 4 is the new conversation's ctl
	# The job echoes (dd: cat refuses a file that is its input and its
	# output) and keeps fd 4 open; ours goes. The last close hangs up.
	dd if="$net/tcp/$c/data" of="$net/tcp/$c/data" bs=64k 2>/dev/null &
	exec 4<&-
done
