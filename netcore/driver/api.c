/*
 * The public API (include/netcore/netcore.h), once a stack is open
 * (open.c): running it, the nc_* socket calls, and the descriptors the
 * loop watches for its user. Each call takes the stack lock, runs
 * the core's non-blocking operation, and for a blocking socket waits on
 * the stack's condition variable until the loop reports an event. The
 * loop's own thread never blocks here: callbacks use non-blocking sockets.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver.h"
#include "ip.h"
#include "loopback.h"
#include "sock.h"
#include "stack.h"

/* ---- locking ---- */

void api_lock(struct nc_stack *s)
{
	pthread_mutex_lock(&s->lock);
}

/* A call from another thread may have armed an earlier timer or raised
 * events: deliver them and let the loop see the new deadline. Done
 * whenever such a thread lets go of the lock: at the end of a call, and
 * before it waits inside one (a blocking connect armed its SYN timer). */
static void hand_back(struct nc_stack *s)
{
	if (!loop_is_current(s) && s->core) {
		stack_flush(s->core);
		if (stack_deadline(s->core) < s->armed)
			loop_poke(s);
	}
}

void api_unlock(struct nc_stack *s)
{
	hand_back(s);
	pthread_mutex_unlock(&s->lock);
}

/* Wait for the next event, until deadline (µs, UINT64_MAX: none). */
static int wait_event(struct nc_stack *s, uint64_t deadline)
{
	struct timespec ts;

	if (loop_is_current(s))
		return -EWOULDBLOCK;
	if (s->stopping)
		return -ESHUTDOWN;
	hand_back(s);
	if (deadline == UINT64_MAX)
		return -pthread_cond_wait(&s->cond, &s->lock);
	ts.tv_sec = (time_t)(deadline / 1000000);
	ts.tv_nsec = (long)(deadline % 1000000) * 1000;
	return -pthread_cond_timedwait(&s->cond, &s->lock, &ts);
}

static int blocking(struct nc_stack *s, int fd, int flags)
{
	struct sock *so = sock_get(s->core, fd);

	return so && !so->nonblock && !(flags & MSG_DONTWAIT);
}

