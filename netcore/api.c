/*
 * The public API (include/netcore/netcore.h): opening and closing a
 * stack, and the nc_* socket calls. Each call takes the stack lock, runs
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
#include "sock.h"
#include "stack.h"

static __thread char open_error[256];

const char *nc_error(void)
{
	return open_error;
}

void nc_config_init(struct nc_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->tun = "sn0";
	inet_pton(AF_INET, "10.77.0.2", &cfg->addr);
	cfg->prefix = 24;
	inet_pton(AF_INET, "10.77.0.1", &cfg->gw);
	cfg->mtu = 1500;
	cfg->msl_ms = 30000;
}

int nc_parse_cidr(const char *s, struct in_addr *addr, int *prefix)
{
	char buf[32], *slash, *end;
	long p = 32;

	if (s == NULL || strlen(s) >= sizeof buf)
		goto bad;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash) {
		*slash++ = 0;
		errno = 0;
		p = strtol(slash, &end, 10);
		if (*slash == 0 || *end != 0 || errno || p < 0 || p > 32)
			goto bad;
	}
	if (inet_pton(AF_INET, buf, addr) != 1)
		goto bad;
	*prefix = (int)p;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

/* ---- locking ---- */

static int on_loop(struct nc_stack *s)
{
	return s->in_loop && pthread_equal(s->loop_thread, pthread_self());
}

void api_lock(struct nc_stack *s)
{
	pthread_mutex_lock(&s->lock);
}

/* A call from another thread may have armed an earlier timer or raised
 * events: deliver them and let the loop see the new deadline. */
void api_unlock(struct nc_stack *s)
{
	if (!on_loop(s) && s->core) {
		stack_flush(s->core);
		if (stack_deadline(s->core) < s->armed)
			loop_poke(s);
	}
	pthread_mutex_unlock(&s->lock);
}

static void wake_waiters(void *arg)
{
	struct nc_stack *s = arg;

	pthread_cond_broadcast(&s->cond);
}

/* Wait for the next event, until deadline (µs, UINT64_MAX: none). */
static int wait_event(struct nc_stack *s, uint64_t deadline)
{
	struct timespec ts;

	if (on_loop(s))
		return -EWOULDBLOCK;
	if (s->stopping)
		return -ESHUTDOWN;
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

/* ---- opening and closing ---- */

static void output(void *arg, const uint8_t *pkt, size_t len, unsigned gso)
{
	tun_write(arg, pkt, len, gso);
}

static int fail(struct nc_stack *s, int err, const char *fmt, const char *what)
{
	snprintf(open_error, sizeof open_error, fmt, what, strerror(err));
	errno = err;
	(void)s;
	return -1;
}

static int open_driver(struct nc_stack *s, const struct nc_config *cfg)
{
	char errbuf[200];

	s->tunfd = tun_open(cfg->tun, s->tun, &s->created_tun);
	if (s->tunfd < 0)
		return fail(s, errno, "cannot open TUN %s: %s", cfg->tun);
	if (!cfg->no_config) {
		if (nl_configure(s->tun, cfg->gw, cfg->prefix, cfg->mtu, errbuf, sizeof errbuf) < 0) {
			snprintf(open_error, sizeof open_error, "%s", errbuf);
			errno = EIO;
			return -1;
		}
		s->configured = 1;
	}
	if (cfg->pcap) {
		s->pcap = pcap_open(cfg->pcap);
		if (s->pcap == NULL)
			return fail(s, errno, "cannot write pcap file %s: %s", cfg->pcap);
	}
	if (loop_init(s) < 0)
		return fail(s, errno, "cannot set up the event loop%s: %s", "");
	return 0;
}

static void *loop_main(void *arg)
{
	loop_run(arg);
	return NULL;
}

static int check_config(const struct nc_config *cfg)
{
	if (cfg->tun == NULL || cfg->prefix < 0 || cfg->prefix > 32 || cfg->mtu < 576 ||
	    cfg->mtu > IP_MAXPACKET) {
		snprintf(open_error, sizeof open_error, "invalid configuration");
		errno = EINVAL;
		return -1;
	}
	return 0;
}

struct nc_stack *nc_open(const struct nc_config *cfg)
{
	struct nc_stack *s = calloc(1, sizeof *s);
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;
	struct stack_config sc;
	uint64_t seed;

	open_error[0] = 0;
	if (s == NULL || check_config(cfg) < 0) {
		free(s);
		return NULL;
	}
	s->cfg = *cfg;
	s->tunfd = s->epfd = s->timerfd = s->evfd = -1;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&s->lock, &ma);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);

	if (open_driver(s, cfg) < 0)
		goto fail;
	seed = clock_now() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)s;
	sc = (struct stack_config){
		.addr = ntohl(cfg->addr.s_addr), .prefix = cfg->prefix,
		.gw = ntohl(cfg->gw.s_addr), .mtu = cfg->mtu,
		.msl_ms = cfg->msl_ms, .seed = seed,
		.tso = 1,	/* tun_open asked the kernel for TSO4 */
	};
	s->core = stack_new(&sc, output, s);
	if (s->core == NULL) {
		fail(s, ENOMEM, "cannot create the stack%s: %s", "");
		goto fail;
	}
	s->core->wake = wake_waiters;
	s->core->wake_arg = s;
	s->core->now = clock_now();
	if (!cfg->own_loop) {
		if (pthread_create(&s->thread, NULL, loop_main, s) != 0) {
			fail(s, EAGAIN, "cannot start the loop thread%s: %s", "");
			goto fail;
		}
		s->has_thread = 1;
	}
	return s;
