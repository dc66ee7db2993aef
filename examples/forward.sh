#!/bin/bash
# A TCP port forwarder in shell over /net: each connection to PORT is
# relayed to HOST!HPORT, both ways; an end that closes is passed on as a
# half-close (shutdown wr), so request/response protocols work.
#
#   examples/forward.sh PORT HOST!HPORT [MOUNTPOINT]
set -eu
net=${3:-/net}

relay() {	# relay IN: one connection
	local out
	exec 5<>"$net/tcp/clone"
	read -r out <&5
	echo "connect $2" >&5 || return 1
	{ cat "$net/tcp/$1/data" >"$net/tcp/$out/data"; echo "shutdown wr" >&5; } &
	cat "$net/tcp/$out/data" >"$net/tcp/$1/data"
	echo "shutdown wr" >"$net/tcp/$1/ctl"
	wait
}

exec 3<>"$net/tcp/clone"
read -r n <&3
echo "announce *!$1" >&3
while exec 4<"$net/tcp/$n/listen"; do
	read -r c <&4
	relay "$c" "$2" &
	exec 4<&-
done
