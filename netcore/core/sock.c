/*
 * The socket layer of the core: descriptors, the checks every protocol
 * shares (EBADF, EFAULT, EAFNOSUPPORT, null addresses, routes), the
 * options that belong to every socket, and readiness events. The protocol
 * specific half is behind struct sockops (tcp.c, udp.c, ping.c).
 */
#include <errno.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <netcore/netcore.h>

#include "ip.h"
#include "ip6.h"
#include "sock.h"
#include "stack.h"

struct socktab {
	struct sock **v;	/* v[fd], NULL when free */
	int cap;
	int low;		/* no free descriptor below this one */
	struct sock *dirty;	/* events not yet delivered */
	struct sock *flushing;	/* events being delivered now */
};

enum { SOCK_MAX = 1 << 20, FLUSH_ROUNDS = 4 };

int sock_init(struct stack *st)
{
	st->socks = calloc(1, sizeof *st->socks);
	return st->socks ? 0 : -ENOMEM;
}

static void unlink_from(struct sock **list, struct sock *so)
{
	for (; *list; list = &(*list)->next_dirty) {
		if (*list == so) {
			*list = so->next_dirty;
			return;
		}
	}
}

static void sock_destroy(struct stack *st, struct sock *so)
{
	if (so->dirty) {
		unlink_from(&st->socks->dirty, so);
		unlink_from(&st->socks->flushing, so);
	}
	free(so);
}

static void release_fd(struct stack *st, int fd)
{
	struct socktab *t = st->socks;

	t->v[fd] = NULL;
	if (fd < t->low)
		t->low = fd;
}

void sock_fini(struct stack *st)
{
	struct socktab *t = st->socks;

	if (t == NULL)
		return;
	for (int fd = 0; fd < t->cap; fd++) {
		struct sock *so = t->v[fd];
		if (so == NULL)
			continue;
		release_fd(st, fd);
		so->ops->detach(st, so, 1);
		sock_destroy(st, so);
	}
	free(t->v);
	free(t);
	st->socks = NULL;
}

struct sock *sock_get(struct stack *st, int fd)
{
	struct socktab *t = st->socks;

	return fd >= 0 && fd < t->cap ? t->v[fd] : NULL;
}

int sock_count(const struct stack *st)
{
	const struct socktab *t = st->socks;
	int n = 0;

	for (int fd = 0; fd < t->cap; fd++)
		n += t->v[fd] != NULL;
	return n;
}

/* Give so the lowest free descriptor. */
static int install(struct stack *st, struct sock *so)
{
	struct socktab *t = st->socks;
	int fd;

	for (fd = t->low; fd < t->cap && t->v[fd]; fd++)
		;
	if (fd == t->cap) {
		int cap = t->cap ? 2 * t->cap : 64;
		struct sock **v;
		if (cap > SOCK_MAX)
			return -EMFILE;
		v = realloc(t->v, cap * sizeof *v);
		if (v == NULL)
			return -ENOMEM;
		memset(v + t->cap, 0, (cap - t->cap) * sizeof *v);
		t->v = v;
		t->cap = cap;
	}
	t->v[fd] = so;
	t->low = fd + 1;
	so->fd = fd;
	return fd;
}

static struct sock *sock_alloc(const struct sockops *ops)
{
	struct sock *so = calloc(1, sizeof *so);

	if (so == NULL)
		return NULL;
	so->fd = -1;
	so->ops = ops;
	so->linger = -1;
	so->pmtudisc = IP_PMTUDISC_WANT;	/* Linux's default */
	so->rcvbuf = SOCK_DEF_BUF;
	so->sndbuf = SOCK_DEF_BUF;
	return so;
}

int sock_socket(struct stack *st, int domain, int type, int protocol)
{
	int nonblock = (type & SOCK_NONBLOCK) != 0;
	const struct sockops *ops;
	struct sock *so;
	int fd, err;

	if (domain != AF_INET && (domain != AF_INET6 || !st->ip6_on))
		return -EAFNOSUPPORT;
	type &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (type != SOCK_STREAM && type != SOCK_DGRAM)
		return -ESOCKTNOSUPPORT;
	ops = stack_sockops(type, protocol);
	if (ops == NULL || (domain == AF_INET6 && ops->proto == IPPROTO_ICMP) ||
	    (domain == AF_INET && ops->proto == IPPROTO_ICMPV6))
		return -EPROTONOSUPPORT;	/* echo of the other family */
	so = sock_alloc(ops);
	if (so == NULL)
		return -ENOMEM;
	so->nonblock = nonblock;
	so->domain = (uint8_t)domain;
	fd = install(st, so);
	if (fd < 0) {
		free(so);
		return fd;
	}
	err = ops->attach(st, so);
	if (err < 0) {
		release_fd(st, fd);
		free(so);
		return err;
	}
	return fd;
}

