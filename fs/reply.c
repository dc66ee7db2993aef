/*
 * FUSE traffic that goes around libfuse's copies.
 *
 * A read answered by splice: libfuse writes a reply with one writev on
 * /dev/fuse; the kernel then pins the daemon's pages one page at a time
 * as it copies them into the reader's (a page-table walk for each 4 KiB:
 * a seventh of the daemon's time in a download). vmsplice puts the same
 * pages in a pipe in runs, and splice hands the pipe to FUSE, which
 * copies from it: the same one copy, with the pinning batched. The reply
 * is written here, header and all, so it needs the request's unique,
 * which libfuse does not give: main.c passes each raw request through
 * reply_begin first. libfuse's own splice path would not serve: it
 * copies memory into its pipe with write().
 *
 * An upload's write read straight into its socket's queue: read into
 * the daemon's buffer, a 1 MiB write was copied there and copied again
 * into the queue. After a big blocking write to a data file, or one
 * read this way (fs.stream, set by data.c), the next request is read
 * with its data part laid on that socket's room (nc_send_fill): if it is
 * the expected write, its bytes are queued where FUSE put them, one
 * copy; if not, they are moved to where they belong in the buffer, and
 * the guessing stops until the next big write. (A write from a buffer
 * not on a page comes as two requests, a big one and a small rest; the
 * rest is read this way, so the guessing goes on.)
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "conv.h"
#include "log.h"
#include "reply.h"

/* Below SPLICE_MIN a reply is one writev: two calls would cost more than
 * the pages it pins. PIPE_BYTES: room for the biggest reply (1 MiB in
 * 16 KiB chunks, four pages each, five where one starts mid-page) and
 * its header. A process without CAP_SYS_RESOURCE gets at most
 * fs.pipe-max-size (1 MiB: 256 pages), and a reply then carries what
 * fits, as a stream's read may. */
enum { SPLICE_MIN = 16384, PIPE_BYTES = 4 << 20, READ_IOV_MAX = 64 };

/* REQUEST_MAX: the most a request can be (libfuse's buffer, which the
 * daemon reads requests into, is at least this). */
enum { REQUEST_MAX = DATA_IO_MAX + 4096, GUESS_IOV_MAX = 80 };

static uint64_t unique;
static int pipefd[2] = { -1, -1 };
/* The request being served: of its data, bytes already in the queue
 * of the conversation of open file `queued_of` (request_queued). */
static const struct ofile *queued_of;
static size_t queued;
static int broken;	/* a splice failed as none should: writev from then on */
static size_t slots;	/* the pipe's buffers: one for each page piece */

void reply_begin(const struct fuse_buf *b)
{
	const struct fuse_in_header *h = b->mem;

	unique = !(b->flags & FUSE_BUF_IS_FD) && b->size >= sizeof *h ? h->unique : 0;
}

uint64_t reply_unique(void)
{
	return unique;
}

static void pipe_close(void)
{
	if (pipefd[0] >= 0) {
		close(pipefd[0]);
		close(pipefd[1]);
	}
	pipefd[0] = pipefd[1] = -1;
}

/* The pipe, opened at the first big reply: 0, or -1 if there is none
 * (out of descriptors: the next big reply tries again). */
static int pipe_open(void)
{
	long page = sysconf(_SC_PAGESIZE);
	int size;

	if (pipefd[0] >= 0)
		return 0;
	if (pipe2(pipefd, O_NONBLOCK | O_CLOEXEC) < 0) {
		pipefd[0] = pipefd[1] = -1;
		return -1;
	}
	/* the most this process may have: above fs.pipe-max-size (1 MiB)
	 * only with CAP_SYS_RESOURCE */
	for (size = PIPE_BYTES; size > 65536; size /= 2)
		if (fcntl(pipefd[1], F_SETPIPE_SZ, size) >= 0)
			break;
	size = fcntl(pipefd[1], F_GETPIPE_SZ);
	if (size < 0) {
		pipe_close();
		return -1;
	}
	slots = (size_t)size / (size_t)page;
	return 0;
}

