/*
 * MSG_PEEK. The data file cannot give bytes back, so a peek reads them
 * into a buffer of this process, kept for the descriptor; the next reads
 * (read, readv, recv …) take them from there first, and poll and select
 * report the descriptor readable while some are left. On UDP the buffer
 * holds one datagram, read whole, and its header in headers mode (the
 * sender): a receive takes all of it at once, and a connect that moves
 * the socket to a conversation of its own keeps it (OpenBSD nc -u -l
 * peeks at the first datagram, connects to its sender, then reads it).
 * With no bytes peeked anywhere these calls cost one test on top of the
 * C library's. The buffer is the process's own: peeked bytes do not follow
 * the descriptor through exec, and epoll does not see them.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/uio.h>
#include <unistd.h>

#include "shim.h"

enum { PEEK_FDS = 1024 };

struct peeked {
	size_t off, len;
	int dgram;			/* a UDP datagram: taken whole */
	unsigned char hdr[HDRLEN];	/* its header, in headers mode */
	char data[];
};

static struct peeked *bufs[PEEK_FDS];
static int npeeked;	/* descriptors with bytes left: the fast path's test */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int any_peeked(void)
{
	return __atomic_load_n(&npeeked, __ATOMIC_ACQUIRE) > 0;
}

/* Has fd bytes (or a datagram) kept from a peek? */
int peek_has(int fd)
{
	int r;

	if (!any_peeked() || fd < 0 || fd >= PEEK_FDS)
		return 0;
	pthread_mutex_lock(&lock);
	r = bufs[fd] != NULL;
	pthread_mutex_unlock(&lock);
	return r;
}

static void drop(int fd)
{
	free(bufs[fd]);
	bufs[fd] = NULL;
	__atomic_sub_fetch(&npeeked, 1, __ATOMIC_RELEASE);
}

/* The C library's own; found when the library is loaded, not on first
 * use, which may come inside a libc lock (setlocale reads its files)
 * that dlsym would want again. */
static ssize_t (*next_read)(int, void *, size_t);
static ssize_t (*next_readv)(int, const struct iovec *, int);
static int (*next_close)(int);
static int (*next_poll)(struct pollfd *, nfds_t, int);
static int (*next_select)(int, fd_set *, fd_set *, fd_set *, struct timeval *);

__attribute__((constructor)) static void find_next(void)
{
	next_read = real("read");
	next_readv = real("readv");
	next_close = real("close");
	next_poll = real("poll");
	next_select = real("select");
}

/* Another library's constructor may run before ours and call these
 * (sshd's libcap-ng reads /proc in its own): find them then. */
static void have_next(void)
{
	if (next_select == NULL)
		find_next();
}

/* Copy out of fd's buffer into iov; consume what was copied unless
 * peeking. */
static ssize_t take(int fd, const struct iovec *iov, int cnt, int peek)
{
	struct peeked *p;
	size_t done = 0;

	pthread_mutex_lock(&lock);
	p = bufs[fd];
	for (int i = 0; p != NULL && i < cnt && p->off + done < p->len; i++) {
		size_t k = p->len - p->off - done;

		k = k < iov[i].iov_len ? k : iov[i].iov_len;
		memcpy(iov[i].iov_base, p->data + p->off + done, k);
		done += k;
	}
	if (p != NULL && !peek && ((p->off += done) == p->len || p->dgram))
		drop(fd);
	pthread_mutex_unlock(&lock);
	return (ssize_t)done;
}

/* Keep p for fd, unless another thread kept one first; 1 if kept. */
static int keep(int fd, struct peeked *p)
{
	int kept = 0;

	pthread_mutex_lock(&lock);
	if (bufs[fd] == NULL) {
		bufs[fd] = p;
		__atomic_add_fetch(&npeeked, 1, __ATOMIC_RELEASE);
		kept = 1;
	}
	pthread_mutex_unlock(&lock);
	if (!kept)
		free(p);
	return kept;
}

/* recv with MSG_PEEK on fd (TCP data): bytes already peeked, or a read
 * of the file into the buffer first. */
ssize_t peek_recv(int fd, const struct iovec *iov, int cnt)
{
	size_t want = 0;
	struct peeked *p;
	ssize_t n;

	if (fd < 0 || fd >= PEEK_FDS) {
		errno = EOPNOTSUPP;
		return debug("recv", "MSG_PEEK on a descriptor past %d", PEEK_FDS);
	}
	if (peek_has(fd))
		return take(fd, iov, cnt, 1);
	for (int i = 0; i < cnt; i++)
		want += iov[i].iov_len;
	p = malloc(sizeof *p + (want ? want : 1));
	if (p == NULL)
		return -1;
	n = next_read(fd, p->data, want);
	if (n <= 0) {
		free(p);
		return n;
	}
	*p = (struct peeked){ .len = (size_t)n };
	return keep(fd, p) ? take(fd, iov, cnt, 1) : 0;
}