struct sock *sock_new_child(struct stack *st, const struct sock *l)
{
	struct sock *so = sock_alloc(l->ops);

	(void)st;
	if (so == NULL)
		return NULL;
	so->nonblock = l->nonblock;
	so->domain = l->domain;
	so->v6only = l->v6only;
	so->linger = l->linger;
	so->ttl = l->ttl;
	so->tos = l->tos;
	so->pmtudisc = l->pmtudisc;
	so->rcvbuf = l->rcvbuf;
	so->sndbuf = l->sndbuf;
	so->rcvbuf_set = l->rcvbuf_set;
	so->sndbuf_set = l->sndbuf_set;
	return so;
}

void sock_free_child(struct stack *st, struct sock *so)
{
	sock_destroy(st, so);
}

/*
 * Check and convert an address argument of so's family. An AF_INET6
 * socket's ::ffff:a.b.c.d and :: come out as the IPv4 address (AF_INET:
 * the core's IPv4 paths carry them); another IPv6 address comes out in
 * *a6 (AF_INET6). An address of the other family is EAFNOSUPPORT, as
 * Linux's.
 */
static int get_addr(const struct sock *so, const struct sockaddr *a, socklen_t len,
		    uint32_t *addr, uint16_t *port, struct in6_addr *a6)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	if (a == NULL || len < sizeof(sa_family_t))
		return -EFAULT;
	if (a->sa_family == AF_UNSPEC) {
		*addr = 0;
		*port = 0;
		return AF_UNSPEC;
	}
	if (a->sa_family != so->domain)
		return -EAFNOSUPPORT;
	if (a->sa_family == AF_INET6) {
		if (len < sizeof sin6)
			return -EFAULT;
		memcpy(&sin6, a, sizeof sin6);
		*port = ntohs(sin6.sin6_port);
		*addr = in6_is_v4mapped(&sin6.sin6_addr) ? in6_v4(&sin6.sin6_addr) : 0;
		*a6 = sin6.sin6_addr;
		return in6_is_v4mapped(&sin6.sin6_addr) || in6_is_any(&sin6.sin6_addr) ? AF_INET
										  : AF_INET6;
	}
	if (len < sizeof sin)
		return -EFAULT;
	memcpy(&sin, a, sizeof sin);
	*addr = ntohl(sin.sin_addr.s_addr);
	*port = ntohs(sin.sin_port);
	return AF_INET;
}

static void put_sin6(const struct sockaddr_in6 *sin6, struct sockaddr *a, socklen_t *len)
{
	memcpy(a, sin6, *len < sizeof *sin6 ? *len : sizeof *sin6);
	*len = sizeof *sin6;
}

/* An IPv4 address and port out in so's family: ::ffff:a.b.c.d on an
 * AF_INET6 socket (:: for 0.0.0.0). */
static void put_addr(const struct sock *so, uint32_t addr, uint16_t port, struct sockaddr *a,
		     socklen_t *len)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(addr),
	};
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };

	if (so->domain == AF_INET6) {
		if (addr != 0 || so->v4only)
			in6_set_v4mapped(&sin6.sin6_addr, addr);
		put_sin6(&sin6, a, len);
		return;
	}
	memcpy(a, &sin, *len < sizeof sin ? *len : sizeof sin);
	*len = sizeof sin;
}

/* Where a datagram came from, in so's family (a receive gives an IPv4
 * source as ::ffff:a.b.c.d). */
static void put_from(const struct sock *so, const struct sockaddr_in6 *sin6,
		     struct sockaddr *a, socklen_t *len)
{
	if (so->domain == AF_INET6)
		put_sin6(sin6, a, len);
	else
		put_addr(so, in6_v4(&sin6->sin6_addr), ntohs(sin6->sin6_port), a, len);
}

