/*
 * The socket calls: socket() opens P/clone, and the descriptor becomes
 * P/N/data once the socket connects, binds (UDP) or listens, so that
 * read, write, poll, epoll, select and splice work on it natively. Every
 * other family and every descriptor that is not ours goes to the C
 * library untouched.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"

/* Set errno to err, say why, and fail. */
static int fail(const char *call, int err, const char *why)
{
	errno = err;
	return debug(call, "%s (%s)", why, strerror(err));
}

/* 0, or -1 with errno err. */
static int result(int err)
{
	if (err == 0)
		return 0;
	errno = err;
	return -1;
}

static int which_proto(int type, int protocol)
{
	int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (base == SOCK_STREAM && (protocol == 0 || protocol == IPPROTO_TCP))
		return P_TCP;
	if (base == SOCK_DGRAM && (protocol == 0 || protocol == IPPROTO_UDP))
		return P_UDP;
	return -1;
}

int socket(int domain, int type, int protocol)
{
	static int (*next)(int, int, int);
	static const char *const clones[] = { "tcp/clone", "udp/clone" };
	char path[4096];
	struct sconv c;
	int fd, p;

	if (domain != AF_INET && domain != AF_INET6) {
		if (next == NULL)
			next = real("socket");
		return next(domain, type, protocol);
	}
	p = which_proto(type, protocol);
	if (p < 0)
		return fail("socket", EPROTONOSUPPORT, "only TCP and UDP sockets live on the stack");
	snprintf(path, sizeof path, "%s/%s", mount_point(), clones[p]);
	fd = open(path, O_RDWR | (type & SOCK_NONBLOCK ? O_NONBLOCK : 0) |
				(type & SOCK_CLOEXEC ? O_CLOEXEC : 0));
	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOMEM)
			return -1;
		return fail("socket", ENETDOWN, "no slashnet mount to open the clone of");
	}
	if (domain == AF_INET6 && (!conv_of(fd, &c) || conv_mark(&c, MARK_INET6) < 0)) {
		close(fd);
		return fail("socket", ENETDOWN, "cannot mark the conversation AF_INET6");
	}
	return fd;
}

/* A UDP socket in headers mode connects on a conversation of its own,
 * on the same local port: the mode cannot be turned off, and a connected
 * socket's data must be bare datagrams (read and write go straight to
 * the file). The old conversation ends first, its release queued before
 * the connect; a few tries cover a daemon slower to free it. SO_REUSEADDR
 * goes over to the new conversation, so that the port can be bound again. */
static int udp_fresh(int fd, struct sconv *c, const char *addr)
{
	char local[128], path[4096];
	int fl = fcntl(fd, F_GETFL), fdfl = fcntl(fd, F_GETFD);
	int marks = conv_marks(c) & (MARK_INET6 | MARK_REUSE), nfd, err;
	const char *port;

	if (conv_text(c, "local", local, sizeof local) < 0 || (port = strrchr(local, '!')) == NULL)
		return EBADF;
	snprintf(path, sizeof path, "%s/udp/clone", mount_point());
	nfd = open(path, O_RDWR | O_CLOEXEC | (fl & O_NONBLOCK));
	if (nfd < 0)
		return errno;
	if (dup3(nfd, fd, fdfl & FD_CLOEXEC ? O_CLOEXEC : 0) < 0) {
		err = errno;
		close(nfd);
		return err;
	}
	close(nfd);
	if (!conv_of(fd, c))
		return EBADF;
	if (marks && conv_mark(c, marks) < 0)
		return errno;
	if ((marks & MARK_REUSE) && (err = conv_cmd(c, fd, "reuse")) != 0)
		return err;
	for (int i = 0; i < 100; i++) {
		err = strcmp(port, "!0") == 0 ? conv_cmd(c, fd, "connect %s", addr) :
						 conv_cmd(c, fd, "connect %s %s", addr, port + 1);
		if (err != EADDRINUSE)
			break;
		usleep(10000);
	}
	if (err == 0 && conv_become(fd, c) < 0)
		err = errno;
	return err;
}

