/*
 * libnetcore_pd.so: netcore's deterministic core behind packetdrill's
 * shared-object interface (pd_interface.h), on a virtual clock.
 *
 * packetdrill has two threads: the main one injects and sniffs packets,
 * runs non-blocking calls and moves time (gettimeofday, usleep); a second
 * one makes the blocking calls, one at a time. Both come here under one
 * mutex. Nothing reads a real clock:
 *
 * - gettimeofday returns the virtual time and moves it 1 µs (packetdrill
 *   spins on it); usleep moves it; both run the stack's timers due on the
 *   way, each at its own instant.
 * - netdev_receive, with nothing sent yet, moves time to the stack's next
 *   deadline until something is sent; after 60 virtual seconds of silence
 *   it gives up with a message (and an empty packet, which fails the
 *   script rather than hanging it).
 * - a blocking call sleeps on a condition variable until the stack
 *   changes. Before time moves, the mover waits (in real time) until the
 *   sleeper has looked at the change and, if it returned, has read the
 *   clock (packetdrill reads it right after a blocking call returns), so
 *   the call ends at the virtual instant its cause happened.
 *
 * Each socket is also a real descriptor (an eventfd, never used for I/O):
 * packetdrill hands out the numbers as it would kernel descriptors and
 * closes the leftovers with close(2) at the end.
 *
 * As each socket is made, the stack takes tcp_timestamps, tcp_sack and
 * tcp_min_tso_segs from the namespace's sysctls, which the scripts set.
 *
 * --so_flags: "addr=A.B.C.D" (default 192.168.0.2, in packetdrill's
 * 192.168.0.0/16, gateway 192.168.0.1) and "mtu=N" (1500), separated by
 * blanks or commas. Run packetdrill with --local_ip set to that address.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>

#include <netcore/netcore.h>

#include "pd_interface.h"
#include "sock.h"
#include "stack.h"

enum {
	MAX_FD = 1024,		/* placeholder descriptors we can map */
	MAX_QUEUED = 8192,	/* sent packets packetdrill has not read */
	SLOT_FREE = -1,
};

static const uint64_t START_US = 1000000000000ull;	/* any origin; fixed */
static const uint64_t SILENCE_US = 60000000;		/* netdev_receive gives up */
static const long SETTLE_MAX_NS = 2000000000;		/* real time, see settle() */

struct packet {
	struct packet *next;
	uint64_t when;
	size_t len;
	uint8_t data[];
};

struct slot {
	int core;		/* netcore's descriptor, SLOT_FREE if none */
	int nonblock;
};

struct pd {
	pthread_mutex_t lock;
	pthread_cond_t cv;	/* the stack changed, or a sleeper moved */
	struct stack *st;
	uint64_t now;		/* virtual µs */

	struct packet *out, **out_tail;	/* sent by the stack, oldest first */
	int nout;

	struct slot slot[MAX_FD];	/* by placeholder descriptor */

	/* The blocking call in progress (packetdrill makes one at a time). */
	uint64_t gen;		/* counts changes of the stack */
	int blocked;		/* a caller sleeps, having seen change `seen` */
	uint64_t seen;
	uint64_t until;		/* its virtual deadline (poll), UINT64_MAX none */
	pthread_t sleeper;
	int waited;		/* the sleeper's call slept at least once */
	int returning;		/* it returned after sleeping, clock not read yet */
	int handoff;		/* it returned since the last usleep */
};

/* ---- the clock, the sleeper, the stack's hooks ---- */

/* stack_flush() delivered events: whoever sleeps may go on. */
static void on_wake(void *arg)
{
	struct pd *pd = arg;

	pd->gen++;
	pthread_cond_broadcast(&pd->cv);
}

static void on_output(void *arg, const uint8_t *pkt, size_t len, unsigned gso)
{
	struct pd *pd = arg;
	struct packet *p;

	(void)gso;	/* the stack is made without TSO: always 0 */
	if (pd->nout >= MAX_QUEUED || (p = malloc(sizeof *p + len)) == NULL) {
		fprintf(stderr, "netcore_pd: output queue full, packet dropped\n");
		return;
	}
	p->next = NULL;
	p->when = pd->now;
	p->len = len;
	memcpy(p->data, pkt, len);
	*pd->out_tail = p;
	pd->out_tail = &p->next;
	pd->nout++;
}