fail:
	{
		int e = errno;
		nc_close_stack(s);
		errno = e;
	}
	return NULL;
}

void nc_close_stack(struct nc_stack *s)
{
	if (s == NULL)
		return;
	if (s->has_thread) {
		nc_stop(s);
		pthread_join(s->thread, NULL);
	}
	pthread_mutex_lock(&s->lock);
	stack_free(s->core);	/* resets every connection through the TUN */
	s->core = NULL;
	pthread_mutex_unlock(&s->lock);
	loop_fini(s);
	if (s->configured && !s->created_tun)
		nl_unconfigure(s->tun, s->cfg.gw, s->cfg.prefix);
	if (s->tunfd >= 0)
		close(s->tunfd);	/* a TUN we created disappears with it */
	if (s->pcap)
		fclose(s->pcap);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
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
	long r;

	api_lock(s);
	r = sock_socket(s->core, domain, type, protocol);
	api_unlock(s);
	return (int)result(r);
}

int nc_bind(struct nc_stack *s, int fd, const struct sockaddr *a, socklen_t len)
{
	long r;

	api_lock(s);
	r = sock_bind(s->core, fd, a, len);
	api_unlock(s);
	return (int)result(r);
}

int nc_listen(struct nc_stack *s, int fd, int backlog)
{
	long r;

	api_lock(s);
	r = sock_listen(s->core, fd, backlog);
	api_unlock(s);
	return (int)result(r);
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
	api_unlock(s);
	return (int)result(r);
}

/* A blocking connect waits for the handshake to end, then reports its
 * outcome the way SO_ERROR does. */
int nc_connect(struct nc_stack *s, int fd, const struct sockaddr *name, socklen_t namelen)
{
	long r;

	api_lock(s);
	r = sock_connect(s->core, fd, name, namelen);
	if (r == -EINPROGRESS && blocking(s, fd, 0)) {
		for (;;) {
			short ev = sock_poll(s->core, fd);
			struct sock *so = sock_get(s->core, fd);
			if (ev & (POLLOUT | POLLERR | POLLHUP | POLLNVAL)) {
				r = so == NULL ? -EBADF : so->error ? -so->error : 0;
				if (so)
					so->error = 0;
				break;
			}
			r = wait_event(s, UINT64_MAX);
			if (r < 0)
				break;
		}
	}
	api_unlock(s);
	return (int)result(r);
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
	long r;

	api_lock(s);
	while ((r = sock_recvfrom(s->core, fd, buf, len, flags, from, fromlen)) == -EAGAIN &&
	       blocking(s, fd, flags)) {
		int w = wait_event(s, UINT64_MAX);
		if (w < 0) {
			r = w;
			break;
		}
	}
	api_unlock(s);
	return result(r);
}