static int udp_connect(int fd, struct sconv *c, const char *addr)
{
	int dissolve = strcmp(addr, "0.0.0.0!0") == 0, err;

	if (c->kind == K_DATA && (conv_marks(c) & MARK_HEADERS))
		return dissolve ? 0 : udp_fresh(fd, c, addr);
	err = conv_cmd(c, fd, "connect %s", addr);
	if (err == 0 && c->kind == K_CLONE && !dissolve && conv_become(fd, c) < 0)
		err = errno;
	/* unconnected again: sendto and recvfrom need the headers */
	if (err == 0 && dissolve)
		err = udp_headers(fd, c);
	return err;
}

static int tcp_connect(int fd, struct sconv *c, const char *addr)
{
	int err = conv_cmd(c, fd, "connect %s", addr);

	/* under way or made: the descriptor is the data from now on */
	if ((err == 0 || err == EINPROGRESS || err == EALREADY || err == EISCONN) &&
	    c->kind == K_CLONE && conv_become(fd, c) < 0)
		err = errno;
	return err;
}

int connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	static int (*next)(int, const struct sockaddr *, socklen_t);
	char addr[128];
	struct sconv c;
	int err;

	if (!conv_of(fd, &c)) {
		if (next == NULL)
			next = real("connect");
		return next(fd, sa, len);
	}
	if (sa != NULL && sa->sa_family == AF_UNSPEC && c.proto == P_UDP) {
		strcpy(addr, "0.0.0.0!0");	/* dissolve the association */
	} else if ((err = addr_text(sa, len, addr, sizeof addr)) != 0) {
		return fail("connect", err, "not an IPv4 or IPv6 address");
	}
	err = c.proto == P_TCP ? tcp_connect(fd, &c, addr) : udp_connect(fd, &c, addr);
	if (err && err != EINPROGRESS)
		debug("connect", "connect %s: %s", addr, strerror(err));
	return result(err);
}

int bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	static int (*next)(int, const struct sockaddr *, socklen_t);
	char addr[128];
	struct sconv c;
	int err;

	if (!conv_of(fd, &c)) {
		if (next == NULL)
			next = real("bind");
		return next(fd, sa, len);
	}
	if ((err = addr_text(sa, len, addr, sizeof addr)) != 0)
		return fail("bind", err, "not an IPv4 or IPv6 address");
	if (c.kind != K_CLONE)
		return fail("bind", EINVAL, "already bound or connected");
	err = conv_cmd(&c, fd, "%s %s", c.proto == P_TCP ? "bind" : "announce", addr);
	if (err == 0 && c.proto == P_UDP)
		err = udp_headers(fd, &c);
	if (err)
		debug("bind", "bind %s: %s", addr, strerror(err));
	return result(err);
}

int listen(int fd, int backlog)
{
	static int (*next)(int, int);
	char local[128];
	struct sconv c;
	int err;

	if (!conv_of(fd, &c)) {
		if (next == NULL)
			next = real("listen");
		return next(fd, backlog);
	}
	if (c.proto != P_TCP)
		return fail("listen", EOPNOTSUPP, "a UDP socket does not listen");
	backlog = backlog < 1 ? 1 : backlog > 1024 ? 1024 : backlog;
	err = conv_cmd(&c, fd, "backlog %d", backlog);
	if (err == 0 && c.kind == K_CLONE) {
		/* bound (local has a port) or not: announce that, or any
		 * port; on the any address of the socket's family (an AF_INET
		 * socket takes IPv4 calls alone, as on Linux) */
		if (conv_text(&c, "local", local, sizeof local) < 0)
			err = errno;
		else if (strncmp(local, "::!", 3) == 0)
			err = conv_cmd(&c, fd, "announce %s!%s",
				       conv_marks(&c) & MARK_INET6 ? "*" : "0.0.0.0", local + 3);
		else	/* an address, or 0.0.0.0: IPv4's any address alone */
			err = conv_cmd(&c, fd, "announce %s", local);
		/* the data of a listener polls readable when a call waits */
		if (err == 0 && conv_become(fd, &c) < 0)
			err = errno;
	}
	if (err)
		debug("listen", "%s", strerror(err));
	return result(err);
}

