/*
 * Conversations (SPEC.md §2, §3): the table of each protocol, numbers
 * handed out lowest-first; the reference counts over open files and
 * parked requests; the graceful close; the open files; the parking of
 * requests; and the socket event callback, which hands the event to the
 * files above (conv_on_event) and wakes the pollers.
 *
 * A conversation is freed only when nothing refers to it and its socket
 * is done. For TCP the last close sends FIN after the queued data and
 * keeps the number until the protocol reaches Closed or Time_wait; the
 * stack holds a Time_wait on its own, as Linux holds one without a file
 * descriptor, so a program that opens and closes connections quickly
 * does not run out of numbers.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fuse.h>	/* struct fuse_open_out, FOPEN_STREAM */

#include "conv.h"
#include "log.h"

enum { REAP_IOV = 16 };

struct fs fs;
const int proto_num[NPROTO] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6 };
const char *const proto_names[NPROTO] = { "tcp", "udp", "icmp", "icmpv6" };

static struct ofile *static_files;	/* open files outside conversations */
static struct pending *unowned;	/* parked on no conversation (cs) */
/* Answered requests kept for the next to park, so a reader that waits
 * for each message costs no malloc; at most SPARE_MAX are kept. */
static struct pending *spare;
static int nspare;
enum { SPARE_MAX = 256 };
static void (*event_fn)(struct conv *c);

struct conv *conv_get(int proto, int n)
{
	if (proto < 0 || proto >= NPROTO || n < 0 || n >= fs.nconv[proto])
		return NULL;
	return fs.conv[proto][n];
}

/* The lowest free number of proto, growing the table; -1 if full. */
static int free_slot(int proto)
{
	struct conv **t;
	int n, size;

	for (n = 0; n < fs.nconv[proto]; n++) {
		if (fs.conv[proto][n] == NULL)
			return n;
	}
	if (n >= CONV_MAX)
		return -1;
	size = n ? 2 * n : 64;
	if (size > CONV_MAX)
		size = CONV_MAX;
	t = realloc(fs.conv[proto], (size_t)size * sizeof *t);
	if (t == NULL)
		return -1;
	memset(t + n, 0, (size_t)(size - n) * sizeof *t);
	fs.conv[proto] = t;
	fs.nconv[proto] = size;
	return n;
}

static void conv_event(void *arg, int s, short revents);

/*
 * Fair shares (docs/SECURITY.md). With allow_other any uid may open
 * clone: each uid but root and the daemon's owner holds at most
 * fs.conv_per_uid conversations of a protocol, and the last CONV_RESERVED
 * slots of a table are left to those two, so no user can take the stack
 * away from the others. Every uid is counted; its entry goes with its
 * last conversation. A refusal is logged once, until there is room again.
 */
struct share {
	uid_t uid;
	int n[NPROTO];		/* its conversations alive */
	int refused[NPROTO];	/* refused since it last had room */
};

static struct share *shares;
static int nshares, cap_shares;
static int table_refused[NPROTO];

static struct share *share_find(uid_t uid)
{
	for (int i = 0; i < nshares; i++)
		if (shares[i].uid == uid)
			return &shares[i];
	return NULL;
}

/* uid's entry, made if it has none; NULL if out of memory. */
static struct share *share_get(uid_t uid)
{
	struct share *sh = share_find(uid);

	if (sh != NULL)
		return sh;
	if (nshares == cap_shares) {
		int cap = cap_shares ? 2 * cap_shares : 8;
		struct share *t = realloc(shares, (size_t)cap * sizeof *t);
		if (t == NULL)
			return NULL;
		shares = t;
		cap_shares = cap;
	}
	sh = &shares[nshares++];
	*sh = (struct share){ .uid = uid };
	return sh;
}

/* One conversation of uid's is gone; an entry with none left goes. */
static void share_drop(uid_t uid, int proto)
{
	struct share *sh = share_find(uid);
	int p;

	sh->n[proto]--;
	sh->refused[proto] = 0;
	for (p = 0; p < NPROTO && sh->n[p] == 0; p++)
		;
	if (p == NPROTO)
		*sh = shares[--nshares];
}

int conv_privileged(uid_t uid)
{
	return uid == 0 || uid == fs.uid;
}

