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
#include <linux/virtio_net.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
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
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
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
	memcpy(iov + 1, pieces, sizeof iov[0] * (size_t)cnt);
	/* A full queue drops the packet, like a busy link: TCP recovers. */
	if (writev(s->tunfd, iov, 1 + cnt) != (ssize_t)(sizeof vh + len))
		s->core->ifs.oerrors++;
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
