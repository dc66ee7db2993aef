#!/bin/bash
# SPEC §1: a persistent TUN owned by a user lets the daemon run without
# privileges (--no-config: root set the host side up once). The daemon,
# as uid 65534, attaches to the TUN, mounts, answers ping, and on SIGTERM
# leaves the TUN it did not create in place.
. "$(dirname "$0")/lib.sh"

# Device nodes anyone may open, as on a desktop (this sandbox's are
# root-only), bound over /dev in this scenario's mount namespace only.
open_devices() {
	mkdir "$E2E_DIR/dev" &&
		mknod -m 666 "$E2E_DIR/dev/tun" c 10 200 && mknod -m 666 "$E2E_DIR/dev/fuse" c 10 229 &&
		mount --bind "$E2E_DIR/dev/tun" /dev/net/tun && mount --bind "$E2E_DIR/dev/fuse" /dev/fuse
}

check "devices anyone may open" open_devices
check "a persistent TUN sn1 owned by 65534" ip tuntap add dev sn1 mode tun user 65534
check "its host side 10.77.0.1/24, up" ip addr add 10.77.0.1/24 dev sn1
ip link set sn1 up
chown 65534:65534 "$MNT"
setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$SLASHNET" -f --tun sn1 --no-config "$MNT" >>"$LOG" 2>&1 &
DAEMON_PID=$!
E2E_PIDS+=("$DAEMON_PID")
up=
for ((i = 0; i < 200; i++)); do
	setpriv --reuid=65534 --regid=65534 --clear-groups test -d "$MNT/tcp" && up=1 && break
	kill -0 "$DAEMON_PID" 2>/dev/null || break
	sleep 0.05
done
check "the daemon, as uid 65534, mounts $MNT" test -n "$up"
check_eq "its uid" 65534 "$(awk '$1 == "Uid:" { print $2 }' "/proc/$DAEMON_PID/status")"
check_eq "ping -c 3 10.77.0.2: replies" 3 "$(ping_replies 10.77.0.2 3)"
stop_daemon
check_eq "SIGTERM: exit status" 0 "$?"
check "sn1, not its own, is still there" has_link sn1