/* Wait until a woken sleeper has run, and one that returned has read the
 * clock, so time does not move under it. Bounded in real time in case the
 * caller is not packetdrill and never reads the clock. */
static void settle(struct pd *pd)
{
	struct timespec end;

	clock_gettime(CLOCK_REALTIME, &end);
	end.tv_sec += SETTLE_MAX_NS / 1000000000;
	while ((pd->blocked && pd->seen != pd->gen) || pd->returning) {
		if (pthread_cond_timedwait(&pd->cv, &pd->lock, &end) == ETIMEDOUT) {
			fprintf(stderr, "netcore_pd: a blocking call did not settle\n");
			pd->returning = 0;
			return;
		}
	}
}

/* The earliest thing that will happen by itself: a timer of the stack, or
 * the deadline of the sleeping call. */
static uint64_t next_deadline(struct pd *pd)
{
	uint64_t t = stack_deadline(pd->st);

	return pd->blocked && pd->until < t ? pd->until : t;
}

/* Move the clock to t, running each timer due on the way at its instant. */
static void advance_to(struct pd *pd, uint64_t t)
{
	uint64_t d;
	int same = 0;

	settle(pd);
	while ((d = next_deadline(pd)) <= t) {
		if (d > pd->now) {
			pd->now = d;
			same = 0;
		} else if (++same == 1000) {
			fprintf(stderr, "netcore_pd: a timer stays due at %llu us\n",
				(unsigned long long)(pd->now - START_US));
			break;
		}
		stack_advance(pd->st, pd->now);
		stack_flush(pd->st);
		if (pd->blocked && pd->until <= pd->now)
			on_wake(pd);	/* the sleeper's timeout */
		settle(pd);
	}
	if (t > pd->now)
		pd->now = t;
	stack_advance(pd->st, pd->now);
	stack_flush(pd->st);
}

static struct pd *enter(void *ud)
{
	struct pd *pd = ud;

	pthread_mutex_lock(&pd->lock);
	return pd;
}

/* Deliver what the call changed; a call that slept is now returning. */
static void leave(struct pd *pd)
{
	stack_flush(pd->st);
	if (pd->waited && pthread_equal(pd->sleeper, pthread_self())) {
		pd->waited = 0;
		pd->returning = 1;
		pthread_cond_broadcast(&pd->cv);
	}
	pthread_mutex_unlock(&pd->lock);
}

/* Sleep until the stack changes or virtual time reaches until. */
static void sleep_on(struct pd *pd, uint64_t until)
{
	stack_flush(pd->st);
	pd->blocked = 1;
	pd->seen = pd->gen;
	pd->until = until;
	pd->sleeper = pthread_self();
	pd->waited = 1;
	pthread_cond_broadcast(&pd->cv);	/* settle() may wait for this */
	while (pd->seen == pd->gen)
		pthread_cond_wait(&pd->cv, &pd->lock);
	pd->blocked = 0;
	pd->until = UINT64_MAX;
}