/* so's own address (peer 0) or its peer's, either family. */
static void put_sock_addr(const struct sock *so, int peer, struct sockaddr *a, socklen_t *len)
{
	if (so->v6)
		put_sin6(&(struct sockaddr_in6){ .sin6_family = AF_INET6,
						 .sin6_port = htons(peer ? so->fport : so->lport),
						 .sin6_addr = peer ? so->faddr6 : so->laddr6 },
			 a, len);
	else
		put_addr(so, peer ? so->faddr : so->laddr, peer ? so->fport : so->lport, a, len);
}

/* The socket fd and an address argument, checked: the family, or -errno. */
static int sock_and_addr(struct stack *st, int fd, const struct sockaddr *a, socklen_t len,
			 struct sock **so, uint32_t *addr, uint16_t *port, struct in6_addr *a6)
{
	*so = sock_get(st, fd);
	if (*so == NULL)
		return -EBADF;
	return get_addr(*so, a, len, addr, port, a6);
}

/*
 * A native IPv6 address (not v4-mapped, not ::) for bind or connect:
 * the address checks of SPEC §3 (a local address that is not ours
 * EADDRNOTAVAIL, a peer with no route ENETUNREACH), then the protocol's
 * IPv6 call (EAFNOSUPPORT when it has none).
 */
static int native6(struct stack *st, struct sock *so, const struct in6_addr *a6, uint16_t port,
		   int local)
{
	if (local && !ip6_is_local(st, a6))
		return -EADDRNOTAVAIL;
	if (!local && ip6_route_ok(st, a6) < 0)
		return -ENETUNREACH;
	if (local)
		return so->ops->bind6 ? so->ops->bind6(st, so, a6, port) : -EAFNOSUPPORT;
	return so->ops->connect6 ? so->ops->connect6(st, so, a6, port) : -EAFNOSUPPORT;
}

/* A v4-mapped address on an IPV6_V6ONLY socket names no IPv6 host. */
static int v6only_refuses(const struct sock *so, uint32_t addr)
{
	return so->domain == AF_INET6 && so->v6only && addr != 0;
}

int sock_bind(struct stack *st, int fd, const struct sockaddr *a, socklen_t len)
{
	struct sock *so;
	struct in6_addr a6;
	uint32_t addr;
	uint16_t port;
	int fam = sock_and_addr(st, fd, a, len, &so, &addr, &port, &a6), err;

	if (fam < 0)
		return fam;
	if (fam == AF_INET6)
		return native6(st, so, &a6, port, 1);
	if (fam != AF_INET)
		return -EAFNOSUPPORT;
	if ((addr != 0 && !ip_is_local(st, addr)) || v6only_refuses(so, addr))
		return -EADDRNOTAVAIL;
	/* ::ffff:0.0.0.0, not ::: any IPv4 address alone */
	so->v4only = so->domain == AF_INET6 && addr == 0 && in6_is_v4mapped(&a6);
	err = so->ops->bind(st, so, addr, port);
	if (err < 0)
		so->v4only = 0;
	return err;
}

int sock_listen(struct stack *st, int fd, int backlog)
{
	struct sock *so = sock_get(st, fd);

	if (so == NULL)
		return -EBADF;
	if (so->ops->listen == NULL)
		return -EOPNOTSUPP;
	return so->ops->listen(st, so, backlog);
}

int sock_accept(struct stack *st, int fd, struct sockaddr *a, socklen_t *len)
{
	struct sock *so = sock_get(st, fd), *child;
	int err, cfd;

	if (so == NULL)
		return -EBADF;
	if (so->ops->accept == NULL)
		return -EOPNOTSUPP;
	if (a != NULL && len == NULL)
		return -EFAULT;
	err = so->ops->accept(st, so, &child);
	if (err < 0)
		return err;
	cfd = install(st, child);
	if (cfd < 0) {
		child->ops->detach(st, child, 1);
		free(child);
		return cfd;
	}
	if (a != NULL)
		put_sock_addr(child, 1, a, len);
	return cfd;
}