/* Refuse with err, saying why the first time. */
static int refuse(int *said, int err, int proto, uid_t uid)
{
	if (!*said && err == EMFILE)
		logmsg(LOG_WARNING, "uid %u has its share of %d %s conversations: refused (EMFILE)",
		       (unsigned)uid, fs.conv_per_uid, proto_names[proto]);
	else if (!*said)
		logmsg(LOG_WARNING, "%s: no free conversation for uid %u (ENFILE)",
		       proto_names[proto], (unsigned)uid);
	*said = 1;
	return err;
}

int conv_admit(int proto, uid_t uid)
{
	struct share *sh = share_find(uid);
	int limit = conv_privileged(uid) ? CONV_MAX : CONV_MAX - CONV_RESERVED;

	if (fs.used[proto] >= limit)
		return refuse(&table_refused[proto], ENFILE, proto, uid);
	if (!conv_privileged(uid) && sh != NULL && sh->n[proto] >= fs.conv_per_uid)
		return refuse(&sh->refused[proto], EMFILE, proto, uid);
	return 0;
}

int conv_visible(const struct conv *c, uid_t uid)
{
	return !fs.hide_others || uid == 0 || c->uid == uid;
}

struct conv *conv_new(int proto, int sock, uid_t uid, gid_t gid)
{
	int n = -1, err = conv_admit(proto, uid);
	struct share *sh;
	struct conv *c;

