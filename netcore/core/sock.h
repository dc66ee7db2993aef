/*
 * Sockets inside the core: the descriptor table, the generic half of the
 * API (address checks, errno, options every protocol shares), readiness
 * events, and a table of operations each protocol fills (as Plan 9's
 * struct Proto). Calls return >= 0, or a negative errno; api.c turns that
 * into -1/errno and adds blocking on top. Deterministic, like the rest.
 */
#ifndef NETCORE_SOCK_H
#define NETCORE_SOCK_H

#include <netcore/netcore.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

struct stack;
struct sock;

/* Where a send goes (dgram sendto) or a recv came from: a plain
 * struct sockaddr_in6, network byte order as everywhere in POSIX (unlike
 * the host-order addresses inside the core), an IPv4 address as
 * ::ffff:a.b.c.d whatever the socket's family (sock.c converts). */
struct sockaddr_in6;

struct sockops {
	int type;		/* SOCK_STREAM, SOCK_DGRAM */
	int proto;		/* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP */
	int (*attach)(struct stack *st, struct sock *so);
	/* The descriptor is closed. abort: SO_LINGER 0 (send RST). The
	 * protocol lets go of so (it is freed right after) and may keep its
	 * own state alive, e.g. to send queued data, FIN, TIME_WAIT. */
	void (*detach)(struct stack *st, struct sock *so, int abort);
	int (*bind)(struct stack *st, struct sock *so, uint32_t addr, uint16_t port);
	int (*listen)(struct stack *st, struct sock *so, int backlog);
	/* A connection ready on listener so: fill *out (a new sock whose
	 * protocol state is attached) or -EAGAIN. */
	int (*accept)(struct stack *st, struct sock *so, struct sock **out);
	/* addr/port already checked: not a null address, family right.
	 * Null (dissolve) arrives as addr 0, port 0 for datagram sockets. */
	int (*connect)(struct stack *st, struct sock *so, uint32_t addr, uint16_t port);
	/* The same to an IPv6 address (not v4-mapped, not ::; checked: ours
	 * for bind, routed for connect). NULL: the protocol has no IPv6. */
	int (*bind6)(struct stack *st, struct sock *so, const struct in6_addr *addr,
		     uint16_t port);
	int (*connect6)(struct stack *st, struct sock *so, const struct in6_addr *addr,
			uint16_t port);
	/* Non-blocking: as much as fits, or -EAGAIN. to may be NULL; flags
	 * as send(2)'s (TCP reads MSG_MORE). */
	ssize_t (*send)(struct stack *st, struct sock *so, const void *buf, size_t len,
			int flags, const struct sockaddr_in6 *to);
	/* Non-blocking: -EAGAIN when nothing; from may be NULL. */
	ssize_t (*recv)(struct stack *st, struct sock *so, void *buf, size_t len, int flags,
			struct sockaddr_in6 *from);
	/* Stream only (may be NULL): see nc_recv_peek/nc_recv_consume. */
	ssize_t (*peek)(struct stack *st, struct sock *so, struct iovec *iov, int *iovcnt,
			size_t len);
	int (*consume)(struct stack *st, struct sock *so, size_t n);
	/* Stream only (may be NULL): see nc_send_fill. */
	ssize_t (*fill)(struct stack *st, struct sock *so, size_t len, int flags,
			ssize_t (*fn)(void *arg, const struct iovec *iov, int iovcnt), void *arg);
	int (*shutdown)(struct stack *st, struct sock *so, int how);
	/* Bytes queued for reading (NC_SO_NREAD). */
	size_t (*nread)(struct stack *st, struct sock *so);
	/* Current readiness: POLLIN POLLOUT POLLHUP POLLERR (POLLRDHUP). */
	short (*poll)(struct stack *st, struct sock *so);
	/* Options not handled by sock.c; -ENOPROTOOPT if unknown. */
	int (*setopt)(struct stack *st, struct sock *so, int level, int name,
		      const void *val, size_t len);
	int (*getopt)(struct stack *st, struct sock *so, int level, int name,
		      void *val, size_t *len);
};

