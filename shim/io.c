/*
 * send, recv and their kin on a socket of ours. TCP and a connected UDP
 * socket read and write their data file as it is; a UDP socket that was
 * bound or sent to unconnected reads and writes with Plan 9's 52-byte
 * header (SPEC.md §5), which these calls take off and put on.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "shim.h"

enum {
	SEND_FLAGS = MSG_DONTWAIT | MSG_NOSIGNAL | MSG_MORE | MSG_EOR | MSG_CONFIRM,
	RECV_FLAGS = MSG_DONTWAIT | MSG_WAITALL | MSG_CMSG_CLOEXEC | MSG_NOSIGNAL,
};

static ssize_t failed(const char *call, int err, const char *why)
{
	errno = err;
	return debug(call, "%s", why);
}

/* MSG_DONTWAIT on a blocking descriptor: would the call block? */
static int would_block(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, 0) == 0;
}

static void put_addr(unsigned char *h, const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		memset(h, 0, 16);
		h[10] = h[11] = 0xff;
		memcpy(h + 12, &s4->sin_addr, 4);
		memcpy(h + 48, &s4->sin_port, 2);
	} else {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		memcpy(h, &s6->sin6_addr, 16);
		memcpy(h + 48, &s6->sin6_port, 2);
	}
}

/* The sender of a datagram read with headers. */
int header_addr(const unsigned char *h, int inet6, struct sockaddr *sa, socklen_t *len)
{
	static const unsigned char v4mapped[12] = { [10] = 0xff, [11] = 0xff };
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	const void *out = &s6;
	socklen_t n = sizeof s6;

	memcpy(&s6.sin6_addr, h, 16);
	memcpy(&s6.sin6_port, h + 48, 2);
	if (!inet6) {
		if (memcmp(h, v4mapped, 12) != 0)
			return -1;
		memcpy(&s4.sin_addr, h + 12, 4);
		s4.sin_port = s6.sin6_port;
		out = &s4;
		n = sizeof s4;
	}
	if (sa != NULL)
		memcpy(sa, out, *len < n ? *len : n);
	*len = n;
	return 0;
}

/* iov with a header in front (freed by the caller). */
static struct iovec *with_header(unsigned char *h, const struct iovec *iov, int cnt)
{
	struct iovec *v = malloc(((size_t)cnt + 1) * sizeof *v);

	if (v == NULL)
		return NULL;
	v[0].iov_base = h;
	v[0].iov_len = HDRLEN;
	if (cnt > 0)
		memcpy(v + 1, iov, (size_t)cnt * sizeof *v);
	return v;
}

static ssize_t udp_sendto(int fd, const struct iovec *iov, int cnt, const struct sockaddr *to,
			  socklen_t tolen)
{
	unsigned char h[HDRLEN] = { 0 };
	struct iovec *v;
	ssize_t n;

	if (to == NULL)
		return failed("sendto", EDESTADDRREQ, "an unconnected UDP socket needs an address");
	if ((to->sa_family != AF_INET || tolen < sizeof(struct sockaddr_in)) &&
	    (to->sa_family != AF_INET6 || tolen < sizeof(struct sockaddr_in6)))
		return failed("sendto", EAFNOSUPPORT, "not an IPv4 or IPv6 address");
	put_addr(h, to);
	v = with_header(h, iov, cnt);
	if (v == NULL)
		return -1;
	n = writev(fd, v, cnt + 1);
	free(v);
	return n < 0 ? n : n - HDRLEN;
}

/* A UDP socket bound, or sent to or read from unconnected: its data
 * carries headers from now on, so that recvfrom knows the sender and
 * sendto chooses the destination. */
int udp_headers(int fd, struct sconv *c)
{
	int err = conv_cmd(c, fd, "headers");

	if (err == 0 && conv_mark(c, MARK_HEADERS) < 0)
		err = errno;
	if (err == 0 && conv_become(fd, c) < 0)
		err = errno;
	if (err == 0)
		c->kind = K_DATA;
	return err;
}

/* Is to the connected peer of c? */
static int to_peer(const struct sconv *c, const struct sockaddr *to, socklen_t tolen)
{
	char want[128], peer[128];

	return addr_text(to, tolen, want, sizeof want) == 0 &&
	       conv_text(c, "remote", peer, sizeof peer) >= 0 && strcmp(want, peer) == 0;
}

/* One send: 0 flags-checked, datagram or stream. */
static ssize_t send_iov(int fd, struct sconv *c, const struct iovec *iov, int cnt, int flags,
			const struct sockaddr *to, socklen_t tolen)
{
	ssize_t n;

	if (flags & ~SEND_FLAGS)
		return failed("send", EOPNOTSUPP, "a flag the stack cannot serve (MSG_OOB …)");
	if (c->kind == K_CLONE && c->proto == P_TCP)
		return failed("send", ENOTCONN, "the TCP socket is not connected");
	if (c->kind == K_CLONE) {
		if (to == NULL)
			return failed("send", EDESTADDRREQ, "the UDP socket is not connected");
		if ((errno = udp_headers(fd, c)) != 0)
			return -1;
	}
	if ((flags & MSG_DONTWAIT) && would_block(fd, POLLOUT)) {
		errno = EAGAIN;
		return -1;
	}
	if (c->proto == P_UDP && (conv_marks(c) & MARK_HEADERS))
		n = udp_sendto(fd, iov, cnt, to, tolen);
	else if (c->proto == P_UDP && to != NULL && !to_peer(c, to, tolen))
		return failed("sendto", EISCONN, "a connected UDP socket sends to its peer only");
	else
		n = writev(fd, iov, cnt);	/* TCP ignores the address, as Linux */
	if (n < 0 && errno == EPIPE && !(flags & MSG_NOSIGNAL))
		raise(SIGPIPE);
	return n;
}