	if (err == 0 && (n = free_slot(proto)) < 0)
		err = ENFILE;
	if (err) {
		errno = err;
		return NULL;
	}
	sh = share_get(uid);
	c = sh ? calloc(1, sizeof *c) : NULL;
	if (c == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	c->n = n;
	c->proto = proto;
	c->sock = sock;
	c->uid = uid;
	c->gid = gid;
	c->mode = 0660;
	c->ctime = time(NULL);
	c->backlog = DEF_BACKLOG;
	if (nc_set_event_cb(fs.st, sock, conv_event, c) < 0) {
		free(c);
		return NULL;
	}
	fs.conv[proto][n] = c;
	fs.used[proto]++;
	sh->n[proto]++;
	return c;
}

short conv_poll(struct conv *c)
{
	struct nc_pollfd pfd = { .fd = c->sock, .events = POLLIN | POLLOUT };

	return nc_poll(fs.st, &pfd, 1, 0) < 0 ? POLLERR : pfd.revents;
}

int conv_chown(struct conv *c, uid_t uid, gid_t gid)
{
	struct share *sh;

	if (uid != c->uid) {
		sh = share_get(uid);
		if (sh == NULL)
			return ENOMEM;
		sh->n[c->proto]++;
		share_drop(c->uid, c->proto);
		c->uid = uid;
	}
	c->gid = gid;
	return 0;
}

static void conv_free(struct conv *c)
{
	fs.conv[c->proto][c->n] = NULL;
	fs.used[c->proto]--;
	table_refused[c->proto] = 0;
	share_drop(c->uid, c->proto);
	free(c->err);
	free(c->what);
	free(c);
}

/* Close the socket and free c at once (nothing refers to it). */
void conv_discard(struct conv *c)
{
	if (c->sock >= 0)
		nc_close(fs.st, c->sock);
	conv_free(c);
}

int conv_tcp_state(struct conv *c)
{
	struct nc_tcp_info ti;
	socklen_t len = sizeof ti;

	if (c->sock < 0 || nc_getsockopt(fs.st, c->sock, IPPROTO_TCP, NC_TCP_INFO, &ti, &len) < 0)
		return NC_TCP_CLOSED;
	return ti.state;
}

off_t conv_nread(struct conv *c)
{
	int n = 0;
	socklen_t len = sizeof n;

	if (c->sock < 0 || nc_getsockopt(fs.st, c->sock, SOL_SOCKET, NC_SO_NREAD, &n, &len) < 0)
		return 0;
	return n;
}

/* After the last close nobody reads: throw away what arrives, and free
 * the conversation once TCP has reached Closed or Time_wait (nothing
 * more comes then but a repeated FIN, which the stack answers alone). */
static void reap(struct conv *c)
{
	struct iovec iov[REAP_IOV];
	int cnt = REAP_IOV, state;
	ssize_t n;

	while ((n = nc_recv_peek(fs.st, c->sock, iov, &cnt, SIZE_MAX)) > 0) {
		nc_recv_consume(fs.st, c->sock, (size_t)n);
		cnt = REAP_IOV;
	}
	state = conv_tcp_state(c);
	if (state == NC_TCP_CLOSED || state == NC_TCP_TIME_WAIT)
		conv_discard(c);
}

/* The last file is closed: graceful close (SPEC.md §3). */
static void last_close(struct conv *c)
{
	switch (c->proto == P_TCP ? conv_tcp_state(c) : NC_TCP_CLOSED) {
	case NC_TCP_CLOSED:
	case NC_TCP_LISTEN:
	case NC_TCP_SYN_SENT:
		conv_discard(c);
		return;
	case NC_TCP_SYN_RECEIVED:
	case NC_TCP_ESTABLISHED:
	case NC_TCP_CLOSE_WAIT:
		/* queued data still goes out, then FIN */
		nc_shutdown(fs.st, c->sock, SHUT_WR);
		break;
	}
	c->closing = 1;
	reap(c);
}

void conv_put(struct conv *c)
{
	if (--c->ref > 0)
		return;
	if (c->closing)
		reap(c);
	else
		last_close(c);
}

void conv_seterr(struct conv *c, int err, const char *what)
{
	char text[ERR_MAX];

	snprintf(text, sizeof text, "%s: %s", what, strerror(err));
	conv_seterrtext(c, text);
}

/* *p becomes a copy of s (NULL: none). Out of memory, the text is lost:
 * err then reads empty, nothing else changes. */
static void set_text(char **p, const char *s)
{
	free(*p);
	*p = s != NULL && s[0] != 0 ? strdup(s) : NULL;
}

void conv_seterrtext(struct conv *c, const char *text)
{
	set_text(&c->err, text);
}

void conv_setwhat(struct conv *c, const char *what)
{
	set_text(&c->what, what);
}

const char *conv_what(const struct conv *c)
{
	return c->what != NULL ? c->what : "connect";
}

void conv_add_file(struct conv *c, struct ofile *of)
{
	struct ofile **list = c ? &c->files : &static_files;

	of->c = c;
	of->next = *list;
	*list = of;
	if (c)
		c->ref++;
}

void conv_del_file(struct conv *c, struct ofile *of)
{
	struct ofile **pp = c ? &c->files : &static_files;

	for (; *pp; pp = &(*pp)->next) {
		if (*pp == of) {
			*pp = of->next;
			return;
		}
	}
}

/* Readiness changed: wake every poller of the conversation's files (c
 * NULL: of the files outside conversations, the log's). */
void conv_notify_poll(struct conv *c)
{
	for (struct ofile *of = c ? c->files : static_files; of; of = of->next) {
		if (of->ph) {
			fuse_lowlevel_notify_poll(of->ph);
			fuse_pollhandle_destroy(of->ph);
			of->ph = NULL;
		}
	}
}

void conv_on_event(void (*fn)(struct conv *c))
{
	event_fn = fn;
}

/* Runs on the loop when the socket's readiness changes. The reference
 * keeps c alive while the requests it answers let go of theirs. */
static void conv_event(void *arg, int s, short revents)
{
	struct conv *c = arg;

	(void)s;
	(void)revents;
	c->ref++;
	event_fn(c);
	conv_notify_poll(c);
	conv_put(c);
}

/* ---- open files ---- */

struct ofile *ofile_new(int type, int proto, struct conv *c)
{
	struct ofile *of = calloc(1, sizeof *of);

	if (of == NULL)
		return NULL;
	of->type = type;
	of->proto = proto;
	conv_add_file(c, of);
	return of;
}

void ofile_free(struct ofile *of)
{
	struct conv *c = of->c;

	conv_del_file(c, of);
	if (fs.stream == of)
		fs.stream = NULL;
	if (of->ph)
		fuse_pollhandle_destroy(of->ph);
	free(of->text);
	free(of);
	if (c)
		conv_put(c);
}

/*
 * The open reply for a data file, sent by hand: libfuse's fuse_file_info
 * has no bit for FOPEN_STREAM. A stream has no file position, so the
 * kernel takes no position lock around its reads and writes, and a write
 * need not wait for a read of the same open file that is blocked for
 * data (two threads, or `cat <&4 & echo x >&4` in a shell).
 */
static int reply_open_stream(fuse_req_t req, struct ofile *of)
{
	struct fuse_open_out out = {
		.fh = (uintptr_t)of,
		.open_flags = FOPEN_DIRECT_IO | FOPEN_NONSEEKABLE | FOPEN_STREAM,
	};

	return fuse_reply_buf(req, (const char *)&out, sizeof out);
}

/* Answer an open with of as its file: data is a stream, the rest are
 * generated text read from offset 0. If the opener has gone (the open
 * was interrupted), no release will come: let go of of here. */
void file_reply_open(fuse_req_t req, struct fuse_file_info *fi, struct ofile *of)
{
	int r;

	if (of->type == Qdata) {
		r = reply_open_stream(req, of);
	} else {
		fi->fh = (uintptr_t)of;
		fi->direct_io = 1;
		fi->keep_cache = 0;
		r = fuse_reply_open(req, fi);
	}
	if (r == -ENOENT)
		ofile_free(of);
}

/* ---- parked requests ---- */

struct pending *pend_new(fuse_req_t req, int kind)
{
	struct pending *p = spare;

