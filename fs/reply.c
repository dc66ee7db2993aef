/*
 * A read answered by splice (reply.h). libfuse writes a reply with one
 * writev on /dev/fuse; the kernel then pins the daemon's pages one page
 * at a time as it copies them into the reader's (a page-table walk for
 * each 4 KiB: a seventh of the daemon's time in a download). vmsplice puts
 * the same pages in a pipe in runs, and splice hands the pipe to FUSE,
 * which copies from it: the same one copy, with the pinning batched.
 * The reply is written here, header and all, so it needs the request's
 * unique, which libfuse does not give: main.c passes each raw request
 * through reply_begin first. libfuse's own splice path would not serve:
 * it copies memory into its pipe with write().
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

static uint64_t unique;
static int pipefd[2] = { -1, -1 };
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

void reply_fini(void)
{
	pipe_close();
}