/* Trim iov[*cnt] to the pipe buffers vmsplice would make of it (one for
 * each page each piece touches) that fit in `room`: the bytes kept. */
static size_t fit(struct iovec *iov, int *cnt, size_t room)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	size_t n = 0;

	for (int i = 0; i < *cnt; i++) {
		uintptr_t a = (uintptr_t)iov[i].iov_base;
		size_t pages;

		if (iov[i].iov_len == 0)
			continue;
		pages = (a + iov[i].iov_len - 1) / page - a / page + 1;
		if (pages > room) {	/* the pages that fit, to a page's end */
			iov[i].iov_len = room > 0 ? (a / page + room) * page - a : 0;
			*cnt = iov[i].iov_len > 0 ? i + 1 : i;
			return n + iov[i].iov_len;
		}
		room -= pages;
		n += iov[i].iov_len;
	}
	return n;
}

/* A splice that failed where none should (a short vmsplice into the empty
 * pipe, FUSE refusing the reply): said once, and the answers go by
 * writev from then on rather than failing the same way each time. */
static void give_up(const char *what, ssize_t r, size_t want)
{
	if (r < 0)
		logmsg(LOG_WARNING, "reads: %s: %s; answering them by writev from now on", what,
		       strerror(errno));
	else
		logmsg(LOG_WARNING, "reads: %s took %zd of %zu bytes; answering them by writev from now on",
		       what, r, want);
	broken = 1;
	pipe_close();
}

/* Splice the first bytes of iov[cnt] as the reply to request u: how many
 * went (FUSE has them, or has forgotten the request: interrupted, ENOENT,
 * as libfuse takes it), or 0 if they must go another way. */
static size_t splice_reply(uint64_t u, const struct iovec *iov, int cnt)
{
	struct fuse_out_header h = { .unique = u };
	struct iovec v[1 + READ_IOV_MAX];
	ssize_t r;
	size_t n;

	if (broken || cnt > READ_IOV_MAX || pipe_open() < 0)
		return 0;
	v[0] = (struct iovec){ .iov_base = &h, .iov_len = sizeof h };
	memcpy(v + 1, iov, (size_t)cnt * sizeof *iov);
	n = fit(v + 1, &cnt, slots - 1);
	if (n < SPLICE_MIN)
		return 0;
	h.len = (uint32_t)(sizeof h + n);
	r = vmsplice(pipefd[1], v, (unsigned long)cnt + 1, 0);
	if (r != (ssize_t)h.len) {
		give_up("vmsplice", r, h.len);
		return 0;
	}
	r = splice(pipefd[0], NULL, fuse_session_fd(fs.se), NULL, h.len, 0);
	if (r == (ssize_t)h.len)
		return n;
	if (r < 0 && errno == ENOENT) {	/* the pipe may hold what FUSE left */
		pipe_close();
		return n;
	}
	give_up("splice to FUSE", r, h.len);
	return 0;
}

size_t reply_read(fuse_req_t req, uint64_t u, const struct iovec *iov, int cnt, size_t n)
{
	size_t sent = u != 0 && n >= SPLICE_MIN ? splice_reply(u, iov, cnt) : 0;

	if (sent > 0) {
		fuse_reply_none(req);	/* answered: libfuse only frees req */
		return sent;
	}
	fuse_reply_iov(req, iov, cnt);
	return n;
}

struct guess {
	const struct ofile *of;	/* fs.stream: the file expected */
	int fd;			/* /dev/fuse */
	char *mem;		/* the request buffer, REQUEST_MAX bytes */
	ssize_t n;		/* the read's result; -2: not read */
	int err;		/* its errno */
};

/* A request with header h and n bytes in all: is it the expected
 * write, whose data all lies in the room offered? */