/* The result of a core call (>= 0 or -errno) as a system call's. */
static long result(long r)
{
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

/* ---- descriptors ---- */

static struct slot *slot_of(struct pd *pd, int fd)
{
	if (fd < 0 || fd >= MAX_FD || pd->slot[fd].core == SLOT_FREE)
		return NULL;
	return &pd->slot[fd];
}

/* The netcore socket behind placeholder fd; -1 (which every sock_ call
 * answers with EBADF) when fd is not one of ours. */
static int core_of(struct pd *pd, int fd)
{
	struct slot *s = slot_of(pd, fd);

	return s ? s->core : -1;
}

/* A placeholder descriptor for netcore socket core, or -errno (and core
 * closed). */
static int slot_new(struct pd *pd, int core, int nonblock)
{
	int fd = eventfd(0, EFD_CLOEXEC);
	int err = errno;

	if (fd < 0 || fd >= MAX_FD) {
		if (fd >= 0)
			close(fd);
		sock_close(pd->st, core);
		return fd < 0 ? -err : -EMFILE;
	}
	pd->slot[fd] = (struct slot){ core, nonblock };
	return fd;
}

static int blocks(const struct slot *s, int flags)
{
	return !s->nonblock && !(flags & MSG_DONTWAIT);
}

/* ---- sockets ---- */

/* An integer of the namespace's /proc/sys/net/ipv4, or dflt. */
static int ipv4_sysctl(const char *name, int dflt)
{
	char path[128];
	FILE *f;
	int v;

	snprintf(path, sizeof path, "/proc/sys/net/ipv4/%s", name);
	if ((f = fopen(path, "r")) == NULL)
		return dflt;
	if (fscanf(f, "%d", &v) != 1)
		v = dflt;
	fclose(f);
	return v;
}

/* The scripts set the kernel's TCP sysctls (with sysctl, before their
 * sockets) to say how the stack under test should behave: the stack
 * follows the ones it has a setting for, as each socket is made. */
static void follow_sysctls(struct stack *st)
{
	int segs = ipv4_sysctl("tcp_min_tso_segs", 2);

	st->no_timestamps = ipv4_sysctl("tcp_timestamps", 1) == 0;
	st->no_sack = ipv4_sysctl("tcp_sack", 1) == 0;
	st->push_segs = segs > 0 ? segs : 2;
	st->no_idle_restart = ipv4_sysctl("tcp_slow_start_after_idle", 1) == 0;
}

static int pd_socket(void *ud, int domain, int type, int protocol)
{
	struct pd *pd = enter(ud);
	long r;

	follow_sysctls(pd->st);
	r = sock_socket(pd->st, domain, type, protocol);

	if (r >= 0)
		r = slot_new(pd, (int)r, !!(type & SOCK_NONBLOCK));
	leave(pd);
	return (int)result(r);
}

static int pd_bind(void *ud, int fd, const struct sockaddr *a, socklen_t len)
{
	struct pd *pd = enter(ud);
	long r = sock_bind(pd->st, core_of(pd, fd), a, len);

	leave(pd);
	return (int)result(r);
}

static int pd_listen(void *ud, int fd, int backlog)
{
	struct pd *pd = enter(ud);
	long r = sock_listen(pd->st, core_of(pd, fd), backlog);

	leave(pd);
	return (int)result(r);
}

static int pd_accept(void *ud, int fd, struct sockaddr *a, socklen_t *len)
{
	struct pd *pd = enter(ud);
	struct slot *s = slot_of(pd, fd);
	long r = -EBADF;

	while (s && (r = sock_accept(pd->st, s->core, a, len)) == -EAGAIN && blocks(s, 0)) {
		sleep_on(pd, UINT64_MAX);
		s = slot_of(pd, fd);
		r = -EBADF;	/* unless it is still open */
	}
	if (r >= 0)
		r = slot_new(pd, (int)r, 0);	/* as on Linux, no O_NONBLOCK inherited */
	leave(pd);
	return (int)result(r);
}

/* A blocking connect waits for the handshake to end and reports its
 * outcome as SO_ERROR would. */
static int pd_connect(void *ud, int fd, const struct sockaddr *a, socklen_t len)
{
	struct pd *pd = enter(ud);
	struct slot *s = slot_of(pd, fd);
	long r = s ? sock_connect(pd->st, s->core, a, len) : -EBADF;

	while (r == -EINPROGRESS && blocks(s, 0)) {
		if (sock_poll(pd->st, s->core) & (POLLOUT | POLLERR | POLLHUP | POLLNVAL)) {
			int err = 0;
			socklen_t n = sizeof err;
			r = sock_getopt(pd->st, s->core, SOL_SOCKET, SO_ERROR, &err, &n);
			if (r == 0)
				r = -err;
			break;
		}
		sleep_on(pd, UINT64_MAX);
	}
	leave(pd);
	return (int)result(r);
}

static ssize_t pd_recvfrom(void *ud, int fd, void *buf, size_t n, int flags,
			   struct sockaddr *from, socklen_t *fromlen)
{
	struct pd *pd = enter(ud);
	struct slot *s = slot_of(pd, fd);
	long r = -EBADF;

	while (s && (r = sock_recvfrom(pd->st, s->core, buf, n, flags, from, fromlen)) == -EAGAIN &&
	       blocks(s, flags)) {
		sleep_on(pd, UINT64_MAX);
		s = slot_of(pd, fd);
		r = -EBADF;	/* unless it is still open */
	}
	leave(pd);
	return result(r);
}

/* A blocking stream send returns when every byte is queued (or on an
 * error after some were: then it returns those). */
static ssize_t pd_sendto(void *ud, int fd, const void *buf, size_t n, int flags,
			 const struct sockaddr *to, socklen_t tolen)
{
	struct pd *pd = enter(ud);
	struct slot *s = slot_of(pd, fd);
	const char *p = buf;
	size_t done = 0;
	long r = -EBADF;

	while (s) {
		r = sock_sendto(pd->st, s->core, p + done, n - done, flags, to, tolen);
		if (r > 0)
			done += (size_t)r;
		if (done == n || (r < 0 && r != -EAGAIN) || (r == -EAGAIN && !blocks(s, flags)))
			break;
		if (r == -EAGAIN)
			sleep_on(pd, UINT64_MAX);
		s = slot_of(pd, fd);
		r = -EBADF;	/* unless it is still open */
	}
	leave(pd);
	return done > 0 ? (ssize_t)done : result(r);
}

static ssize_t pd_recv(void *ud, int fd, void *buf, size_t n, int flags)
{
	return pd_recvfrom(ud, fd, buf, n, flags, NULL, NULL);
}

static ssize_t pd_read(void *ud, int fd, void *buf, size_t n)
{
	return pd_recvfrom(ud, fd, buf, n, 0, NULL, NULL);
}

static ssize_t pd_send(void *ud, int fd, const void *buf, size_t n, int flags)
{
	return pd_sendto(ud, fd, buf, n, flags, NULL, 0);
}

static ssize_t pd_write(void *ud, int fd, const void *buf, size_t n)
{
	return pd_sendto(ud, fd, buf, n, 0, NULL, 0);
}

/* ---- the vector calls, through one buffer ---- */

static size_t iov_total(const struct iovec *iov, int n)
{
	size_t t = 0;

	for (int i = 0; i < n; i++)
		t += iov[i].iov_len;
	return t;
}

static ssize_t send_iov(void *ud, int fd, const struct iovec *iov, int n, int flags,
			const struct sockaddr *to, socklen_t tolen)
{
	size_t len = iov_total(iov, n), off = 0;
	char *buf = malloc(len ? len : 1);
	ssize_t r;

	if (buf == NULL) {
		errno = ENOMEM;
		return -1;
	}
	for (int i = 0; i < n; i++) {
		if (iov[i].iov_len > 0)
			memcpy(buf + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	r = pd_sendto(ud, fd, buf, len, flags, to, tolen);
	free(buf);
	return r;
}

static ssize_t recv_iov(void *ud, int fd, const struct iovec *iov, int n, int flags,
			struct sockaddr *from, socklen_t *fromlen)
{
	size_t len = iov_total(iov, n), off = 0;
	char *buf = malloc(len ? len : 1);
	ssize_t r;

	if (buf == NULL) {
		errno = ENOMEM;
		return -1;
	}
	r = pd_recvfrom(ud, fd, buf, len, flags, from, fromlen);
	for (int i = 0; i < n && r > 0 && off < (size_t)r; i++) {
		size_t k = (size_t)r - off < iov[i].iov_len ? (size_t)r - off : iov[i].iov_len;
		if (k > 0)
			memcpy(iov[i].iov_base, buf + off, k);
		off += k;
	}
	free(buf);
	return r;
}

static ssize_t pd_readv(void *ud, int fd, const struct iovec *iov, int n)
{
	return recv_iov(ud, fd, iov, n, 0, NULL, NULL);
}

static ssize_t pd_writev(void *ud, int fd, const struct iovec *iov, int n)
{
	return send_iov(ud, fd, iov, n, 0, NULL, 0);
}

static ssize_t pd_recvmsg(void *ud, int fd, struct msghdr *m, int flags)
{
	socklen_t len = m->msg_namelen;
	ssize_t r = recv_iov(ud, fd, m->msg_iov, (int)m->msg_iovlen, flags,
			     m->msg_name, m->msg_name ? &len : NULL);

	if (r >= 0) {
		m->msg_namelen = m->msg_name ? len : 0;
		m->msg_controllen = 0;	/* no ancillary data */
		m->msg_flags = 0;
	}
	return r;
}

static ssize_t pd_sendmsg(void *ud, int fd, const struct msghdr *m, int flags)
{
	return send_iov(ud, fd, m->msg_iov, (int)m->msg_iovlen, flags, m->msg_name,
			m->msg_namelen);
}

/* ---- control ---- */

static int pd_fcntl(void *ud, int fd, int cmd, ...)
{
	struct pd *pd = enter(ud);
	struct slot *s = slot_of(pd, fd);
	long r = -EBADF;
	va_list ap;

	if (s && cmd == F_GETFL) {
		r = O_RDWR | (s->nonblock ? O_NONBLOCK : 0);
	} else if (s && cmd == F_SETFL) {
		va_start(ap, cmd);
		s->nonblock = !!(va_arg(ap, long) & O_NONBLOCK);
		va_end(ap);
		r = sock_set_nonblock(pd->st, s->core, s->nonblock);
	} else if (s) {
		r = -EINVAL;
	}
	leave(pd);
	return (int)result(r);
}

/* FIONREAD (SIOCINQ), SIOCOUTQ, FIONBIO: the ones TCP scripts use. */
static int pd_ioctl(void *ud, int fd, unsigned long req, ...)
{
	struct pd *pd = enter(ud);
	struct slot *s = slot_of(pd, fd);
	struct nc_tcp_info ti;
	socklen_t len = sizeof ti;
	int *arg;
	long r = -EBADF;
	va_list ap;

	va_start(ap, req);
	arg = va_arg(ap, int *);
	va_end(ap);
	if (s && req == FIONBIO) {
		s->nonblock = !!*arg;
		r = sock_set_nonblock(pd->st, s->core, s->nonblock);
	} else if (s && (req == SIOCINQ || req == SIOCOUTQ)) {
		r = sock_getopt(pd->st, s->core, IPPROTO_TCP, NC_TCP_INFO, &ti, &len);
		if (r == 0)
			*arg = (int)(req == SIOCINQ ? ti.qin : ti.qout);
		else
			r = -ENOTTY;
	} else if (s) {
		r = -ENOTTY;
	}
	leave(pd);
	return (int)result(r);
}

static int pd_close(void *ud, int fd)
{
	struct pd *pd = enter(ud);
	struct slot *s = slot_of(pd, fd);
	long r = -EBADF;

	if (s) {
		r = sock_close(pd->st, s->core);
		s->core = SLOT_FREE;
		close(fd);
	}
	leave(pd);
	return (int)result(r);
}

static int pd_shutdown(void *ud, int fd, int how)
{
	struct pd *pd = enter(ud);
	long r = sock_shutdown(pd->st, core_of(pd, fd), how);

	leave(pd);
	return (int)result(r);
}

/*
 * SO_MEMINFO (Linux's option 55): the nine counters of the socket's
 * memory, of which netcore has the queued bytes and the buffer sizes
 * (as Linux reads them back, doubled); the rest read 0. packetdrill asks
 * for it, and for TCP_CC_INFO, before each `%{ }%` block.
 */
enum { PD_SO_MEMINFO = 55, MEMINFO_N = 9 };
enum { MEM_RMEM_ALLOC, MEM_RCVBUF, MEM_WMEM_ALLOC, MEM_SNDBUF, MEM_WMEM_QUEUED = 5 };

static long meminfo(struct pd *pd, int core, void *val, socklen_t *len)
{
	uint32_t m[MEMINFO_N] = { 0 };
	struct nc_tcp_info ti;
	socklen_t n = sizeof ti, in = sizeof(int);
	int rcvbuf = 0, sndbuf = 0;
	long r = sock_getopt(pd->st, core, IPPROTO_TCP, NC_TCP_INFO, &ti, &n);

	if (r == 0)
		r = sock_getopt(pd->st, core, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &in);
	if (r == 0)
		r = sock_getopt(pd->st, core, SOL_SOCKET, SO_SNDBUF, &sndbuf, &in);
	if (r < 0)
		return r;
	m[MEM_RMEM_ALLOC] = ti.qin;
	m[MEM_RCVBUF] = (uint32_t)rcvbuf;
	m[MEM_WMEM_ALLOC] = ti.qout;
	m[MEM_SNDBUF] = (uint32_t)sndbuf;
	m[MEM_WMEM_QUEUED] = ti.qout;
	if (*len > sizeof m)
		*len = sizeof m;
	memcpy(val, m, *len);
	return 0;
}

static int pd_getsockopt(void *ud, int fd, int level, int name, void *val, socklen_t *len)
{
	struct pd *pd = enter(ud);
	int core = core_of(pd, fd);
	long r;

	if (level == SOL_SOCKET && name == PD_SO_MEMINFO) {
		r = meminfo(pd, core, val, len);
	} else if (level == IPPROTO_TCP && name == TCP_CC_INFO && core >= 0) {
		*len = 0;	/* as Linux for an algorithm with nothing to tell */
		r = 0;
	} else {
		r = sock_getopt(pd->st, core, level, name, val, len);
	}
	leave(pd);
	return (int)result(r);
}

static int pd_setsockopt(void *ud, int fd, int level, int name, const void *val,
			 socklen_t len)
{
	struct pd *pd = enter(ud);
	long r = sock_setopt(pd->st, core_of(pd, fd), level, name, val, len);

	leave(pd);
	return (int)result(r);
}

static int poll_once(struct pd *pd, struct pollfd *fds, nfds_t n)
{
	int ready = 0;

	for (nfds_t i = 0; i < n; i++) {
		struct slot *s = slot_of(pd, fds[i].fd);
		short ev = s ? sock_poll(pd->st, s->core) : POLLNVAL;
		fds[i].revents = ev & (fds[i].events | POLLERR | POLLHUP | POLLNVAL);
		ready += fds[i].revents != 0;
	}
	return ready;
}

static int pd_poll(void *ud, struct pollfd *fds, nfds_t n, int timeout_ms)
{
	struct pd *pd = enter(ud);
	uint64_t until = timeout_ms < 0 ? UINT64_MAX : pd->now + (uint64_t)timeout_ms * 1000;
	int r;

	while ((r = poll_once(pd, fds, n)) == 0 && pd->now < until)
		sleep_on(pd, until);
	leave(pd);
	return r;
}

/* ---- packets and time ---- */

static int pd_netdev_send(void *ud, const void *pkt, size_t len)
{
	struct pd *pd = enter(ud);
	uint8_t *copy = malloc(len ? len : 1);	/* stack_input may modify it */

	if (copy != NULL) {
		settle(pd);
		if (len > 0)
			memcpy(copy, pkt, len);
		stack_input(pd->st, pd->now, copy, len);
		free(copy);
	}
	leave(pd);
	if (copy == NULL) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

static int pd_netdev_receive(void *ud, void *buf, size_t *len, long long *when)
{
	struct pd *pd = enter(ud);
	uint64_t give_up = pd->now + SILENCE_US, d;
	struct packet *p;

	settle(pd);
	/* at least 1 µs a round, so a timer that stays due cannot hold us */
	while (pd->out == NULL && (d = next_deadline(pd)) <= give_up)
		advance_to(pd, d > pd->now ? d : pd->now + 1);
	p = pd->out;
	if (p == NULL) {
		fprintf(stderr, "netcore_pd: the stack sent nothing for %llu virtual seconds\n",
			(unsigned long long)(SILENCE_US / 1000000));
		*len = 0;
		*when = (long long)pd->now;
	} else {
		pd->out = p->next;
		if (pd->out == NULL)
			pd->out_tail = &pd->out;
		pd->nout--;
		memcpy(buf, p->data, p->len < *len ? p->len : *len);
		*len = p->len;
		*when = (long long)p->when;
		free(p);
	}
	leave(pd);
	return 0;
}

static int pd_usleep(void *ud, useconds_t us)
{
	struct pd *pd = enter(ud);
	int handoff = pd->handoff;

	advance_to(pd, pd->now + us);
	pd->handoff = 0;
	leave(pd);
	/* packetdrill's syscall thread, back from a blocking call, needs the
	 * lock packetdrill's main thread releases only around this call. */
	if (handoff)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	return 0;
}

static int pd_gettimeofday(void *ud, struct timeval *tv, struct timezone *tz)
{
	struct pd *pd = enter(ud);

	(void)tz;
	if (pd->returning && pthread_equal(pd->sleeper, pthread_self())) {
		pd->returning = 0;
		pd->handoff = 1;
		pthread_cond_broadcast(&pd->cv);
	}
	advance_to(pd, pd->now + 1);
	tv->tv_sec = (time_t)(pd->now / 1000000);
	tv->tv_usec = (suseconds_t)(pd->now % 1000000);
	leave(pd);
	return 0;
}

/* ---- what TCP scripts do not need ---- */

static int pd_epoll_create(void *ud, int size)
{
	(void)ud, (void)size;
	errno = ENOSYS;
	return -1;
}

static int pd_epoll_ctl(void *ud, int epfd, int op, int fd, struct epoll_event *ev)
{
	(void)ud, (void)epfd, (void)op, (void)fd, (void)ev;
	errno = ENOSYS;
	return -1;
}

static int pd_epoll_wait(void *ud, int epfd, struct epoll_event *evs, int max, int timeout_ms)
{
	(void)ud, (void)epfd, (void)evs, (void)max, (void)timeout_ms;
	errno = ENOSYS;
	return -1;
}

static int pd_pipe(void *ud, int fds[2])
{
	(void)ud, (void)fds;
	errno = ENOSYS;
	return -1;
}

static int pd_splice(void *ud, int in, loff_t *off_in, int out, loff_t *off_out, size_t len,
		     unsigned int flags)
{
	(void)ud, (void)in, (void)off_in, (void)out, (void)off_out, (void)len, (void)flags;
	errno = ENOSYS;
	return -1;
}

/* ---- setting up ---- */

/* Placeholders still open were closed by packetdrill with close(2): their
 * numbers may belong to someone else by now, so only the stack is freed. */
static void pd_free(void *ud)
{
	struct pd *pd = ud;

	stack_free(pd->st);
	while (pd->out != NULL) {
		struct packet *p = pd->out;
		pd->out = p->next;
		free(p);
	}
	pthread_cond_destroy(&pd->cv);
	pthread_mutex_destroy(&pd->lock);
	free(pd);
}

/* "addr=A.B.C.D mtu=N"; unknown words are reported and ignored. */
static void parse_flags(const char *flags, struct stack_config *cfg)
{
	char *copy = strdup(flags ? flags : ""), *save = NULL;
	struct in_addr a;

	for (char *w = strtok_r(copy, " ,", &save); w; w = strtok_r(NULL, " ,", &save)) {
		if (strncmp(w, "addr=", 5) == 0 && inet_pton(AF_INET, w + 5, &a) == 1)
			cfg->addr = ntohl(a.s_addr);
		else if (strncmp(w, "mtu=", 4) == 0 && atoi(w + 4) >= 576)
			cfg->mtu = atoi(w + 4);
		else
			fprintf(stderr, "netcore_pd: unknown flag '%s' ignored\n", w);
	}
	free(copy);
}

static const struct pd_interface calls = {
	.free = pd_free,
	.socket = pd_socket,
	.bind = pd_bind,
	.listen = pd_listen,
	.accept = pd_accept,
	.connect = pd_connect,
	.read = pd_read,
	.readv = pd_readv,
	.recv = pd_recv,
	.recvfrom = pd_recvfrom,
	.recvmsg = pd_recvmsg,
	.write = pd_write,
	.writev = pd_writev,
	.send = pd_send,
	.sendto = pd_sendto,
	.sendmsg = pd_sendmsg,
	.fcntl = pd_fcntl,
	.ioctl = pd_ioctl,
	.close = pd_close,
	.shutdown = pd_shutdown,
	.getsockopt = pd_getsockopt,
	.setsockopt = pd_setsockopt,
	.poll = pd_poll,
	.netdev_send = pd_netdev_send,
	.netdev_receive = pd_netdev_receive,
	.usleep = pd_usleep,
	.gettimeofday = pd_gettimeofday,
	.epoll_create = pd_epoll_create,
	.epoll_ctl = pd_epoll_ctl,
	.epoll_wait = pd_epoll_wait,
	.pipe = pd_pipe,
	.splice = pd_splice,
};

__attribute__((visibility("default")))
void packetdrill_interface_init(const char *flags, struct pd_interface *ifc)
{
	struct stack_config cfg = {
		.addr = 0xc0a80002,	/* 192.168.0.2 */
		.prefix = 16,
		.gw = 0xc0a80001,	/* packetdrill's gateway */
		.mtu = 1500,
		.seed = 1,
	};
	struct pd *pd = calloc(1, sizeof *pd);

	if (pd == NULL) {
		fprintf(stderr, "netcore_pd: out of memory\n");
		abort();
	}
	parse_flags(flags, &cfg);
	pthread_mutex_init(&pd->lock, NULL);
	pthread_cond_init(&pd->cv, NULL);
	pd->now = START_US;
	pd->out_tail = &pd->out;
	pd->until = UINT64_MAX;
	for (int i = 0; i < MAX_FD; i++)
		pd->slot[i].core = SLOT_FREE;
	pd->st = stack_new(&cfg, on_output, pd);
	if (pd->st == NULL) {
		fprintf(stderr, "netcore_pd: cannot make a stack\n");
		abort();
	}
	pd->st->wake = on_wake;
	pd->st->wake_arg = pd;
	stack_advance(pd->st, pd->now);
	*ifc = calls;
	ifc->userdata = pd;
}