int sock_connect(struct stack *st, int fd, const struct sockaddr *a, socklen_t len)
{
	struct sock *so;
	struct in6_addr a6;
	uint32_t addr;
	uint16_t port;
	int fam = sock_and_addr(st, fd, a, len, &so, &addr, &port, &a6);

	if (fam < 0)
		return fam;
	if (fam == AF_INET6 && port == 0 && so->ops->type == SOCK_STREAM)
		return -EADDRNOTAVAIL;
	if (fam == AF_INET6 && port == 0 && so->ops->proto == IPPROTO_UDP)
		return -EINVAL;
	if (fam == AF_INET6)
		return native6(st, so, &a6, port, 0);
	if (v6only_refuses(so, addr))
		return -ENETUNREACH;
	if (so->ops->type == SOCK_DGRAM) {
		/* a null address dissolves the association */
		if (fam == AF_UNSPEC || (addr == 0 && port == 0))
			return so->ops->connect(st, so, 0, 0);
		if (port == 0 && so->ops->proto != IPPROTO_ICMP &&
		    so->ops->proto != IPPROTO_ICMPV6)	/* echo has no ports */
			return -EINVAL;
	} else {
		if (fam != AF_INET)
			return -EAFNOSUPPORT;
		if (addr == 0 || port == 0)
			return -EADDRNOTAVAIL;
	}
	if (ip_route_ok(st, addr) < 0)
		return -ENETUNREACH;
	return so->ops->connect(st, so, addr, port);
}

ssize_t sock_sendto(struct stack *st, int fd, const void *buf, size_t len, int flags,
		    const struct sockaddr *to, socklen_t tolen)
{
	struct sock *so = sock_get(st, fd);
	struct sockaddr_in6 sin6;
	struct in6_addr a6;
	uint32_t addr;
	uint16_t port;
	int fam;

	if (so == NULL)
		return -EBADF;
	if (buf == NULL && len > 0)
		return -EFAULT;
	if (to == NULL || so->ops->type == SOCK_STREAM)
		return so->ops->send(st, so, buf, len, flags, NULL);
	fam = get_addr(so, to, tolen, &addr, &port, &a6);
	if (fam < 0)
		return fam;
	if (fam == AF_INET6 && ip6_route_ok(st, &a6) < 0)
		return -ENETUNREACH;
	if (fam == AF_INET6 && so->ops->connect6 == NULL)
		return -EAFNOSUPPORT;	/* the protocol has no IPv6 */
	if (fam != AF_INET && fam != AF_INET6)
		return -EAFNOSUPPORT;
	if (v6only_refuses(so, addr))
		return -ENETUNREACH;
	sin6 = (struct sockaddr_in6){ .sin6_family = AF_INET6, .sin6_port = htons(port),
				      .sin6_addr = a6 };
	if (fam == AF_INET)
		in6_set_v4mapped(&sin6.sin6_addr, addr);
	return so->ops->send(st, so, buf, len, flags, &sin6);
}

ssize_t sock_recvfrom(struct stack *st, int fd, void *buf, size_t len, int flags,
		      struct sockaddr *from, socklen_t *fromlen)
{
	struct sock *so = sock_get(st, fd);
	struct sockaddr_in6 sin6 = { 0 };
	ssize_t n;

	if (so == NULL)
		return -EBADF;
	if ((buf == NULL && len > 0) || (from != NULL && fromlen == NULL))
		return -EFAULT;
	n = so->ops->recv(st, so, buf, len, flags, from ? &sin6 : NULL);
	if (n >= 0 && from != NULL)
		put_from(so, &sin6, from, fromlen);
	return n;
}

ssize_t sock_peek(struct stack *st, int fd, struct iovec *iov, int *iovcnt, size_t len)
{
	struct sock *so = sock_get(st, fd);

	if (so == NULL)
		return -EBADF;
	if (iov == NULL || iovcnt == NULL || *iovcnt <= 0)
		return -EFAULT;
	if (so->ops->peek == NULL)
		return -EOPNOTSUPP;
	return so->ops->peek(st, so, iov, iovcnt, len);
}

int sock_consume(struct stack *st, int fd, size_t n)
{
	struct sock *so = sock_get(st, fd);

	if (so == NULL)
		return -EBADF;
	if (so->ops->consume == NULL)
		return -EOPNOTSUPP;
	return so->ops->consume(st, so, n);
}

ssize_t sock_fill(struct stack *st, int fd, size_t len, int flags,
		  ssize_t (*fn)(void *arg, const struct iovec *iov, int iovcnt), void *arg)
{
	struct sock *so = sock_get(st, fd);

	if (so == NULL)
		return -EBADF;
	if (fn == NULL)
		return -EFAULT;
	if (so->ops->fill == NULL)
		return -EOPNOTSUPP;
	return so->ops->fill(st, so, len, flags, fn, arg);
}