static int expected(const struct guess *g, const struct fuse_in_header *h, size_t n, size_t room)
{
	const struct fuse_write_in *w = (const void *)(h + 1);
	const size_t head = sizeof *h + sizeof *w;

	return n >= head && h->opcode == FUSE_WRITE && h->len == n && w->fh == (uintptr_t)g->of &&
	       !(w->flags & O_NONBLOCK) && w->size == n - head && w->size <= room &&
	       g->of->c->q[PEND_WRITE] == NULL;
}

/* nc_send_fill's fill: read the next request, its header into the
 * buffer, what follows onto the room, what overflows the room into the
 * buffer past where the room's bytes would lie. The expected write's
 * data stays queued; anything else goes back into the buffer whole. */
static ssize_t read_guessing(void *arg, const struct iovec *room, int cnt)
{
	const size_t head = sizeof(struct fuse_in_header) + sizeof(struct fuse_write_in);
	struct guess *g = arg;
	struct iovec v[GUESS_IOV_MAX + 2];
	size_t r = 0, at;

	if (cnt > GUESS_IOV_MAX)
		return 0;	/* g->n stays -2: read as usual */
	v[0] = (struct iovec){ g->mem, head };
	for (int i = 0; i < cnt; i++)
		r += (v[i + 1] = room[i]).iov_len;
	v[cnt + 1] = (struct iovec){ g->mem + head + r, REQUEST_MAX - head - r };
	g->n = readv(g->fd, v, cnt + 2);
	g->err = errno;
	if (g->n <= 0)
		return 0;
	if (expected(g, (const void *)g->mem, (size_t)g->n, r))
		return g->n - (ssize_t)head;
	at = head;
	for (int i = 0; i < cnt && at < (size_t)g->n; at += room[i++].iov_len)
		memcpy(g->mem + at, room[i].iov_base,
		       room[i].iov_len < (size_t)g->n - at ? room[i].iov_len : (size_t)g->n - at);
	return 0;
}

/* Is the socket of the file expected well? A send on it would take an
 * error it has (SO_ERROR), which data.c must see, not the guess. */
static int healthy(const struct ofile *of)
{
	return !(conv_poll(of->c) & (POLLERR | POLLHUP | POLLNVAL));
}

/* Read the next request onto the room of g->of's socket (g->n: -1 and
 * g->err when none was read; -2 when it could not be tried): its bytes
 * stay queued if it is the write expected (the count, or 0). */
static ssize_t guess(struct guess *g)
{
	ssize_t q;

	do {
		g->n = -2;
		q = nc_send_fill(fs.st, g->of->c->sock, DATA_IO_MAX, NC_MSG_OVERFILL, read_guessing, g);
		/* ENOENT: the request read was interrupted (as libfuse) */
	} while (g->n == -1 && (g->err == EINTR || g->err == ENOENT));
	return q > 0 ? q : 0;
}

int request_receive(struct fuse_session *se, struct fuse_buf *mem, struct fuse_buf *got)
{
	struct guess g = { .of = fs.stream, .fd = fuse_session_fd(se), .mem = mem->mem, .n = -2 };
	ssize_t q = 0;
	int r;

	queued_of = NULL;
	fs.stream = NULL;	/* until the request now read says again */
	if (g.of != NULL && g.mem != NULL && healthy(g.of))
		q = guess(&g);
	if (g.n >= 0) {
		if (q > 0) {
			queued_of = g.of;
			queued = (size_t)q;
		}
		*got = *mem;
		got->size = (size_t)g.n;
		return (int)g.n;
	}
	if (g.n == -1 && g.err == ENODEV)
		return 0;	/* unmounted */
	if (g.n == -1 && g.err == EAGAIN) {
		fs.stream = g.of;	/* no request after all: as if not asked */
		return -EAGAIN;
	}
	/* not tried, or failed: read as libfuse does, which says why */
	do
		r = fuse_session_receive_buf(se, mem);
	while (r == -EINTR);
	*got = *mem;
	if (r == -EAGAIN)
		fs.stream = g.of;
	return r;
}

size_t request_queued(const struct ofile *of)
{
	return of == queued_of ? queued : 0;
}

void reply_fini(void)
{
	pipe_close();
}
