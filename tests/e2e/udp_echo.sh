#!/bin/bash
# A UDP conversation echoes datagrams through a kernel server; local and
# remote name both ends.
. "$(dirname "$0")/lib.sh"

check "the daemon mounts $MNT" start_daemon
spawn echo kpeer udp-echo 10.77.0.1 7777 echo:
check "the kernel echo server is ready" wait_for "$E2E_DIR/echo.out" ready

clone udp
check_eq "clone: the first conversation is 0" 0 "$CONV_N"
check "connect 10.77.0.1!7777" ctl "connect 10.77.0.1!7777"
exec 4<>"$CONV/data"
for i in 1 2 3; do
	echo "datagram $i" >&4
	check_eq "datagram $i comes back" "echo:datagram $i" \
		"$(timeout 5 dd bs=65536 count=1 status=none <&4)"
done
check_eq "remote" "10.77.0.1!7777" "$(cat "$CONV/remote")"
local_addr=$(cat "$CONV/local")
check "local is 10.77.0.2 and a port (got $local_addr)" \
	grep -qx '10\.77\.0\.2![1-9][0-9]*' <<<"$local_addr"
check_eq "the kernel saw them come from local" "$local_addr" \
	"$(sed -n 's/^from //p' "$E2E_DIR/echo.out" | sort -u)"
check_eq "udp/stats: OutDatagrams" 3 "$(counter "$MNT/udp/stats" OutDatagrams)"
check_eq "udp/stats: InDatagrams" 3 "$(counter "$MNT/udp/stats" InDatagrams)"