static int accept_ours(int fd, struct sconv *c, struct sockaddr *sa, socklen_t *len, int flags)
{
	int nb = fcntl(fd, F_GETFL) & O_NONBLOCK;
	int l, d, inet6 = conv_marks(c) & MARK_INET6;
	struct sconv m = { .proto = P_TCP, .kind = K_CLONE };
	char buf[16];
	ssize_t n;

	if (c->proto != P_TCP || c->kind != K_DATA)
		return fail("accept", EINVAL, "not a listening TCP socket");
	l = conv_open(c, "listen", O_RDWR | O_CLOEXEC | nb);
	if (l < 0)
		return -1;	/* EAGAIN when nothing waits, EINTR, EMFILE … */
	n = pread(l, buf, sizeof buf - 1, 0);
	if (n <= 0) {
		close(l);
		return fail("accept", EPROTO, "the listen file gave no conversation");
	}
	buf[n] = 0;
	m.n = atoi(buf);
	d = conv_open(&m, "data", O_RDWR | (flags & SOCK_NONBLOCK ? O_NONBLOCK : 0) |
					 (flags & SOCK_CLOEXEC ? O_CLOEXEC : 0));
	close(l);
	if (d < 0)
		return -1;
	if (len != NULL && conv_addr(&m, "remote", inet6, sa, len) < 0)
		*len = 0;
	return d;
}

int accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags)
{
	static int (*next)(int, struct sockaddr *, socklen_t *, int);
	struct sconv c;

	if (!conv_of(fd, &c)) {
		if (next == NULL)
			next = real("accept4");
		return next(fd, sa, len, flags);
	}
	return accept_ours(fd, &c, sa, len, flags);
}

int accept(int fd, struct sockaddr *sa, socklen_t *len)
{
	static int (*next)(int, struct sockaddr *, socklen_t *);
	struct sconv c;

	if (!conv_of(fd, &c)) {
		if (next == NULL)
			next = real("accept");
		return next(fd, sa, len);
	}
	return accept_ours(fd, &c, sa, len, 0);
}

static int name_of(struct sconv *c, const char *file, struct sockaddr *sa, socklen_t *len)
{
	char buf[128];
	int inet6 = conv_marks(c) & MARK_INET6;

	if (len == NULL)
		return result(EFAULT);
	if (conv_text(c, file, buf, sizeof buf) < 0)
		return -1;
	if (strcmp(file, "remote") == 0 && (strcmp(buf, "0.0.0.0!0") == 0 || strcmp(buf, "::!0") == 0))
		return result(ENOTCONN);
	return addr_sockaddr(buf, inet6, sa, len);
}

int getsockname(int fd, struct sockaddr *sa, socklen_t *len)
{
	static int (*next)(int, struct sockaddr *, socklen_t *);
	struct sconv c;

	if (!conv_of(fd, &c)) {
		if (next == NULL)
			next = real("getsockname");
		return next(fd, sa, len);
	}
	return name_of(&c, "local", sa, len);
}

int getpeername(int fd, struct sockaddr *sa, socklen_t *len)
{
	static int (*next)(int, struct sockaddr *, socklen_t *);
	struct sconv c;

	if (!conv_of(fd, &c)) {
		if (next == NULL)
			next = real("getpeername");
		return next(fd, sa, len);
	}
	return name_of(&c, "remote", sa, len);
}

int shutdown(int fd, int how)
{
	static int (*next)(int, int);
	static const char *const hows[] = { "rd", "wr", "rdwr" };
	struct sconv c;

	if (!conv_of(fd, &c)) {
		if (next == NULL)
			next = real("shutdown");
		return next(fd, how);
	}
	if (how < SHUT_RD || how > SHUT_RDWR)
		return result(EINVAL);
	if (c.proto != P_TCP || c.kind != K_DATA)
		return result(ENOTCONN);
	return result(conv_cmd(&c, fd, "shutdown %s", hows[how]));
}
