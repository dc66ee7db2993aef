/*
 * The TUN device: IPv4 and IPv6 packets, each behind a virtio-net header
 * (IFF_VNET_HDR). The header lets the kernel hand us TCP super-packets of
 * up to 64 KiB with a partial checksum (TSO and checksum offload), so a
 * bulk transfer costs one read per 64 KiB instead of one per segment.
 * What we send is whole packets, checksums done, or TCP super-packets the
 * kernel cuts into segments (gso_size), so sending is cheap too.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/uio.h>
#include <unistd.h>

#include "driver.h"
#include "ip.h"
#include "stack.h"

static int set_offloads(int fd, int ipv6)
{
	int hdrsz = sizeof(struct virtio_net_hdr);

	if (ioctl(fd, TUNSETVNETHDRSZ, &hdrsz) < 0)
		return -1;
	return ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | (ipv6 ? TUN_F_TSO6 : 0));
}

int tun_open(const char *name, int ipv6, char *actual, int *created)
{
	struct ifreq ifr = { 0 };
	int fd, e;

	if (strlen(name) >= IFNAMSIZ) {
		errno = ENAMETOOLONG;
		return -1;
	}
	*created = if_nametoindex(name) == 0;
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR | IFF_NAPI;
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 || set_offloads(fd, ipv6) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	memcpy(actual, ifr.ifr_name, IFNAMSIZ);
	actual[IFNAMSIZ - 1] = 0;
	return fd;
}

/*
 * A packet written to the TUN goes through the kernel's stack inside
 * the write: to the far end of a download, our ACK sets off its sending
 * of the next segments, their routing and their queueing on our TUN,
 * all in the daemon's system call (a third of its time); an upload's
 * segments are routed and received by the far end there. tun_open asks
 * for NAPI (IFF_NAPI), where a write only queues the packet; with the
 * device's NAPI threaded, a kernel thread of its own takes it from
 * there, on whichever CPU is free. That thread's wake-up costs each
 * packet latency, so the loop turns it on only while the stack moves
 * bulk (loop.c). The switch is the device's sysfs file "threaded", read
 * through a sysfs instance of our own (fsopen), so that it is this
 * network namespace's device whatever /sys shows: -1 when that cannot
 * be had (no CAP_SYS_ADMIN, an old kernel), and the loop never switches.
 */
int tun_threaded_open(const char *ifname)
{
	int fs = fsopen("sysfs", FSOPEN_CLOEXEC), mnt = -1, fd = -1;
	char path[64];

	if (fs >= 0 && fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
		mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
						   MOUNT_ATTR_NOEXEC);
	snprintf(path, sizeof path, "class/net/%s/threaded", ifname);
	if (mnt >= 0)
		fd = openat(mnt, path, O_WRONLY | O_CLOEXEC);
	if (mnt >= 0)
		close(mnt);	/* the open file keeps the instance */
	if (fs >= 0)
		close(fs);
	return fd;
}

void tun_set_threaded(struct nc_stack *s, int on)
{
	if (s->napi_fd < 0 || s->threaded == on)
		return;
	if (pwrite(s->napi_fd, on ? "1" : "0", 1, 0) == 1) {
		s->threaded = on;
	} else {	/* refused: no more tries */
		close(s->napi_fd);
		s->napi_fd = -1;
	}
}

/* The bytes of the IP header before a TCP segment the core sent (its
 * TCP carries no IP options, no IPv6 extension header, and is never
 * fragmented), 0 for anything else. */
static size_t tcp_at(const uint8_t *pkt, size_t len)
{
	if (len >= IP6_HLEN + TCP_HLEN && pkt[0] >> 4 == 6)
		return pkt[6] == IP_PROTO_TCP ? IP6_HLEN : 0;
	if (len >= IP_HLEN + TCP_HLEN && pkt[0] >> 4 == 4 && (pkt[0] & 15) * 4 == IP_HLEN)
		return pkt[9] == IP_PROTO_TCP && (get16(pkt + 6) & (IP_MF | IP_OFFMASK)) == 0 ?
			       IP_HLEN : 0;
	return 0;
}

