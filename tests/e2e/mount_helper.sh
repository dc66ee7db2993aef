#!/bin/bash
# slashnet mounts as FUSE file systems do (issue 15, acceptance 2): mount(8)
# with -t fuse.slashnet runs mount.fuse3, which finds `slashnet` on the
# standard PATH and passes the stack's settings as -o options; the same
# from an fstab line; findmnt lists it; umount ends the daemon and its TUN.
. "$(dirname "$0")/lib.sh"

# mount(8) runs helpers with the standard PATH: put the daemon under test
# first in it, in this mount namespace only.
mkdir "$E2E_DIR/sbin"
ln -s "$SLASHNET" "$E2E_DIR/sbin/slashnet"
mount --bind "$E2E_DIR/sbin" /usr/local/sbin

# wait_no_link DEV: at most 10 s for DEV to go.
wait_no_link() {
	local i
	for ((i = 0; i < 200; i++)); do
		no_link "$1" && return 0
		sleep 0.05
	done
	return 1
}

opts=tun=snx,addr=10.77.5.2/24,gw=10.77.5.1
check "mount -t fuse.slashnet slashnet MNT -o $opts" \
	mount -t fuse.slashnet slashnet "$MNT" -o "$opts"
check_eq "findmnt -t fuse.slashnet lists it, source slashnet" "$MNT slashnet" \
	"$(findmnt -n -t fuse.slashnet -o TARGET,SOURCE | tr -s ' ')"
# its first address line (ip(3)): address, then the mask as /96+prefix
check_eq "the stack has the -o address" "10.77.5.2 /120" \
	"$(awk '/^\t/ { print $1, $2; exit }' "$MNT/ipifc/0/status")"
check_eq "the stack answers a ping through snx" 1 "$(ping_replies 10.77.5.2 1)"
pid=$(daemon_pids)
check "one daemon runs" test -n "$pid"
check "umount MNT" umount "$MNT"
check "umount: the TUN is gone" wait_no_link snx
check "umount: the daemon exits" wait_gone "${pid:-0}"

# fstab, with a FUSE option beside the daemon's own
echo "slashnet $MNT fuse.slashnet $opts,mtu=1400,allow_other 0 0" >"$E2E_DIR/fstab"
mount --bind "$E2E_DIR/fstab" /etc/fstab
check "mount MNT, from an fstab line" mount "$MNT"
check "findmnt -t fuse.slashnet lists it" findmnt -t fuse.slashnet "$MNT"
check "fstab: allow_other went to FUSE" grep -q allow_other <<<"$(findmnt -n -o OPTIONS "$MNT")"
check_eq "fstab: mtu=1400 went to the stack" 1400 "$(field "$MNT/ipifc/0/status" maxtu)"
check "umount MNT" umount "$MNT"
check "umount: the TUN is gone" wait_no_link snx
umount /etc/fstab
