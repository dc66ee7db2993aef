/*
 * c-ares over netcore sockets, on the daemon's loop (see dns.h).
 *
 * c-ares says, through its socket state callback, which of its sockets
 * it reads and which it waits to write on; netcore says, through the
 * sockets' event callbacks, when one of them changed. On such an event,
 * and when the timer set from ares_timeout fires, ares_process_fd does
 * the work; c-ares reads a TCP answer a piece a call, so a socket still
 * readable after a call is given again.
 */
#include <ares.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <netcore/netcore.h>

#include "addr.h"
#include "dns.h"
#include "dnsrr.h"
#include "log.h"

enum {
	TIMEOUT_MS = 1000,	/* the first try; c-ares doubles it at each round */
	TRIES = 2,		/* rounds over the servers */
	MAX_SOCKS = 2 * DNS_MAX_SERVERS,	/* a UDP and a TCP socket a server */
	DRAIN_MAX = 64,		/* calls for one event, a bound */
	PORT_LO = 1024,		/* source ports drawn from 1024-65535 (RFC 6056) */
	PORT_TRIES = 8,		/* ports tried before the socket is refused */
};

struct dns_query {
	dns_done_fn done;	/* NULL once cancelled */
	void *arg;
	int starting;		/* inside dns_ask */
	int ended;		/* done was called inside dns_ask */
};

static ares_channel channel;
static struct nc_stack *stack;
static int timer = -1;
static struct {
	int s;			/* -1: free */
	int write;		/* c-ares waits to write on it */
} socks[MAX_SOCKS];

static int sock_slot(int s)
{
	for (int i = 0; i < MAX_SOCKS; i++)
		if (socks[i].s == s)
			return i;
	return -1;
}

/* Wake up at c-ares's next timeout, or never when nothing is under way. */
static void rearm(void)
{
	struct itimerspec its = { 0 };
	struct timeval tv;

	if (ares_timeout(channel, NULL, &tv) != NULL) {
		its.it_value.tv_sec = tv.tv_sec;
		its.it_value.tv_nsec = tv.tv_usec * 1000L;
		if (tv.tv_sec == 0 && tv.tv_usec == 0)
			its.it_value.tv_nsec = 1;	/* 0 would disarm it */
	}
	timerfd_settime(timer, 0, &its, NULL);
}

static short poll_now(int s)
{
	struct nc_pollfd p = { .fd = s, .events = POLLIN | POLLOUT };

	return nc_poll(stack, &p, 1, 0) > 0 ? p.revents : 0;
}

static void sock_event(void *arg, int s, short revents)
{
	(void)arg;
	for (int i = 0; i < DRAIN_MAX; i++) {
		int slot = sock_slot(s);
		int r = revents & (POLLIN | POLLERR | POLLHUP) ? s : ARES_SOCKET_BAD;
		int w = slot >= 0 && socks[slot].write && (revents & POLLOUT) ? s : ARES_SOCKET_BAD;

		if (slot < 0 || (r == ARES_SOCKET_BAD && w == ARES_SOCKET_BAD))
			break;
		ares_process_fd(channel, r, w);
		revents = poll_now(s);
	}
	rearm();
}

static void timer_ready(void *arg)
{
	uint64_t n;

	(void)arg;
	if (read(timer, &n, sizeof n) < 0 && errno != EAGAIN)
		logmsg(LOG_WARNING, "dns timer: %s", strerror(errno));
	ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	rearm();
}

/* c-ares's socket state callback: what it waits for on s (nothing: the
 * socket is about to be closed). */
static void sock_state(void *data, ares_socket_t s, int readable, int writable)
{
	int i = sock_slot(s);

	(void)data;
	(void)readable;
	if (i >= 0)
		socks[i].write = writable;
}

/* ---- the socket functions c-ares calls ---- */

/* Bind s to a random port, trying another one if it is taken. */
static int bind_random(int s, int family)
{
	union addr any = { 0 };
	uint16_t r;

	any.sa.sa_family = (sa_family_t)family;
	for (int i = 0; i < PORT_TRIES; i++) {
		if (getrandom(&r, sizeof r, 0) != sizeof r)
			return -1;
		addr_set_port(&any, (uint16_t)(PORT_LO + r % (65536 - PORT_LO)));
		if (nc_bind(stack, s, &any.sa, addr_len(&any)) == 0)
			return 0;
		if (errno != EADDRINUSE)
			return -1;
	}
	return -1;
}