ssize_t nc_recv(struct nc_stack *s, int fd, void *buf, size_t len, int flags)
{
	return nc_recvfrom(s, fd, buf, len, flags, NULL, NULL);
}

ssize_t nc_recv_peek(struct nc_stack *s, int fd, struct iovec *iov, int *iovcnt, size_t len)
{
	long r;

	api_lock(s);
	r = sock_peek(s->core, fd, iov, iovcnt, len);
	api_unlock(s);
	return result(r);
}

int nc_recv_consume(struct nc_stack *s, int fd, size_t n)
{
	long r;

	api_lock(s);
	r = sock_consume(s->core, fd, n);
	api_unlock(s);
	return (int)result(r);
}

int nc_shutdown(struct nc_stack *s, int fd, int how)
{
	long r;

	api_lock(s);
	r = sock_shutdown(s->core, fd, how);
	api_unlock(s);
	return (int)result(r);
}

int nc_close(struct nc_stack *s, int fd)
{
	long r;

	api_lock(s);
	r = sock_close(s->core, fd);
	api_unlock(s);
	return (int)result(r);
}

int nc_getsockname(struct nc_stack *s, int fd, struct sockaddr *a, socklen_t *len)
{
	long r;

	api_lock(s);
	r = sock_name(s->core, fd, 0, a, len);
	api_unlock(s);
	return (int)result(r);
}

int nc_getpeername(struct nc_stack *s, int fd, struct sockaddr *a, socklen_t *len)
{
	long r;

	api_lock(s);
	r = sock_name(s->core, fd, 1, a, len);
	api_unlock(s);
	return (int)result(r);
}

int nc_setsockopt(struct nc_stack *s, int fd, int level, int name, const void *val,
		  socklen_t len)
{
	long r;

	api_lock(s);
	r = sock_setopt(s->core, fd, level, name, val, len);
	api_unlock(s);
	return (int)result(r);
}

int nc_getsockopt(struct nc_stack *s, int fd, int level, int name, void *val, socklen_t *len)
{
	long r;

	api_lock(s);
	r = sock_getopt(s->core, fd, level, name, val, len);
	api_unlock(s);
	return (int)result(r);
}

int nc_set_nonblock(struct nc_stack *s, int fd, int on)
{
	long r;

	api_lock(s);
	r = sock_set_nonblock(s->core, fd, on);
	api_unlock(s);
	return (int)result(r);
}

int nc_set_event_cb(struct nc_stack *s, int fd, void (*cb)(void *, int, short), void *arg)
{
	long r;

	api_lock(s);
	r = sock_set_cb(s->core, fd, cb, arg);
	api_unlock(s);
	return (int)result(r);
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
	api_unlock(s);
	return (int)result(r);
}

/* ---- interface, routes, counters ---- */

int nc_ifinfo(struct nc_stack *s, struct nc_ifinfo *out)
{
	struct stack *c;

	api_lock(s);
	c = s->core;
	memset(out, 0, sizeof *out);
	snprintf(out->name, sizeof out->name, "%s", s->tun);
	out->addr.s_addr = htonl(c->addr);
	out->gw.s_addr = htonl(c->gw);
	out->prefix = c->prefix;
	out->mtu = c->mtu;
	out->ipackets = c->ifs.ipackets;
	out->ibytes = c->ifs.ibytes;
	out->opackets = c->ifs.opackets;
	out->obytes = c->ifs.obytes;
	out->ierrors = c->ifs.ierrors;
	out->oerrors = c->ifs.oerrors;
	api_unlock(s);
	return 0;
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

int nc_stats(struct nc_stack *s, int proto, struct nc_stat *out, int max)
{
	long r;

	api_lock(s);
	r = stack_stats(s->core, proto, out, max);
	api_unlock(s);
	return (int)result(r);
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