static long result(long r)
{
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

/* The end of a call: leave the lock, and give the core's result as the
 * API does (-1 and errno for a negative errno). */
static long leave(struct nc_stack *s, long r)
{
	api_unlock(s);
	return result(r);
}

int nc_run(struct nc_stack *s)
{
	if (s->has_thread) {
		errno = EBUSY;
		return -1;
	}
	return loop_run(s);
}

void nc_stop(struct nc_stack *s)
{
	pthread_mutex_lock(&s->lock);
	s->stopping = 1;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	loop_poke(s);
}

/* ---- sockets ---- */

int nc_socket(struct nc_stack *s, int domain, int type, int protocol)
{
	api_lock(s);
	return (int)leave(s, sock_socket(s->core, domain, type, protocol));
}

int nc_bind(struct nc_stack *s, int fd, const struct sockaddr *a, socklen_t len)
{
	api_lock(s);
	return (int)leave(s, sock_bind(s->core, fd, a, len));
}

int nc_listen(struct nc_stack *s, int fd, int backlog)
{
	api_lock(s);
	return (int)leave(s, sock_listen(s->core, fd, backlog));
}

int nc_accept(struct nc_stack *s, int fd, struct sockaddr *a, socklen_t *len)
{
	long r;

	api_lock(s);
	while ((r = sock_accept(s->core, fd, a, len)) == -EAGAIN && blocking(s, fd, 0)) {
		int w = wait_event(s, UINT64_MAX);
		if (w < 0) {
			r = w;
			break;
		}
	}
	return (int)leave(s, r);
}

/* A blocking connect waits for the handshake to end, then reports its
 * outcome the way SO_ERROR does. */
int nc_connect(struct nc_stack *s, int fd, const struct sockaddr *name, socklen_t namelen)
{
	long r;

	api_lock(s);
	r = sock_connect(s->core, fd, name, namelen);
	if (r == -EINPROGRESS && blocking(s, fd, 0)) {
		loop_input_now(s);
		for (;;) {
			short ev = sock_poll(s->core, fd);
			struct sock *so = sock_get(s->core, fd);
			if (ev & (POLLOUT | POLLERR | POLLHUP | POLLNVAL)) {
				r = so == NULL ? -EBADF : -sock_take_error(so);
				break;
			}
			r = wait_event(s, UINT64_MAX);
			if (r < 0)
				break;
		}
	}
	return (int)leave(s, r);
}

ssize_t nc_sendto(struct nc_stack *s, int fd, const void *buf, size_t len, int flags,
		  const struct sockaddr *to, socklen_t tolen)
{
	const char *p = buf;
	size_t done = 0;
	long r;

	api_lock(s);
	for (;;) {
		r = sock_sendto(s->core, fd, p + done, len - done, flags, to, tolen);
		if (r > 0)
			done += (size_t)r;
		struct sock *so = sock_get(s->core, fd);
		if (so == NULL || so->ops->type != SOCK_STREAM || done == len)
			break;
		if (r < 0 && r != -EAGAIN)
			break;
		if (r == -EAGAIN && !blocking(s, fd, flags))
			break;
		if (r == -EAGAIN) {
			int w = wait_event(s, UINT64_MAX);
			if (w < 0) {
				r = w;
				break;
			}
		}
	}
	api_unlock(s);
	if (done > 0)
		return (ssize_t)done;
	return result(r);
}

ssize_t nc_send(struct nc_stack *s, int fd, const void *buf, size_t len, int flags)
{
	return nc_sendto(s, fd, buf, len, flags, NULL, 0);
}

ssize_t nc_recvfrom(struct nc_stack *s, int fd, void *buf, size_t len, int flags,
		    struct sockaddr *from, socklen_t *fromlen)
{
	cpu_set_t was;
	int stays = 0;
	long r;

	api_lock(s);
	while ((r = sock_recvfrom(s->core, fd, buf, len, flags, from, fromlen)) == -EAGAIN &&
	       blocking(s, fd, flags)) {
		if (!stays)
			stays = reader_stay(s, &was);
		int w = wait_event(s, UINT64_MAX);
		if (w < 0) {
			r = w;
			break;
		}
	}
	if (stays)
		reader_return(&was);
	return leave(s, r);
}

ssize_t nc_recv(struct nc_stack *s, int fd, void *buf, size_t len, int flags)
{
	return nc_recvfrom(s, fd, buf, len, flags, NULL, NULL);
}

ssize_t nc_recv_peek(struct nc_stack *s, int fd, struct iovec *iov, int *iovcnt, size_t len)
{
	api_lock(s);
	return leave(s, sock_peek(s->core, fd, iov, iovcnt, len));
}

int nc_recv_consume(struct nc_stack *s, int fd, size_t n)
{
	api_lock(s);
	return (int)leave(s, sock_consume(s->core, fd, n));
}

ssize_t nc_send_fill(struct nc_stack *s, int fd, size_t len, int flags,
		     ssize_t (*fill)(void *arg, const struct iovec *iov, int iovcnt), void *arg)
{
	api_lock(s);
	return leave(s, sock_fill(s->core, fd, len, flags, fill, arg));
}

int nc_shutdown(struct nc_stack *s, int fd, int how)
{
	api_lock(s);
	return (int)leave(s, sock_shutdown(s->core, fd, how));
}

int nc_close(struct nc_stack *s, int fd)
{
	api_lock(s);
	return (int)leave(s, sock_close(s->core, fd));
}

int nc_getsockname(struct nc_stack *s, int fd, struct sockaddr *a, socklen_t *len)
{
	api_lock(s);
	return (int)leave(s, sock_name(s->core, fd, 0, a, len));
}

int nc_getpeername(struct nc_stack *s, int fd, struct sockaddr *a, socklen_t *len)
{
	api_lock(s);
	return (int)leave(s, sock_name(s->core, fd, 1, a, len));
}

int nc_setsockopt(struct nc_stack *s, int fd, int level, int name, const void *val,
		  socklen_t len)
{
	api_lock(s);
	return (int)leave(s, sock_setopt(s->core, fd, level, name, val, len));
}

int nc_getsockopt(struct nc_stack *s, int fd, int level, int name, void *val, socklen_t *len)
{
	api_lock(s);
	return (int)leave(s, sock_getopt(s->core, fd, level, name, val, len));
}

int nc_set_nonblock(struct nc_stack *s, int fd, int on)
{
	api_lock(s);
	return (int)leave(s, sock_set_nonblock(s->core, fd, on));
}

int nc_set_event_cb(struct nc_stack *s, int fd, void (*cb)(void *, int, short), void *arg)
{
	api_lock(s);
	if (cb)
		s->event_cbs = 1;	/* no input on a program's thread from now on (loop.c) */
	return (int)leave(s, sock_set_cb(s->core, fd, cb, arg));
}

static int poll_once(struct nc_stack *s, struct nc_pollfd *fds, nfds_t n)
{
	int ready = 0;

	for (nfds_t i = 0; i < n; i++) {
		short ev = fds[i].fd < 0 ? 0 : sock_poll(s->core, fds[i].fd);
		fds[i].revents = ev & (fds[i].events | POLLERR | POLLHUP | POLLNVAL);
		ready += fds[i].revents != 0;
	}
	return ready;
}

int nc_poll(struct nc_stack *s, struct nc_pollfd *fds, nfds_t n, int timeout_ms)
{
	uint64_t deadline = timeout_ms < 0 ? UINT64_MAX : clock_now() + (uint64_t)timeout_ms * 1000;
	long r;

	if (fds == NULL && n > 0)
		return (int)result(-EFAULT);
	api_lock(s);
	while ((r = poll_once(s, fds, n)) == 0 && timeout_ms != 0) {
		int w = wait_event(s, deadline);
		if (w == -ETIMEDOUT)
			break;
		if (w < 0) {
			r = w;
			break;
		}
	}
	return (int)leave(s, r);
}

/* ---- descriptors the loop watches for its user (the FUSE session) ---- */

int nc_loop_watch(struct nc_stack *s, int fd, void (*ready)(void *), void *arg)
{
	struct watch *w;
	int ret = -1;

	if (fd < 0 || ready == NULL) {
		errno = fd < 0 ? EBADF : EINVAL;
		return -1;
	}
	api_lock(s);
	w = realloc(s->watches, (s->nwatch + 1) * sizeof *w);
	if (w == NULL) {
		errno = ENOMEM;
	} else {
		s->watches = w;
		if (loop_add_fd(s, fd) == 0) {
			w[s->nwatch++] = (struct watch){ fd, ready, arg };
			ret = 0;
		}
	}
	api_unlock(s);
	return ret;
}

int nc_loop_unwatch(struct nc_stack *s, int fd)
{
	int ret = -1;

	api_lock(s);
	errno = ENOENT;
	for (int i = 0; i < s->nwatch; i++) {
		if (s->watches[i].fd == fd) {
			s->watches[i] = s->watches[--s->nwatch];
			loop_del_fd(s, fd);
			ret = 0;
			break;
		}
	}
	api_unlock(s);
	return ret;
}

/* ---- interface, routes, counters ---- */

static void put_ifstats(struct nc_ifinfo *out, const struct ifstats *ifs)
{
	out->ipackets = ifs->ipackets;
	out->ibytes = ifs->ibytes;
	out->opackets = ifs->opackets;
	out->obytes = ifs->obytes;
	out->ierrors = ifs->ierrors;
	out->oerrors = ifs->oerrors;
}

int nc_ifinfo_n(struct nc_stack *s, int n, struct nc_ifinfo *out)
{
	struct stack *c;
	struct ifstats lo;

	if (n < 0 || n > 1) {
		errno = ENOENT;
		return -1;
	}
	api_lock(s);
	c = s->core;
	memset(out, 0, sizeof *out);
	if (n == 0) {
		snprintf(out->name, sizeof out->name, "%s", s->tun);
		out->addr.s_addr = htonl(c->addr);
		for (int i = 0; i < c->nroutes; i++)	/* the default route's gateway */
			if (c->routes[i].prefix == 0)
				out->gw.s_addr = htonl(c->routes[i].gw);
		out->prefix = c->prefix;
		out->mtu = c->mtu;
		if (c->ip6_on) {
			out->addr6 = c->addr6;
			out->gw6 = c->gw6;
			out->prefix6 = c->prefix6;
		}
		put_ifstats(out, &c->ifs);
	} else {
		snprintf(out->name, sizeof out->name, "loopback");
		out->addr.s_addr = htonl(LOOPBACK_ADDR);
		out->prefix = LOOPBACK_PREFIX;
		out->mtu = LOOPBACK_MTU;
		if (c->ip6_on) {
			out->addr6.s6_addr[15] = 1;	/* ::1 */
			out->prefix6 = 128;
		}
		loopback_stats(c, &lo);
		put_ifstats(out, &lo);
	}
	api_unlock(s);
	return 0;
}

int nc_ifinfo(struct nc_stack *s, struct nc_ifinfo *out)
{
	return nc_ifinfo_n(s, 0, out);
}

int nc_routes(struct nc_stack *s, struct nc_route *out, int max)
{
	int n;

	api_lock(s);
	n = s->core->nroutes;
	for (int i = 0; i < n && i < max; i++) {
		const struct route *r = &s->core->routes[i];
		out[i].dst.s_addr = htonl(r->dst);
		out[i].prefix = r->prefix;
		out[i].gw.s_addr = htonl(r->gw);
	}
	api_unlock(s);
	return n;
}

int nc_route_add(struct nc_stack *s, struct in_addr dst, int prefix, struct in_addr gw)
{
	uint32_t g = ntohl(gw.s_addr);
	long r;

	api_lock(s);
	r = prefix < 0 || prefix > 32 || g == 0 ? -EINVAL :
	    !route_connected(s->core, g) ? -ENETUNREACH :
	    route_add(s->core, ntohl(dst.s_addr), prefix, g);
	return (int)leave(s, r);
}

int nc_route_del(struct nc_stack *s, struct in_addr dst, int prefix)
{
	api_lock(s);
	return (int)leave(s, prefix < 0 || prefix > 32 ? -EINVAL :
			     route_del(s->core, ntohl(dst.s_addr), prefix));
}

int nc_route_flush(struct nc_stack *s)
{
	api_lock(s);
	route_flush(s->core);
	return (int)leave(s, 0);
}

int nc_ifaddrs(struct nc_stack *s, struct nc_ifaddr *out, int max)
{
	int n;

	api_lock(s);
	n = s->core->naddrs;
	for (int i = 0; i < n && i < max; i++) {
		const struct lifc *a = &s->core->addrs[i];
		out[i].addr.s_addr = htonl(a->addr);
		out[i].remote.s_addr = htonl(a->remote);
		out[i].prefix = a->prefix;
	}
	api_unlock(s);
	return n;
}

/* The host's route to the network of addr/prefix, unless it is the
 * network nc_open configured (the host has that one already). */
static int host_route(struct nc_stack *s, uint32_t addr, int prefix, int add)
{
	uint32_t mask = prefix_mask(prefix), net = addr & mask;
	uint32_t own = ntohl(s->cfg.addr.s_addr) & prefix_mask(s->cfg.prefix);

	if (s->cfg.no_config || (prefix == s->cfg.prefix && net == own))
		return 0;
	return nl_net_route(s->tun, (struct in_addr){ htonl(net) }, prefix, add);
}

int nc_addr_add(struct nc_stack *s, struct in_addr addr, int prefix, struct in_addr remote)
{
	uint32_t a = ntohl(addr.s_addr);
	long r;

	api_lock(s);
	r = ifaddr_add(s->core, a, prefix, ntohl(remote.s_addr));
	if (r == 0 && host_route(s, a, prefix, 1) < 0) {
		ifaddr_del(s->core, a, prefix);
		r = -EIO;
	}
	return (int)leave(s, r);
}

int nc_addr_del(struct nc_stack *s, struct in_addr addr, int prefix)
{
	uint32_t a = ntohl(addr.s_addr);
	long r;

	api_lock(s);
	r = ifaddr_del(s->core, a, prefix);
	if (r == 0 && !route_connected(s->core, a))
		host_route(s, a, prefix, 0);	/* best effort: the stack is done */
	return (int)leave(s, r);
}

int nc_set_mtu(struct nc_stack *s, int mtu)
{
	long r;

	api_lock(s);
	r = stack_set_mtu(s->core, mtu);
	if (r == 0 && !s->cfg.no_config)
		r = nl_set_mtu(s->tun, mtu);
	return (int)leave(s, r);
}

_Static_assert((int)LOG_IP == NC_LOG_IP && (int)LOG_ICMP == NC_LOG_ICMP &&
	       (int)LOG_UDP == NC_LOG_UDP && (int)LOG_TCP == NC_LOG_TCP,
	       "the core's log flags are the API's");

/* The core's log hook: its event in the API's terms. */
static void log_event(void *arg, const struct log_event *ev)
{
	struct nc_stack *s = arg;

	s->log(s->log_arg, &(struct nc_log_event){
		.time_us = s->core->now, .proto = ev->proto, .what = ev->what, .why = ev->why,
		.src.s_addr = htonl(ev->src), .dst.s_addr = htonl(ev->dst),
		.sport = ev->sport, .dport = ev->dport, .from = ev->from, .to = ev->to,
		.type = ev->type, .code = ev->code });
}

int nc_set_log(struct nc_stack *s, unsigned mask,
	       void (*cb)(void *arg, const struct nc_log_event *ev), void *arg)
{
	api_lock(s);
	s->log = cb;
	s->log_arg = arg;
	s->core->log_mask = cb ? mask & (NC_LOG_IP | NC_LOG_ICMP | NC_LOG_UDP | NC_LOG_TCP) : 0;
	s->core->log = log_event;
	s->core->log_arg = s;
	return (int)leave(s, 0);
}

int nc_routes6(struct nc_stack *s, struct nc_route6 *out, int max)
{
	int n;

	api_lock(s);
	n = s->core->nroutes6;
	for (int i = 0; i < n && i < max; i++) {
		const struct route6 *r = &s->core->routes6[i];
		out[i] = (struct nc_route6){ r->dst, r->prefix, r->gw };
	}
	api_unlock(s);
	return n;
}

int nc_stats(struct nc_stack *s, int proto, struct nc_stat *out, int max)
{
	api_lock(s);
	return (int)leave(s, stack_stats(s->core, proto, out, max));
}

const char *nc_tcp_state_name(int state)
{
	static const char *const names[] = {
		"Closed", "Listen", "Syn_sent", "Syn_received", "Established", "Finwait1",
		"Finwait2", "Close_wait", "Closing", "Last_ack", "Time_wait",
	};

	if (state < 0 || state >= (int)(sizeof names / sizeof names[0]))
		return "Unknown";
	return names[state];
}