static ares_socket_t sock_open(int family, int type, int protocol, void *data)
{
	int i = sock_slot(-1), s;

	(void)data;
	if (i < 0) {
		errno = EMFILE;
		return ARES_SOCKET_BAD;
	}
	s = nc_socket(stack, family, type | SOCK_NONBLOCK, protocol);
	if (s < 0)
		return ARES_SOCKET_BAD;
	if (bind_random(s, family) < 0 || nc_set_event_cb(stack, s, sock_event, NULL) < 0) {
		int err = errno;

		nc_close(stack, s);
		errno = err;
		return ARES_SOCKET_BAD;
	}
	socks[i].s = s;
	socks[i].write = 0;
	return s;
}

static int sock_close(ares_socket_t s, void *data)
{
	int i = sock_slot(s);

	(void)data;
	if (i >= 0)
		socks[i].s = -1;
	return nc_close(stack, s);
}

static int sock_connect(ares_socket_t s, const struct sockaddr *to, ares_socklen_t len,
			void *data)
{
	(void)data;
	return nc_connect(stack, s, to, len);
}

static ares_ssize_t sock_recvfrom(ares_socket_t s, void *buf, size_t len, int flags,
				  struct sockaddr *from, ares_socklen_t *fromlen, void *data)
{
	(void)data;
	if (from == NULL)
		return nc_recv(stack, s, buf, len, flags | MSG_DONTWAIT);
	return nc_recvfrom(stack, s, buf, len, flags | MSG_DONTWAIT, from, fromlen);
}

/* Each piece in turn; a short count when one is not taken whole. */
static ares_ssize_t sock_sendv(ares_socket_t s, const struct iovec *iov, int n, void *data)
{
	ares_ssize_t sent = 0;

	(void)data;
	for (int i = 0; i < n; i++) {
		ssize_t k = nc_send(stack, s, iov[i].iov_base, iov[i].iov_len, MSG_DONTWAIT);

		if (k < 0)
			return sent > 0 ? sent : -1;
		sent += k;
		if ((size_t)k < iov[i].iov_len)
			break;
	}
	return sent;
}

static const struct ares_socket_functions sock_funcs = {
	.asocket = sock_open,
	.aclose = sock_close,
	.aconnect = sock_connect,
	.arecvfrom = sock_recvfrom,
	.asendv = sock_sendv,
};

/* ---- the channel ---- */

int dns_init(struct nc_stack *st, const char *servers)
{
	struct ares_options o = {
		.timeout = TIMEOUT_MS,
		.tries = TRIES,
		.lookups = (char *)"b",	/* DNS only: cs reads /etc/hosts itself */
		.sock_state_cb = sock_state,
	};
	int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_LOOKUPS | ARES_OPT_SOCK_STATE_CB;
	int r;

	for (int i = 0; i < MAX_SOCKS; i++)
		socks[i].s = -1;
	stack = st;
	r = ares_library_init(ARES_LIB_INIT_ALL);
	if (r == ARES_SUCCESS) {
		r = ares_init_options(&channel, &o, mask);
		if (r != ARES_SUCCESS)
			ares_library_cleanup();
	}
	if (r != ARES_SUCCESS) {
		errno = dns_errno(r);
		return -1;
	}
	ares_set_socket_functions(channel, &sock_funcs, NULL);
	r = ares_set_servers_csv(channel, servers);
	timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (r != ARES_SUCCESS || timer < 0 || nc_loop_watch(st, timer, timer_ready, NULL) < 0) {
		int err = r != ARES_SUCCESS ? dns_errno(r) : errno;

		dns_fini();
		errno = err;
		return -1;
	}
	return 0;
}

void dns_fini(void)
{
	if (channel == NULL)
		return;
	ares_destroy(channel);	/* ends each query (ARES_EDESTRUCTION) */
	channel = NULL;
	ares_library_cleanup();
	if (timer >= 0) {
		nc_loop_unwatch(stack, timer);
		close(timer);
		timer = -1;
	}
}

static void answered(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct dns_query *q = arg;

	(void)timeouts;
	if (q->done)
		q->done(q->arg, dns_errno(status), ares_strerror(status), abuf, alen);
	if (q->starting)
		q->ended = 1;	/* dns_ask frees it */
	else
		free(q);
}

struct dns_query *dns_ask(const char *name, int type, dns_done_fn done, void *arg)
{
	struct dns_query *q = calloc(1, sizeof *q);

	if (q == NULL) {
		done(arg, ENOMEM, strerror(ENOMEM), NULL, 0);
		return NULL;
	}
	q->done = done;
	q->arg = arg;
	q->starting = 1;
	ares_query(channel, name, ns_c_in, type, answered, q);
	q->starting = 0;
	rearm();
	if (q->ended) {
		free(q);
		return NULL;
	}
	return q;
}

void dns_cancel(struct dns_query *q)
{
	q->done = NULL;
}
