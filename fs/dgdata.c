/*
 * data of udp and icmp conversations (SPEC.md §5, §6): one datagram a
 * read or write. With `headers` each carries Plan 9's 52-byte header:
 * remote, local and interface address (16 bytes each, IPv4 as
 * ::ffff:a.b.c.d), remote port, local port (big-endian), then the payload.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "dgdata.h"

enum { HDRLEN = 52, MAXDGRAM = 65536 };

static unsigned char rbuf[HDRLEN + MAXDGRAM];	/* one thread: one buffer */

static void put_v4(unsigned char *p, struct in_addr a)
{
	memset(p, 0, 10);
	p[10] = p[11] = 0xff;
	memcpy(p + 12, &a, 4);
}

/* Fill the header of a datagram from `from` to this conversation. */
static void put_header(unsigned char *h, struct conv *c, const struct sockaddr_in *from)
{
	struct sockaddr_in me = { 0 };
	socklen_t len = sizeof me;
	struct nc_ifinfo ii;

	nc_getsockname(fs.st, c->sock, (struct sockaddr *)&me, &len);
	nc_ifinfo(fs.st, &ii);
	if (me.sin_addr.s_addr == htonl(INADDR_ANY))
		me.sin_addr = ii.addr;
	put_v4(h, from->sin_addr);
	put_v4(h + 16, me.sin_addr);
	put_v4(h + 32, ii.addr);
	memcpy(h + 48, &from->sin_port, 2);
	memcpy(h + 50, &me.sin_port, 2);
}

/* Answer a read with the next datagram: 1 if answered, 0 if none. */
int dgdata_try_read(fuse_req_t req, struct conv *c, size_t size)
{
	struct sockaddr_in from = { 0 };
	socklen_t flen = sizeof from;
	size_t off = c->headers ? HDRLEN : 0;
	ssize_t n = nc_recvfrom(fs.st, c->sock, rbuf + off, MAXDGRAM, 0, (struct sockaddr *)&from,
				&flen);

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

/* The destination of a datagram written with headers. */
static int get_header(const unsigned char *h, struct sockaddr_in *to)
{
	static const unsigned char v4mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (memcmp(h, v4mapped, 12) != 0)
		return EAFNOSUPPORT;
	memset(to, 0, sizeof *to);
	to->sin_family = AF_INET;
	memcpy(&to->sin_addr, h + 12, 4);
	memcpy(&to->sin_port, h + 48, 2);
	return 0;
}

void dgdata_write(fuse_req_t req, struct conv *c, const char *buf, size_t len)
{
	struct sockaddr_in to;
	ssize_t n;
	int err;

	if (!c->headers) {
		n = nc_send(fs.st, c->sock, buf, len, 0);
	} else if (len < HDRLEN) {
		fuse_reply_err(req, EINVAL);
		return;
	} else if ((err = get_header((const unsigned char *)buf, &to)) != 0) {
		fuse_reply_err(req, err);
		return;
	} else {
		n = nc_sendto(fs.st, c->sock, buf + HDRLEN, len - HDRLEN, 0,
			      (struct sockaddr *)&to, sizeof to);
	}
	if (n < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_write(req, len);
}
