/*
 * data and listen (SPEC.md §4, §6): reads, writes and listen opens that
 * cannot be answered at once are parked on the conversation, in order,
 * and answered from its socket events. Reads go out with one copy: the
 * socket's queued bytes are described (nc_recv_peek), handed to FUSE as
 * an iovec (reply.c), then consumed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"
#include "data.h"
#include "dgdata.h"
#include "reply.h"
#include "text.h"

enum { READ_IOV = 64 };

/*
 * The socket reports an error once (SO_ERROR), to whichever call comes
 * first; the conversation keeps it, as Plan 9 keeps a hung-up
 * conversation's error: the reader and the writer both get it, not one
 * of them ETIMEDOUT and the other EPIPE, and err shows it.
 */
static int ends_connection(int err)
{
	return err == ECONNRESET || err == ETIMEDOUT || err == ECONNREFUSED ||
	       err == EHOSTUNREACH || err == ENETUNREACH || err == ECONNABORTED;
}

static int fatal(struct conv *c, int err)
{
	if (c->fatal == 0 && ends_connection(err)) {
		c->fatal = err;
		conv_seterr(c, err, "data");
	}
	return err == EPIPE && c->fatal ? c->fatal : err;
}

/* Answer a read of up to size bytes if the socket has something to say:
 * 1 if answered, 0 if it would block. */
static int try_read(fuse_req_t req, uint64_t unique, struct conv *c, size_t size)
{
	struct iovec iov[READ_IOV];
	int cnt = READ_IOV;
	ssize_t n = nc_recv_peek(fs.st, c->sock, iov, &cnt, size);

	if (n < 0) {
		if (errno == EAGAIN)
			return 0;
		fuse_reply_err(req, fatal(c, errno));
		return 1;
	}
	if (n == 0 && c->fatal) {	/* the end was the error, not a FIN */
		fuse_reply_err(req, c->fatal);
		return 1;
	}
	n = (ssize_t)reply_read(req, unique, iov, n > 0 ? cnt : 0, (size_t)n);
	if (n > 0)
		nc_recv_consume(fs.st, c->sock, (size_t)n);
	return 1;
}

static int try_read_any(fuse_req_t req, uint64_t unique, struct conv *c, size_t size)
{
	return c->proto == P_TCP ? try_read(req, unique, c, size) : dgdata_try_read(req, c, size);
}