struct sock {
	int fd;
	const struct sockops *ops;
	void *pcb;		/* the protocol's control block */
	int nonblock;
	uint8_t domain;		/* AF_INET, or AF_INET6: addresses in the API are
				 * sockaddr_in6, IPv4 ones as ::ffff:a.b.c.d */
	uint8_t v6only;		/* IPV6_V6ONLY: no IPv4 peers */
	uint8_t v4only;		/* AF_INET6 bound to ::ffff:0.0.0.0: no IPv6
				 * peers (Linux's rule) */
	int linger;		/* SO_LINGER seconds, -1 off; 0 means close = RST */
	int reuseaddr;		/* SO_REUSEADDR */
	int error;		/* pending SO_ERROR (positive errno), 0 none */
	uint8_t ttl, tos;	/* 0: defaults */
	uint8_t pmtudisc;	/* IP_MTU_DISCOVER, kept and reported only */
	uint32_t rcvbuf, sndbuf;	/* limits, bytes */
	uint8_t rcvbuf_set, sndbuf_set;	/* by setsockopt: reported doubled */
	uint32_t laddr, faddr;	/* host order; filled by the protocol */
	uint16_t lport, fport;
	uint8_t v6;		/* the addresses are IPv6: laddr6, faddr6 (laddr,
				 * faddr 0); else IPv4, laddr 0 being any address
				 * of either family on a dual-stack socket */
	struct in6_addr laddr6, faddr6;

	struct sock *next_port;	/* chain in its protocol's porthash */

	/* events: on the stack's dirty list until stack_flush() */
	struct sock *next_dirty;
	int dirty;
	void (*cb)(void *arg, int s, short revents);
	void *cb_arg;
};

/* Which families' peers so may have: an AF_INET socket IPv4's; an
 * AF_INET6 one both, but IPv6's alone with IPV6_V6ONLY and IPv4's alone
 * once bound to ::ffff:0.0.0.0. Two sockets on one port whose families
 * do not meet (an AF_INET one on 0.0.0.0 and an IPv6-only one on ::, a
 * common way for a server to take both) do not clash. */
static inline int sock_takes_v4(const struct sock *so)
{
	return so->domain == AF_INET || !so->v6only;
}

static inline int sock_takes_v6(const struct sock *so)
{
	return so->domain == AF_INET6 && !so->v4only;
}

static inline int sock_families_meet(const struct sock *a, const struct sock *b)
{
	return (sock_takes_v4(a) && sock_takes_v4(b)) || (sock_takes_v6(a) && sock_takes_v6(b));
}

/* Socket-layer constants. */
enum {
	SOCK_DEF_BUF = 1024 * 1024,	/* default SO_RCVBUF / SO_SNDBUF */
	SOCK_DGRAM_RCVBUF = 4 * 1024 * 1024,	/* a UDP socket's default SO_RCVBUF */
	SOCK_STREAM_SNDBUF = 2 * 1024 * 1024,	/* a TCP socket's default SO_SNDBUF */
	SOCK_MAX_BUF = 8 * 1024 * 1024,	/* window scale 8, as Linux offers */
	SOCK_MIN_BUF = 2048,
	EPHEMERAL_LO = 32768,
	EPHEMERAL_HI = 60999,
};

/* Table */
int sock_init(struct stack *st);
void sock_fini(struct stack *st);	/* aborts and frees everything */
struct sock *sock_get(struct stack *st, int fd);	/* NULL if not open */
int sock_count(const struct stack *st);	/* descriptors open */