int sock_shutdown(struct stack *st, int fd, int how)
{
	struct sock *so = sock_get(st, fd);

	if (so == NULL)
		return -EBADF;
	if (how < SHUT_RD || how > NC_SHUT_ABORT)
		return -EINVAL;
	return so->ops->shutdown(st, so, how);
}

int sock_close(struct stack *st, int fd)
{
	struct sock *so = sock_get(st, fd);

	if (so == NULL)
		return -EBADF;
	release_fd(st, fd);
	so->ops->detach(st, so, so->linger == 0);
	sock_destroy(st, so);
	return 0;
}

int sock_name(struct stack *st, int fd, int peer, struct sockaddr *a, socklen_t *len)
{
	struct sock *so = sock_get(st, fd);

	if (so == NULL)
		return -EBADF;
	if (a == NULL || len == NULL)
		return -EFAULT;
	if (peer && so->faddr == 0 && so->fport == 0)
		return -ENOTCONN;
	put_sock_addr(so, peer, a, len);
	return 0;
}

/* ---- options ---- */

static int get_int(const void *val, socklen_t len, int *v)
{
	if (val == NULL || len < sizeof(int))
		return -EFAULT;
	memcpy(v, val, sizeof *v);
	return 0;
}

/* IPPROTO_IP integers may come as one byte, as Linux takes them. */
static int get_ip_int(const void *val, socklen_t len, int *v)
{
	if (len < 1)
		return -EINVAL;
	if (val == NULL)
		return -EFAULT;
	if (len >= sizeof(int))
		return get_int(val, len, v);
	*v = *(const unsigned char *)val;
	return 0;
}

static int put_int(void *val, socklen_t *len, int v)
{
	if (val == NULL || len == NULL || *len < sizeof(int))
		return -EFAULT;
	memcpy(val, &v, sizeof v);
	*len = sizeof v;
	return 0;
}

static uint32_t clamp_buf(int v)
{
	return v < SOCK_MIN_BUF ? SOCK_MIN_BUF : v > SOCK_MAX_BUF ? SOCK_MAX_BUF : (uint32_t)v;
}

/* IPPROTO_IPV6 options, on AF_INET6 sockets (ENOPROTOOPT elsewhere, as
 * Linux): IPV6_V6ONLY before bind or connect (EINVAL after), and the hop
 * limit and traffic class, which are IP_TTL's and IP_TOS's. */
static int set_ipv6(struct sock *so, int name, const void *val, socklen_t len)
{
	int v, err;

	if (so->domain != AF_INET6)
		return -ENOPROTOOPT;
	if (name != IPV6_V6ONLY && name != IPV6_UNICAST_HOPS && name != IPV6_TCLASS)
		return -ENOPROTOOPT;
	if ((err = get_int(val, len, &v)) < 0)
		return err;
	switch (name) {
	case IPV6_V6ONLY:
		if (so->lport != 0)
			return -EINVAL;
		so->v6only = v != 0;
		return 0;
	case IPV6_UNICAST_HOPS:
		if (v < -1 || v > 255)
			return -EINVAL;
		so->ttl = v <= 0 ? 0 : (uint8_t)v;
		return 0;
	default:	/* IPV6_TCLASS */
		if (v < -1 || v > 255)
			return -EINVAL;
		so->tos = v < 0 ? 0 : (uint8_t)v;
		return 0;
	}
}

