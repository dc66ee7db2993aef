#!/bin/bash
# A TCP port forwarder in shell over /net: each connection to PORT is
# relayed to HOST!HPORT, both ways. An end that closes is passed on as a
# half-close (shutdown wr), so request/response protocols work; an end
# that fails (a reset) hangs up the other, so nothing is left behind.
#
#   examples/forward.sh PORT HOST!HPORT [MOUNTPOINT]
set -u
if [ $# -lt 2 ]; then
	echo "usage: $0 PORT HOST!HPORT [MOUNTPOINT]" >&2
	exit 2
fi
net=${3:-/net}

# copy FROM TO FD: FROM's bytes to TO; then half-close TO through its
# ctl on descriptor FD at FROM's end, or hang TO up if either side failed.
copy() {
	if cat "$net/tcp/$1/data" >"$net/tcp/$2/data"; then
		echo "shutdown wr" >&"$3"
	else
		echo hangup >&"$3"
	fi 2>/dev/null
}

relay() {	# relay IN HOST!HPORT: one connection; fd 4 holds it
	local out

	exec 3<&- 4>"$net/tcp/$1/ctl" 5<>"$net/tcp/clone" || return
	read -r out <&5
	if ! echo "connect $2" >&5; then
		echo hangup >&4
		return
	fi
	copy "$1" "$out" 5 &
	copy "$out" "$1" 4
	wait
}

exec 3<>"$net/tcp/clone" || exit 1
read -r n <&3
echo "announce *!$1" >&3 || exit 1
while exec 4<"$net/tcp/$n/listen"; do
	read -r c <&4
	relay "$c" "$2" &
	exec 4<&-
done