/* A UDP receive on fd: the datagram kept, else one read whole (and kept
 * when peeking); its payload into iov, and in headers mode (hdr not NULL)
 * its header into hdr. The payload's length, or -1 with errno. */
ssize_t peek_dgram(int fd, const struct iovec *iov, int cnt, unsigned char *hdr, int peek)
{
	size_t skip = hdr ? HDRLEN : 0;
	struct peeked *p;
	ssize_t n;

	if (fd < 0 || fd >= PEEK_FDS) {
		errno = EOPNOTSUPP;
		return debug("recv", "MSG_PEEK on a descriptor past %d", PEEK_FDS);
	}
	if (!peek_has(fd)) {
		p = malloc(sizeof *p + skip + DGRAM_MAX);
		if (p == NULL)
			return -1;
		n = next_read(fd, p->data, skip + DGRAM_MAX);
		if (n < 0 || (size_t)n < skip) {
			free(p);
			errno = n < 0 ? errno : EPROTO;
			return -1;
		}
		*p = (struct peeked){ .len = (size_t)n, .off = skip, .dgram = 1 };
		if (hdr)
			memcpy(p->hdr, p->data, HDRLEN);
		if (!keep(fd, p))
			return peek_dgram(fd, iov, cnt, hdr, peek);	/* another thread's */
	}
	if (hdr) {
		pthread_mutex_lock(&lock);
		if (bufs[fd] != NULL)
			memcpy(hdr, bufs[fd]->hdr, HDRLEN);
		pthread_mutex_unlock(&lock);
	}
	return take(fd, iov, cnt, peek);
}

ssize_t read(int fd, void *buf, size_t n)
{
	struct iovec v = { buf, n };

	have_next();
	if (peek_has(fd))
		return take(fd, &v, 1, 0);
	return next_read(fd, buf, n);
}

ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
	if (n > buflen)
		abort();
	return read(fd, buf, n);
}

ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
	have_next();
	if (peek_has(fd))
		return take(fd, iov, cnt, 0);
	return next_readv(fd, iov, cnt);
}

int close(int fd)
{
	have_next();
	if (peek_has(fd)) {
		pthread_mutex_lock(&lock);
		if (bufs[fd] != NULL)
			drop(fd);
		pthread_mutex_unlock(&lock);
	}
	return next_close(fd);
}

/* poll: descriptors with peeked bytes are readable now. */
static int peeked_ready(struct pollfd *fds, nfds_t n)
{
	int ready = 0;

	for (nfds_t i = 0; i < n; i++) {
		if ((fds[i].events & POLLIN) && peek_has(fds[i].fd))
			ready++;
	}
	return ready;
}

static int poll_with_peeked(struct pollfd *fds, nfds_t n, int r)
{
	if (r < 0)
		return r;
	for (nfds_t i = 0; i < n; i++) {
		if ((fds[i].events & POLLIN) && peek_has(fds[i].fd)) {
			if (fds[i].revents == 0)
				r++;
			fds[i].revents |= POLLIN;
		}
	}
	return r;
}

int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	have_next();
	if (!any_peeked() || peeked_ready(fds, n) == 0)
		return next_poll(fds, n, timeout);
	return poll_with_peeked(fds, n, next_poll(fds, n, 0));
}

int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen)
{
	if (fdslen / sizeof *fds < n)
		abort();
	return poll(fds, n, timeout);
}

/* select: the same, for the read set. */
static int select_peeked(int nfds, fd_set *rd)
{
	int ready = 0;

	for (int fd = 0; rd != NULL && fd < nfds && fd < PEEK_FDS; fd++) {
		if (FD_ISSET(fd, rd) && peek_has(fd))
			ready++;
	}
	return ready;
}

int select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, struct timeval *tv)
{
	struct timeval zero = { 0, 0 };
	fd_set want;
	int r;

	have_next();
	if (!any_peeked() || select_peeked(nfds, rd) == 0)
		return next_select(nfds, rd, wr, ex, tv);
	want = *rd;
	r = next_select(nfds, rd, wr, ex, &zero);
	if (r < 0)
		return r;
	for (int fd = 0; fd < nfds && fd < PEEK_FDS; fd++) {
		if (FD_ISSET(fd, &want) && peek_has(fd) && !FD_ISSET(fd, rd)) {
			FD_SET(fd, rd);
			r++;
		}
	}
	return r;
}