int sock_setopt(struct stack *st, int fd, int level, int name, const void *val, socklen_t len)
{
	struct sock *so = sock_get(st, fd);
	struct linger lg;
	int v = 0, err;

	if (so == NULL)
		return -EBADF;
	if (level == SOL_SOCKET && name == SO_LINGER) {
		if (val == NULL || len < sizeof lg)
			return -EFAULT;
		memcpy(&lg, val, sizeof lg);
		so->linger = lg.l_onoff ? lg.l_linger : -1;
		return 0;
	}
	if (level == SOL_SOCKET && (name == SO_RCVBUF || name == SO_SNDBUF || name == SO_REUSEADDR))
		err = get_int(val, len, &v);
	else if (level == IPPROTO_IP && (name == IP_TTL || name == IP_TOS || name == IP_MTU_DISCOVER))
		err = get_ip_int(val, len, &v);
	else if (level == IPPROTO_IPV6)
		return set_ipv6(so, name, val, len);
	else
		err = 0;
	if (err < 0)
		return err;
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_RCVBUF: so->rcvbuf = clamp_buf(v); so->rcvbuf_set = 1; break;
		case SO_SNDBUF: so->sndbuf = clamp_buf(v); so->sndbuf_set = 1; break;
		case SO_REUSEADDR: so->reuseaddr = v != 0; return 0;
		}
	} else if (level == IPPROTO_IP) {
		switch (name) {
		case IP_TTL:
			if (v < -1 || v == 0 || v > 255)
				return -EINVAL;
			so->ttl = v < 0 ? 0 : (uint8_t)v;
			return 0;
		case IP_TOS:
			so->tos = (uint8_t)v;
			return 0;
		case IP_MTU_DISCOVER:
			/* accepted and reported for programs that set it; there
			 * is no path MTU discovery yet whatever the mode (TCP
			 * always sends with DF, UDP without) */
			if (v < IP_PMTUDISC_DONT || v > IP_PMTUDISC_OMIT)
				return -EINVAL;
			so->pmtudisc = (uint8_t)v;
			return 0;
		}
	}
	/* the protocol may act on buffer sizes too; others are its own */
	err = so->ops->setopt ? so->ops->setopt(st, so, level, name, val, len) : -ENOPROTOOPT;
	if (level == SOL_SOCKET && (name == SO_RCVBUF || name == SO_SNDBUF) && err == -ENOPROTOOPT)
		return 0;
	return err;
}

/* A buffer size set by setsockopt reads back doubled, as on Linux, which
 * doubles it to allow for its own bookkeeping and reports that; programs
 * and test suites expect the doubled value. netcore's buffer holds the
 * size set. */
static int reported_buf(uint32_t size, int set)
{
	return set ? 2 * (int)size : (int)size;
}

int sock_getopt(struct stack *st, int fd, int level, int name, void *val, socklen_t *len)
{
	struct sock *so = sock_get(st, fd);
	struct linger lg;
	size_t n;
	int err;

	if (so == NULL)
		return -EBADF;
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_ERROR:
			err = put_int(val, len, so->error);
			if (err == 0)
				sock_take_error(so);
			return err;
		case SO_TYPE: return put_int(val, len, so->ops->type);
		case SO_RCVBUF: return put_int(val, len, reported_buf(so->rcvbuf, so->rcvbuf_set));
		case SO_SNDBUF: return put_int(val, len, reported_buf(so->sndbuf, so->sndbuf_set));
		case SO_REUSEADDR: return put_int(val, len, so->reuseaddr);
		case NC_SO_NREAD: return put_int(val, len, so->ops->nread ? (int)so->ops->nread(st, so) : 0);
		case SO_LINGER:
			if (val == NULL || len == NULL || *len < sizeof lg)
				return -EFAULT;
			lg.l_onoff = so->linger >= 0;
			lg.l_linger = so->linger >= 0 ? so->linger : 0;
			memcpy(val, &lg, sizeof lg);
			*len = sizeof lg;
			return 0;
		}
	} else if (level == IPPROTO_IP) {
		switch (name) {
		case IP_TTL: return put_int(val, len, so->ttl ? so->ttl : IP_DEFTTL);
		case IP_TOS: return put_int(val, len, so->tos);
		case IP_MTU_DISCOVER: return put_int(val, len, so->pmtudisc);
		}
	} else if (level == IPPROTO_IPV6 && so->domain == AF_INET6) {
		switch (name) {
		case IPV6_V6ONLY: return put_int(val, len, so->v6only);
		case IPV6_UNICAST_HOPS: return put_int(val, len, so->ttl ? so->ttl : IP6_DEFHLIM);
		case IPV6_TCLASS: return put_int(val, len, so->tos);
		}
	}
	if (so->ops->getopt == NULL)
		return -ENOPROTOOPT;
	if (val == NULL || len == NULL)
		return -EFAULT;
	n = *len;
	err = so->ops->getopt(st, so, level, name, val, &n);
	if (err == 0)
		*len = (socklen_t)n;
	return err;
}

int sock_set_nonblock(struct stack *st, int fd, int on)
{
	struct sock *so = sock_get(st, fd);

	if (so == NULL)
		return -EBADF;
	so->nonblock = on != 0;
	return 0;
}