/* The API, core half. Each returns >= 0 or -errno. */
int sock_socket(struct stack *st, int domain, int type, int protocol);
int sock_bind(struct stack *st, int fd, const struct sockaddr *a, socklen_t len);
int sock_listen(struct stack *st, int fd, int backlog);
int sock_accept(struct stack *st, int fd, struct sockaddr *a, socklen_t *len);
int sock_connect(struct stack *st, int fd, const struct sockaddr *a, socklen_t len);
ssize_t sock_sendto(struct stack *st, int fd, const void *buf, size_t len, int flags,
		    const struct sockaddr *to, socklen_t tolen);
ssize_t sock_recvfrom(struct stack *st, int fd, void *buf, size_t len, int flags,
		      struct sockaddr *from, socklen_t *fromlen);
ssize_t sock_peek(struct stack *st, int fd, struct iovec *iov, int *iovcnt, size_t len);
int sock_consume(struct stack *st, int fd, size_t n);
ssize_t sock_fill(struct stack *st, int fd, size_t len, int flags,
		  ssize_t (*fn)(void *arg, const struct iovec *iov, int iovcnt), void *arg);
int sock_shutdown(struct stack *st, int fd, int how);
int sock_close(struct stack *st, int fd);
int sock_name(struct stack *st, int fd, int peer, struct sockaddr *a, socklen_t *len);
int sock_setopt(struct stack *st, int fd, int level, int name, const void *val, socklen_t len);
int sock_getopt(struct stack *st, int fd, int level, int name, void *val, socklen_t *len);
int sock_set_nonblock(struct stack *st, int fd, int on);
short sock_poll(struct stack *st, int fd);	/* POLLNVAL if not open */
int sock_set_cb(struct stack *st, int fd, void (*cb)(void *, int, short), void *arg);

/* For protocols. */
/* Something about so changed (data, state, error): deliver at flush. */
void sock_event(struct stack *st, struct sock *so);
/* A new sock for an accepted connection (no descriptor yet if table full:
 * NULL). The protocol fills pcb and addresses. */
struct sock *sock_new_child(struct stack *st, const struct sock *listener);
/* (sock_new_child copies nonblock, options and cb-less state from the
 * listener; the child gets a descriptor only when accepted.) */
/* Free a child that was never accepted (the protocol has let go of it). */
void sock_free_child(struct stack *st, struct sock *so);
/* Take the pending error (0 if none), clearing it, as SO_ERROR does. */
int sock_take_error(struct sock *so);
/* Record a pending error (SO_ERROR) and raise an event. */
void sock_set_error(struct stack *st, struct sock *so, int err);
/* Pick a free ephemeral port for talking to faddr!fport (0!0 when the
 * peer is not known yet); in_use(st, port) tells which are taken.
 * 0 when every port is taken. */
uint16_t sock_ephemeral(struct stack *st, uint32_t faddr, uint16_t fport,
			int (*in_use)(struct stack *, uint16_t));
/* Sockets by local port: the chained hash a datagram protocol keeps of
 * its bound sockets (UDP ports, echo ids). */
enum { PORTHASH_SIZE = 256 };
struct porthash {
	struct sock *chain[PORTHASH_SIZE];
};
void porthash_add(struct porthash *h, struct sock *so);	/* by so->lport */
void porthash_del(struct porthash *h, struct sock *so);
/* First socket of port's chain: follow ->next_port, checking ->lport. */
struct sock *porthash_first(const struct porthash *h, uint16_t port);
int porthash_used(const struct porthash *h, uint16_t port);
/* The port a bind gets: port itself unless taken (-EADDRINUSE), or for
 * port 0 a free ephemeral one (-EADDRNOTAVAIL when none is). */
int sock_bind_port(struct stack *st, uint16_t port, int (*in_use)(struct stack *, uint16_t),
		   int taken);
/* Deliver events of every dirty socket (called by stack_flush). */
void sock_flush(struct stack *st);

/* Protocol tables, defined by tcp.c, udp.c, ping.c; stack.c lists them. */
extern const struct sockops tcp_sockops;
extern const struct sockops udp_sockops;
extern const struct sockops icmp_sockops;
extern const struct sockops icmp6_sockops;

#endif