void tun_write(struct nc_stack *s, const uint8_t *pkt, size_t len, unsigned gso)
{
	struct iovec iov = { (void *)pkt, len };

	if (s->pcap)
		pcap_write(s->pcap, pkt, len);
	tun_writev(s, &iov, 1, len, gso);
}

void tun_writev(struct nc_stack *s, const struct iovec *pieces, int cnt, size_t len, unsigned gso)
{
	const uint8_t *pkt = pieces[0].iov_base;
	struct virtio_net_hdr vh = { .gso_type = VIRTIO_NET_HDR_GSO_NONE };
	size_t ip = s->csum_offload || gso ? tcp_at(pkt, pieces[0].iov_len) : 0;
	struct iovec iov[1 + TX_IOV] = { { &vh, sizeof vh } };

	/* the core left the checksum for the kernel to finish (or, the
	 * packet going on, for the far end's device not to check) */
	if (s->csum_offload && ip) {
		vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		vh.csum_start = (uint16_t)ip;
		vh.csum_offset = 16;
	}
	/* the kernel cuts it into segments of gso bytes */
	if (gso && ip) {
		vh.gso_type = ip == IP6_HLEN ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
		vh.gso_size = (uint16_t)gso;
		vh.hdr_len = (uint16_t)(ip + (pkt[ip + 12] >> 4) * 4);
	}
	s->pass_bytes += len;
	s->pass_out += len;
	if (tx_add(s, &vh, pieces, cnt, len) == 0)
		return;		/* the writer thread's (tx.c) */
	memcpy(iov + 1, pieces, sizeof iov[0] * (size_t)cnt);
	if (tun_put(s->tunfd, iov, 1 + cnt, len) < 0)
		s->core->ifs.oerrors++;
}

/* A full queue drops the packet, like a busy link: TCP recovers. */
int tun_put(int fd, const struct iovec *iov, int cnt, size_t len)
{
	return writev(fd, iov, cnt) == (ssize_t)(sizeof(struct virtio_net_hdr) + len) ? 0 : -1;
}

int tun_read(struct nc_stack *s, const struct rxroom *room, struct rxpkt *p)
{
	struct virtio_net_hdr vh;
	struct iovec iov[2 + ROOM_IOV + 1] = { { &vh, sizeof vh } };
	size_t hdr = room->n > 0 ? room->hdr : IP_MAXPACKET, in_room = 0;
	int n = 1;
	ssize_t got;

	iov[n++] = (struct iovec){ s->rxbuf, hdr };
	for (int i = 0; i < room->n; i++) {
		iov[n++] = room->iov[i];
		in_room += room->iov[i].iov_len;
	}
	if (room->n > 0)
		iov[n++] = (struct iovec){ s->rxbuf + hdr, IP_MAXPACKET - hdr };
	got = readv(s->tunfd, iov, n);
	if (got < 0)
		return -1;
	s->pass_bytes += (size_t)got;
	p->len = (size_t)got < sizeof vh ? 0 : (size_t)got - sizeof vh;
	p->hdr = hdr;
	p->placed = p->len > hdr ? p->len - hdr : 0;
	if (p->placed > in_room)
		p->placed = in_room;
	/* A partial checksum from the kernel itself needs no checking. */
	p->csum_ok = (vh.flags & (VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID)) != 0;
	return 0;
}

void tun_unplace(struct nc_stack *s, const struct rxroom *room, struct rxpkt *p)
{
	uint8_t *d = s->rxbuf + p->hdr;

	/* what did not fit the room came after it */
	memmove(d + p->placed, d, p->len - p->hdr - p->placed);
	for (int i = 0; p->placed > 0; i++) {
		size_t k = room->iov[i].iov_len < p->placed ? room->iov[i].iov_len : p->placed;
		memcpy(d, room->iov[i].iov_base, k);
		d += k;
		p->placed -= k;
	}
}