/* ---- readiness ---- */

short sock_poll(struct stack *st, int fd)
{
	struct sock *so = sock_get(st, fd);

	if (so == NULL)
		return POLLNVAL;
	return so->ops->poll(st, so);
}

int sock_set_cb(struct stack *st, int fd, void (*cb)(void *, int, short), void *arg)
{
	struct sock *so = sock_get(st, fd);

	if (so == NULL)
		return -EBADF;
	so->cb = cb;
	so->cb_arg = arg;
	return 0;
}

void sock_event(struct stack *st, struct sock *so)
{
	if (so->dirty)
		return;
	so->dirty = 1;
	so->next_dirty = st->socks->dirty;
	st->socks->dirty = so;
}

int sock_take_error(struct sock *so)
{
	int err = so->error;

	so->error = 0;
	return err;
}

void sock_set_error(struct stack *st, struct sock *so, int err)
{
	so->error = err;
	sock_event(st, so);
}

/*
 * Deliver the gathered events. A callback may close sockets (they unlink
 * themselves from both lists) or cause new events; those are delivered
 * in a few more rounds, then left for the next flush so that a callback
 * that always makes a new event cannot hold the loop.
 */
void sock_flush(struct stack *st)
{
	struct socktab *t = st->socks;
	int any = 0;

	for (int round = 0; round < FLUSH_ROUNDS && t->dirty; round++) {
		t->flushing = t->dirty;
		t->dirty = NULL;
		while (t->flushing) {
			struct sock *so = t->flushing;
			t->flushing = so->next_dirty;
			so->dirty = 0;
			any = 1;
			if (so->cb && so->fd >= 0)
				so->cb(so->cb_arg, so->fd, so->ops->poll(st, so));
		}
	}
	if (any && st->wake)
		st->wake(st->wake_arg);
}

int sock_bind_port(struct stack *st, uint16_t port, int (*in_use)(struct stack *, uint16_t),
		   int taken)
{
	if (port != 0)
		return taken ? -EADDRINUSE : port;
	port = sock_ephemeral(st, 0, 0, in_use);
	return port ? port : -EADDRNOTAVAIL;
}

/*
 * RFC 6056's double-hash port selection (algorithm 3): each destination
 * starts at its own secret offset, and a step counter shared by the
 * destinations that hash alike moves on by one with every port tried.
 * Ports to one destination thus come in turn, so the one just freed (that
 * the peer may still hold in TIME_WAIT) is the last to come again, and
 * nobody can guess the next port of another destination.
 */
uint16_t sock_ephemeral(struct stack *st, uint32_t faddr, uint16_t fport,
			int (*in_use)(struct stack *, uint16_t))
{
	unsigned range = EPHEMERAL_HI - EPHEMERAL_LO + 1;
	uint64_t dst = (uint64_t)faddr << 16 | fport;
	uint32_t offset = (uint32_t)stack_hash(st, HASH_PORT_OFFSET, dst, st->addr);
	uint16_t *step = &st->port_step[stack_hash(st, HASH_PORT_STEP, dst, st->addr) %
					(sizeof st->port_step / sizeof st->port_step[0])];

	for (unsigned i = 0; i < range; i++) {
		uint16_t port = (uint16_t)(EPHEMERAL_LO + (offset + *step) % range);
		(*step)++;
		if (!in_use(st, port))
			return port;
	}
	return 0;
}

/* ---- sockets by local port ---- */

static struct sock **port_chain(struct porthash *h, uint16_t port)
{
	return &h->chain[port % PORTHASH_SIZE];
}

void porthash_add(struct porthash *h, struct sock *so)
{
	struct sock **c = port_chain(h, so->lport);

	so->next_port = *c;
	*c = so;
}

void porthash_del(struct porthash *h, struct sock *so)
{
	for (struct sock **p = port_chain(h, so->lport); *p; p = &(*p)->next_port) {
		if (*p == so) {
			*p = so->next_port;
			return;
		}
	}
}

struct sock *porthash_first(const struct porthash *h, uint16_t port)
{
	return h->chain[port % PORTHASH_SIZE];
}

int porthash_used(const struct porthash *h, uint16_t port)
{
	for (const struct sock *so = porthash_first(h, port); so; so = so->next_port)
		if (so->lport == port)
			return 1;
	return 0;
}
