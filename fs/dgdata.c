/*
 * data of udp and icmp conversations (SPEC.md §5, §6): one datagram a
 * read or write. With `headers` each carries Plan 9's 52-byte header:
 * remote, local and interface address (16 bytes each, IPv4 as
 * ::ffff:a.b.c.d), remote port, local port (big-endian), then the payload.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "addr.h"
#include "dgdata.h"

enum { HDRLEN = 52, MAXDGRAM = 65536 };

static unsigned char rbuf[HDRLEN + MAXDGRAM];	/* one thread: one buffer */

/* An address as the header holds it: 16 bytes, IPv4 as ::ffff:a.b.c.d. */
static void put_addr(unsigned char *p, const union addr *a)
{
	union addr v = *a;

	addr_as(&v, AF_INET6);	/* never fails towards IPv6 */
	memcpy(p, &v.v6.sin6_addr, 16);
}

/* The interface's address of a's family. */
static void ifc_addr(const struct nc_ifinfo *ii, const union addr *a, union addr *out)
{
	memset(out, 0, sizeof *out);
	if (a->sa.sa_family == AF_INET6 && !IN6_IS_ADDR_V4MAPPED(&a->v6.sin6_addr)) {
		out->v6.sin6_family = AF_INET6;
		out->v6.sin6_addr = ii->addr6;
	} else {
		out->v4.sin_family = AF_INET;
		out->v4.sin_addr = ii->addr;
	}
}

/* Fill the header of a datagram from `from` to this conversation. */
static void put_header(unsigned char *h, struct conv *c, const union addr *from)
{
	union addr me = { 0 }, ifc;
	socklen_t len = sizeof me;
	struct nc_ifinfo ii;
	uint16_t rport = htons(addr_get_port(from)), lport;

	nc_getsockname(fs.st, c->sock, &me.sa, &len);
	nc_ifinfo(fs.st, &ii);
	ifc_addr(&ii, from, &ifc);
	lport = htons(addr_get_port(&me));
	addr_as(&me, AF_INET6);
	if (IN6_IS_ADDR_UNSPECIFIED(&me.v6.sin6_addr) ||
	    (IN6_IS_ADDR_V4MAPPED(&me.v6.sin6_addr) && me.v6.sin6_addr.s6_addr32[3] == 0))
		me = ifc;	/* bound to any: the address the datagram came to */
	put_addr(h, from);
	put_addr(h + 16, &me);
	put_addr(h + 32, &ifc);
	memcpy(h + 48, &rport, 2);
	memcpy(h + 50, &lport, 2);
}

/* Answer a read with the next datagram: 1 if answered, 0 if none. */
int dgdata_try_read(fuse_req_t req, struct conv *c, size_t size)
{
	union addr from = { 0 };
	socklen_t flen = sizeof from;
	size_t off = c->headers ? HDRLEN : 0;
	ssize_t n = nc_recvfrom(fs.st, c->sock, rbuf + off, MAXDGRAM, 0, &from.sa, &flen);

	if (n < 0) {
		if (errno == EAGAIN)
			return 0;
		fuse_reply_err(req, errno);
		return 1;
	}
	if (c->headers)
		put_header(rbuf, c, &from);
	n += (ssize_t)off;
	fuse_reply_buf(req, (char *)rbuf, (size_t)n < size ? (size_t)n : size);
	return 1;
}

/* The destination of a datagram written with headers, as c's socket
 * takes it. */
static int get_header(const unsigned char *h, struct conv *c, union addr *to)
{
	union addr me = { 0 };
	socklen_t len = sizeof me;
	uint16_t port;

	memset(to, 0, sizeof *to);
	to->v6.sin6_family = AF_INET6;
	memcpy(&to->v6.sin6_addr, h, 16);
	memcpy(&port, h + 48, 2);
	to->v6.sin6_port = port;
	nc_getsockname(fs.st, c->sock, &me.sa, &len);
	return addr_as(to, me.sa.sa_family == AF_INET6 ? AF_INET6 : AF_INET);
}

void dgdata_write(fuse_req_t req, struct conv *c, const char *buf, size_t len)
{
	union addr to;
	ssize_t n;
	int err;

	if (!c->headers) {
		n = nc_send(fs.st, c->sock, buf, len, 0);
	} else if (len < HDRLEN) {
		fuse_reply_err(req, EINVAL);
		return;
	} else if ((err = get_header((const unsigned char *)buf, c, &to)) != 0) {
		fuse_reply_err(req, err);
		return;
	} else {
		n = nc_sendto(fs.st, c->sock, buf + HDRLEN, len - HDRLEN, 0, &to.sa, addr_len(&to));
	}
	if (n < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_write(req, len);
}