void data_read(fuse_req_t req, struct ofile *of, size_t size, int flags)
{
	struct conv *c = of->c;
	struct pending *p;

	if (size == 0) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	if (c->q[PEND_READ] == NULL && try_read_any(req, reply_unique(), c, size))
		return;
	if (flags & O_NONBLOCK) {
		fuse_reply_err(req, EAGAIN);
		return;
	}
	p = pend_new(req, PEND_READ);
	if (p == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	p->size = size;
	p->unique = reply_unique();
	pend_park(c, p);
}

/* Queue bytes until all are, the socket is full (EAGAIN) or fails:
 * 0, or an errno. *done counts what went. */
static int send_some(struct conv *c, const char *buf, size_t len, size_t *done)
{
	while (*done < len) {
		ssize_t n = nc_send(fs.st, c->sock, buf + *done, len - *done, 0);

		if (n < 0)
			return fatal(c, errno);
		*done += (size_t)n;
	}
	return 0;
}

/* An overfilled write's wait (below): 0 once there is room again,
 * EAGAIN while there is none, or the connection's error (a send of
 * nothing gives it, as send_some's sends would). */
static int room_again(struct conv *c)
{
	if (nc_send(fs.st, c->sock, "", 0, 0) < 0)
		return fatal(c, errno);
	return conv_poll(c) & (POLLOUT | POLLERR | POLLHUP) ? 0 : EAGAIN;
}

/* Go on with parked write p: 1 when it is answered, 0 if it waits. */
static int try_write(struct conv *c, struct pending *p)
{
	int err = send_some(c, p->buf, p->len, &p->done);

	if (err == 0 && p->over > 0)
		err = room_again(c);
	if (err == EAGAIN)
		return 0;
	/* Bytes queued past the limit count as written once there is room
	 * for them (or when the wait is interrupted, conv.c: they go out),
	 * not when the connection fails first: no room ever came. */
	if (err != 0)
		p->skip -= p->over;
	pend_finish(p, err);	/* skip + done > 0: the count, or the error */
	return 1;
}

/*
 * A blocking writer the socket has no room for: its bytes go into the
 * queue at once, past the buffer's limit (NC_MSG_OVERFILL), and the
 * answer waits until there is room again, as the writer would have
 * waited for it. The bytes are copied once, from the request into the
 * queue: kept aside until room came, each was copied twice, and an
 * upload's every write (1 MiB with dd bs=1M) took a malloc. Returns
 * how many bytes went; fewer than len only when the stack's buffer
 * budget runs out.
 */
static size_t overfill(struct conv *c, const char *buf, size_t len)
{
	ssize_t n = nc_send(fs.st, c->sock, buf, len, NC_MSG_OVERFILL);

	return n > 0 ? (size_t)n : 0;
}

/* Park write req, of which done bytes of len went: what is left is kept
 * aside (p->buf) unless the queue takes it whole. */
static void park_write(fuse_req_t req, struct conv *c, const char *buf, size_t len, size_t done)
{
	struct pending *p = pend_new(req, PEND_WRITE);

	if (p != NULL && c->q[PEND_WRITE] == NULL)
		done += (p->over = overfill(c, buf + done, len - done));
	if (p == NULL || (done < len && (p->buf = malloc(len - done)) == NULL)) {
		pend_free(p);
		if (done > 0)
			fuse_reply_write(req, done);	/* what went */
		else
			fuse_reply_err(req, ENOMEM);
		return;
	}
	p->skip = done;
	p->len = len - done;
	if (p->len > 0)
		memcpy(p->buf, buf + done, p->len);
	pend_park(c, p);
}

/* Answer the parked writes that may go on, oldest first. */
static void writes_go_on(struct conv *c)
{
	struct pending *p;

	while ((p = c->q[PEND_WRITE]) != NULL && try_write(c, p))
		;
}

/* A write main.c read straight into the socket's queue (reply.h): an
 * overfilled write with nothing left to queue, parked and answered as
 * park_write's are, at once if there is room. */
static void write_queued(fuse_req_t req, struct conv *c, size_t len)
{
	struct pending *p = pend_new(req, PEND_WRITE);

	if (p == NULL) {
		fuse_reply_write(req, len);	/* queued all the same */
		return;
	}
	p->skip = p->over = len;
	pend_park(c, p);
	writes_go_on(c);
}

void data_write(fuse_req_t req, struct ofile *of, const char *buf, size_t len, int flags)
{
	struct conv *c = of->c;
	size_t done = 0;
	int err = EAGAIN;

	if (c->proto != P_TCP) {
		dgdata_write(req, c, buf, len);	/* datagrams never wait */
		return;
	}
	/* An upload, big or read into the queue as expected: its next
	 * write may be read into the queue directly. */
	if (len > 0 && request_queued(of) == len) {
		fs.stream = of;
		write_queued(req, c, len);
		return;
	}
	if (len >= STREAM_MIN && !(flags & O_NONBLOCK))
		fs.stream = of;
	/* Behind a parked write, wait in line: bytes are never reordered. */
	if (c->q[PEND_WRITE] == NULL)
		err = send_some(c, buf, len, &done);
	if (err == EAGAIN && !(flags & O_NONBLOCK)) {
		park_write(req, c, buf, len, done);
		return;
	}
	/* all of it, or what went before an error or a full socket */
	if (err == 0 || done > 0)
		fuse_reply_write(req, done);
	else
		fuse_reply_err(req, err);
}

/* A connection is waiting on listener c: make it conversation M and
 * answer the open with M's ctl. 1 if answered, 0 if none waits. */
static int try_accept(fuse_req_t req, struct conv *c, struct fuse_file_info *fi)
{
	int s, err = conv_admit(c->proto, c->uid);
	struct conv *m;
	struct ofile *of;

	/* over its share, the owner's connections wait in the queue */
	if (err != 0) {
		conv_seterr(c, err, "listen");
		fuse_reply_err(req, err);
		return 1;
	}
	s = nc_accept(fs.st, c->sock, NULL, NULL);
	if (s < 0) {
		if (errno == EAGAIN)
			return 0;
		fuse_reply_err(req, errno);
		return 1;
	}
	nc_set_nonblock(fs.st, s, 1);
	m = conv_new(c->proto, s, c->uid, c->gid);
	if (m == NULL) {
		err = errno;
		nc_close(fs.st, s);
		fuse_reply_err(req, err);
		return 1;
	}
	m->mode = c->mode;
	of = ofile_new(Qctl, c->proto, m);
	if (of == NULL || text_make(of) < 0) {
		if (of)
			ofile_free(of);
		else
			conv_discard(m);
		fuse_reply_err(req, ENOMEM);
		return 1;
	}
	file_reply_open(req, fi, of);
	return 1;
}

void listen_open(fuse_req_t req, struct conv *c, struct fuse_file_info *fi)
{
	struct pending *p;

	if (c->q[PEND_LISTEN] == NULL && try_accept(req, c, fi))
		return;
	if (fi->flags & O_NONBLOCK) {
		fuse_reply_err(req, EAGAIN);
		return;
	}
	p = pend_new(req, PEND_LISTEN);
	if (p == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	p->fi = *fi;
	pend_park(c, p);
}

/* The socket's readiness changed: answer what waits, oldest first. */
void data_event(struct conv *c)
{
	struct pending *p;

	while ((p = c->q[PEND_LISTEN]) != NULL && try_accept(p->req, c, &p->fi))
		pend_done(p);
	while ((p = c->q[PEND_READ]) != NULL && try_read_any(p->req, p->unique, c, p->size))
		pend_done(p);
	writes_go_on(c);
}

void data_poll(fuse_req_t req, struct ofile *of, struct fuse_pollhandle *ph)
{
	if (ph) {
		if (of->ph)
			fuse_pollhandle_destroy(of->ph);
		of->ph = ph;
	}
	fuse_reply_poll(req, (unsigned)conv_poll(of->c));
}