	if (p) {
		spare = p->next;
		nspare--;
		memset(p, 0, sizeof *p);
	} else {
		p = calloc(1, sizeof *p);
	}
	if (p) {
		p->req = req;
		p->kind = kind;
	}
	return p;
}

static void interrupted(fuse_req_t req, void *data)
{
	struct pending *p = data;

	(void)req;
	if (p->kind == PEND_CONNECT)	/* a ctl failure: its text for err */
		conv_seterr(p->c, EINTR, conv_what(p->c));
	pend_finish(p, EINTR);
}

static struct pending **queue_of(struct pending *p)
{
	return p->c ? &p->c->q[p->kind] : &unowned;
}

void pend_park(struct conv *c, struct pending *p)
{
	struct pending **pp;

	p->c = c;
	for (pp = queue_of(p); *pp; pp = &(*pp)->next)
		;
	*pp = p;
	if (c)
		c->ref++;
	if (fuse_req_interrupted(p->req))
		interrupted(p->req, p);
	else
		fuse_req_interrupt_func(p->req, interrupted, p);
}

/* p has been answered: unlink and free it. */
void pend_done(struct pending *p)
{
	struct conv *c = p->c;
	struct pending **pp = queue_of(p);

	while (*pp != p)
		pp = &(*pp)->next;
	*pp = p->next;
	if (p->cancel)
		p->cancel(p);
	pend_free(p);
	if (c)
		conv_put(c);
}

/* Let go of p, never parked or unlinked: kept as a spare if room. */
void pend_free(struct pending *p)
{
	if (p == NULL)
		return;
	free(p->buf);
	free(p->ctx);
	if (nspare < SPARE_MAX) {
		p->next = spare;
		spare = p;
		nspare++;
	} else {
		free(p);
	}
}

/* Answer p with err, or with the bytes a write already queued. */
void pend_finish(struct pending *p, int err)
{
	if (p->kind == PEND_WRITE && p->skip + p->done > 0)
		fuse_reply_write(p->req, p->skip + p->done);
	else
		fuse_reply_err(p->req, err);
	pend_done(p);
}

/* At exit, a parked request: answered, freed (its lookups are gone). */
static void pend_reset(struct pending *p)
{
	fuse_reply_err(p->req, ECONNRESET);
	free(p->buf);
	free(p->ctx);
	free(p);
}

/* At exit: answer what waits, free every conversation and open file.
 * The stack itself resets the connections when it closes. */
void conv_shutdown_all(void)
{
	struct ofile *of;
	struct pending *q;

	for (int p = 0; p < NPROTO; p++) {
		for (int n = 0; n < fs.nconv[p]; n++) {
			struct conv *c = fs.conv[p][n];

			if (c == NULL)
				continue;
			for (int k = 0; k < NPEND; k++) {
				while ((q = c->q[k]) != NULL) {
					c->q[k] = q->next;
					pend_reset(q);
				}
			}
			while ((of = c->files) != NULL) {
				c->files = of->next;
				if (of->ph)
					fuse_pollhandle_destroy(of->ph);
				free(of->text);
				free(of);
			}
			free(c->err);
			free(c->what);
			free(c);
		}
		free(fs.conv[p]);
		fs.conv[p] = NULL;
		fs.nconv[p] = 0;
		fs.used[p] = 0;
	}
	free(shares);
	shares = NULL;
	nshares = cap_shares = 0;
	while ((q = unowned) != NULL) {
		unowned = q->next;
		pend_reset(q);
	}
	while ((of = static_files) != NULL) {
		static_files = of->next;
		free(of->text);
		free(of);
	}
	while ((q = spare) != NULL) {
		spare = q->next;
		free(q);
	}
	nspare = 0;
}