static ssize_t read_all(int fd, struct iovec *iov, int cnt)
{
	ssize_t total = 0, n;

	while (cnt > 0) {
		n = readv(fd, iov, cnt);
		if (n <= 0)
			return total > 0 ? total : n;
		total += n;
		while (cnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return total;
}

/* A datagram in headers mode: its payload into iov, its sender into
 * from; a peek keeps it for the next receive (peek.c). */
static ssize_t udp_recvfrom(int fd, struct sconv *c, const struct iovec *iov, int cnt, int peek,
			    struct sockaddr *from, socklen_t *fromlen)
{
	unsigned char h[HDRLEN];
	struct iovec *v;
	ssize_t n;

	if (peek || peek_has(fd)) {
		n = peek_dgram(fd, iov, cnt, h, peek);
		if (n >= 0 && fromlen != NULL &&
		    header_addr(h, conv_marks(c) & MARK_INET6, from, fromlen) < 0)
			*fromlen = 0;
		return n;
	}
	v = with_header(h, iov, cnt);
	if (v == NULL)
		return -1;
	n = readv(fd, v, cnt + 1);
	free(v);
	if (n < 0)
		return n;
	if (n < HDRLEN)
		return failed("recvfrom", EPROTO, "a datagram shorter than its header");
	if (fromlen != NULL &&
	    header_addr(h, conv_marks(c) & MARK_INET6, from, fromlen) < 0)
		*fromlen = 0;
	return n - HDRLEN;
}

static ssize_t recv_iov(int fd, struct sconv *c, struct iovec *iov, int cnt, int flags,
			struct sockaddr *from, socklen_t *fromlen)
{
	ssize_t n;

	if (flags & ~(RECV_FLAGS | MSG_PEEK))
		return failed("recv", EOPNOTSUPP, "a flag the stack cannot serve (MSG_OOB …)");
	if (c->kind == K_CLONE && c->proto == P_TCP)
		return failed("recv", ENOTCONN, "the TCP socket is not connected");
	if (c->kind == K_CLONE && (errno = udp_headers(fd, c)) != 0)
		return -1;
	if ((flags & MSG_DONTWAIT) && would_block(fd, POLLIN)) {
		errno = EAGAIN;
		return -1;
	}
	if (c->proto == P_UDP && (conv_marks(c) & MARK_HEADERS))
		return udp_recvfrom(fd, c, iov, cnt, flags & MSG_PEEK, from, fromlen);
	if (c->proto == P_TCP && (flags & MSG_PEEK))
		n = peek_recv(fd, iov, cnt);
	else if (flags & MSG_PEEK)
		n = peek_dgram(fd, iov, cnt, NULL, 1);
	else if (c->proto == P_TCP && (flags & MSG_WAITALL) && !(flags & MSG_DONTWAIT))
		n = read_all(fd, iov, cnt);
	else
		n = readv(fd, iov, cnt);
	if (n >= 0 && fromlen != NULL) {
		if (c->proto == P_UDP)
			conv_addr(c, "remote", conv_marks(c) & MARK_INET6, from, fromlen);
		else
			*fromlen = 0;
	}
	return n;
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
	       socklen_t tolen)
{
	static ssize_t (*next)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
	struct iovec v = { (void *)buf, len };
	struct sconv c;

	if (!conv_of(fd, &c)) {
		if (next == NULL)
			next = real("sendto");
		return next(fd, buf, len, flags, to, tolen);
	}
	return send_iov(fd, &c, &v, 1, flags, to, tolen);
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	return sendto(fd, buf, len, flags, NULL, 0);
}

ssize_t sendmsg(int fd, const struct msghdr *m, int flags)
{
	static ssize_t (*next)(int, const struct msghdr *, int);
	struct sconv c;

	if (!conv_of(fd, &c)) {
		if (next == NULL)
			next = real("sendmsg");
		return next(fd, m, flags);
	}
	if (m->msg_controllen > 0)
		return failed("sendmsg", EOPNOTSUPP, "control messages do not map");
	return send_iov(fd, &c, m->msg_iov, (int)m->msg_iovlen, flags, m->msg_name,
			m->msg_namelen);
}

ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
		 socklen_t *fromlen)
{
	static ssize_t (*next)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
	struct iovec v = { buf, len };
	struct sconv c;

	if (!conv_of(fd, &c)) {
		if (next == NULL)
			next = real("recvfrom");
		return next(fd, buf, len, flags, from, fromlen);
	}
	return recv_iov(fd, &c, &v, 1, flags, from, fromlen);
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	return recvfrom(fd, buf, len, flags, NULL, NULL);
}

ssize_t recvmsg(int fd, struct msghdr *m, int flags)
{
	static ssize_t (*next)(int, struct msghdr *, int);
	struct sconv c;
	socklen_t namelen = m->msg_namelen;
	ssize_t n;

	if (!conv_of(fd, &c)) {
		if (next == NULL)
			next = real("recvmsg");
		return next(fd, m, flags);
	}
	n = recv_iov(fd, &c, m->msg_iov, (int)m->msg_iovlen, flags, m->msg_name,
		     m->msg_name ? &namelen : NULL);
	if (n >= 0) {
		m->msg_namelen = m->msg_name ? namelen : 0;
		m->msg_controllen = 0;
		m->msg_flags = 0;
	}
	return n;
}

/* What _FORTIFY_SOURCE builds call instead of recv and recvfrom. */
ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags)
{
	if (len > buflen)
		abort();
	return recvfrom(fd, buf, len, flags, NULL, NULL);
}

ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
		       struct sockaddr *from, socklen_t *fromlen)
{
	if (len > buflen)
		abort();
	return recvfrom(fd, buf, len, flags, from, fromlen);
}
