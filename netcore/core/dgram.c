/* The receive side of datagram sockets, shared by udp.c and ping.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "dgram.h"
#include "ip.h"
#include "sock.h"
#include "stack.h"

/* A record in a receive queue: the sender's address (16 bytes, IPv4
 * mapped), its port, the payload's length, then the payload. */
enum { DGRAM_PORT = 16, DGRAM_LEN = 18, DGRAM_HLEN = 20 };

int dgram_put(struct stack *st, struct bufq *q, uint32_t limit, const struct in6_addr *addr,
	      uint16_t port, const void *data, size_t len)
{
	size_t end = q->len;
	uint8_t h[DGRAM_HLEN];

	if (q->len > 0 && q->len + DGRAM_HLEN + len > limit)
		return -ENOBUFS;
	memcpy(h, addr, 16);
	put16(h + DGRAM_PORT, port);
	put16(h + DGRAM_LEN, (uint16_t)len);
	/* Written past the end, then joined: a datagram is queued whole or
	 * not at all, even when memory runs out half way. */
	if (bufq_write_at(st, q, end, h, DGRAM_HLEN) != DGRAM_HLEN ||
	    bufq_write_at(st, q, end + DGRAM_HLEN, data, len) != len)
		return -ENOBUFS;
	bufq_extend(q, DGRAM_HLEN + len);
	return 0;
}

ssize_t dgram_get(struct stack *st, struct bufq *q, void *buf, size_t len, int flags,
		  struct sockaddr_in6 *from)
{
	uint8_t h[DGRAM_HLEN];
	size_t dlen;

	if (q->len == 0)
		return -EAGAIN;
	bufq_copyout(q, 0, h, DGRAM_HLEN);
	dlen = get16(h + DGRAM_LEN);
	if (len > dlen)
		len = dlen;
	if (len > 0)
		bufq_copyout(q, DGRAM_HLEN, buf, len);
	if (from != NULL) {
		*from = (struct sockaddr_in6){ .sin6_family = AF_INET6,
					       .sin6_port = htons(get16(h + DGRAM_PORT)) };
		memcpy(&from->sin6_addr, h, 16);
	}
	if (!(flags & MSG_PEEK))
		bufq_drop(st, q, DGRAM_HLEN + dlen);
	if (q->len == 0)	/* an idle socket holds no chunk */
		bufq_clear(st, q);
	return (flags & MSG_TRUNC) ? (ssize_t)dlen : (ssize_t)len;
}

ssize_t dgram_recv(struct stack *st, struct sock *so, struct dgram *d, void *buf, size_t len,
		   int flags, struct sockaddr_in6 *from)
{
	int err = sock_take_error(so);
	ssize_t n;

	if (err)
		return -err;
	n = dgram_get(st, &d->rcvq, buf, len, flags, from);
	if (n == -EAGAIN && (d->shut & DG_SHUT_RCV))
		return 0;
	return n;
}

size_t dgram_nread(struct dgram *d)
{
	uint8_t h[DGRAM_HLEN];
	size_t off = 0, n = 0;

	while (off < d->rcvq.len) {
		bufq_copyout(&d->rcvq, off, h, DGRAM_HLEN);
		n += get16(h + DGRAM_LEN);
		off += DGRAM_HLEN + get16(h + DGRAM_LEN);
	}
	return n;
}

void dgram_shutdown(struct stack *st, struct sock *so, struct dgram *d, int how)
{
	if (how == SHUT_RD || how == SHUT_RDWR)
		d->shut |= DG_SHUT_RCV;
	if (how == SHUT_WR || how == SHUT_RDWR)
		d->shut |= DG_SHUT_SND;
	sock_event(st, so);
}

short dgram_poll(const struct sock *so, const struct dgram *d)
{
	short m = POLLOUT;

	if (so->error)
		m |= POLLERR;
	if (d->rcvq.len > 0)
		m |= POLLIN;
	if (d->shut & DG_SHUT_RCV)
		m |= POLLIN | POLLRDHUP;
	if (d->shut == (DG_SHUT_RCV | DG_SHUT_SND))
		m |= POLLHUP;
	return m;
}
