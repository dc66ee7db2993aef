/*
 * log (Plan 9's netlog, ip(3)): writes choose what the stack reports
 * ("set tcp ip icmp udp", "clear …", "only ADDR", "only" alone for every
 * address); reads give one line per event. The stack hands each event to
 * a callback (nc_set_log) only while some protocol is set, and this file
 * keeps the last RING lines: a reader that falls behind loses the oldest,
 * the stack never waits. Each open file reads from where it was opened;
 * a read with nothing new is parked until the next line, as data reads are.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netlog.h"

enum { RING = 512, LINE = 160 };

static const struct {
	const char *name;
	unsigned mask;
} flags[] = {
	{ "ip", NC_LOG_IP }, { "icmp", NC_LOG_ICMP }, { "udp", NC_LOG_UDP }, { "tcp", NC_LOG_TCP },
};

static char ring[RING][LINE];
static uint64_t nlines;		/* lines ever logged; line i is ring[i % RING] */
static unsigned mask;
static struct in_addr only;	/* 0.0.0.0: every address */

/* Parked reads, each p->ctx. */
struct reader {
	struct pending *p;
	struct reader *next;
};
static struct reader *readers;

static const char *proto_name(int proto)
{
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
		if (flags[i].mask == (unsigned)proto)
			return flags[i].name;
	return "?";
}

static void format(char *line, const struct nc_log_event *ev)
{
	char s[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN];
	int n;

	inet_ntop(AF_INET, &ev->src, s, sizeof s);
	inet_ntop(AF_INET, &ev->dst, d, sizeof d);
	n = snprintf(line, LINE, "%llu.%06llu %s %s %s!%u -> %s!%u",
		     (unsigned long long)(ev->time_us / 1000000),
		     (unsigned long long)(ev->time_us % 1000000), proto_name(ev->proto), ev->what, s,
		     ev->sport, d, ev->dport);
	if (n < 0 || n >= LINE - 2)
		n = LINE - 2;
	if (strcmp(ev->what, "state") == 0)
		n += snprintf(line + n, (size_t)(LINE - 1 - n), " %s -> %s",
			      nc_tcp_state_name(ev->from), nc_tcp_state_name(ev->to));
	else if (ev->why)
		n += snprintf(line + n, (size_t)(LINE - 1 - n), ": %s", ev->why);
	else if (ev->proto == NC_LOG_ICMP)
		n += snprintf(line + n, (size_t)(LINE - 1 - n), " type %d code %d", ev->type,
			      ev->code);
	if (n > LINE - 2)
		n = LINE - 2;
	line[n] = '\n';
	line[n + 1] = 0;
}

/* The lines of[pos…] that fit in size, at most; of->pos moves past them.
 * A reader further behind than the ring starts at its oldest line. */
static void reply_lines(fuse_req_t req, struct ofile *of, size_t size)
{
	char buf[RING * LINE / 4];
	size_t used = 0;

	if (size > sizeof buf)
		size = sizeof buf;
	if (nlines - of->pos > RING)
		of->pos = nlines - RING;
	while (of->pos < nlines) {
		const char *l = ring[of->pos % RING];
		size_t n = strlen(l);
		if (used + n > size && used > 0)
			break;
		if (n > size)
			n = size;	/* a tiny read gets the start of a line */
		memcpy(buf + used, l, n);
		used += n;
		of->pos++;
	}
	fuse_reply_buf(req, buf, used);
}

static void wake_readers(void)
{
	struct reader *r;

	while ((r = readers) != NULL) {
		struct pending *p = r->p;
		reply_lines(p->req, p->of, p->size);
		pend_done(p);	/* unlinks r through unpark() */
	}
}

static void on_event(void *arg, const struct nc_log_event *ev)
{
	(void)arg;
	if (only.s_addr && ev->src.s_addr != only.s_addr && ev->dst.s_addr != only.s_addr)
		return;
	format(ring[nlines % RING], ev);
	nlines++;
	wake_readers();
	conv_notify_poll(NULL);
}

static void unpark(struct pending *p)
{
	for (struct reader **rp = &readers; *rp; rp = &(*rp)->next) {
		if ((*rp)->p == p) {
			*rp = (*rp)->next;
			return;
		}
	}
}

void netlog_open(struct ofile *of)
{
	of->pos = nlines;
}

void netlog_read(fuse_req_t req, struct ofile *of, size_t size, int oflags)
{
	struct pending *p;
	struct reader *r;

	if (of->pos < nlines || (oflags & O_NONBLOCK)) {
		if (of->pos >= nlines) {
			fuse_reply_err(req, EAGAIN);
			return;
		}
		reply_lines(req, of, size);
		return;
	}
	p = pend_new(req, PEND_READ);
	r = calloc(1, sizeof *r);
	if (p == NULL || r == NULL) {
		pend_free(p);
		free(r);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	p->of = of;
	p->size = size;
	p->ctx = r;
	p->cancel = unpark;
	r->p = p;
	r->next = readers;
	readers = r;
	pend_park(NULL, p);
}

void netlog_poll(fuse_req_t req, struct ofile *of, struct fuse_pollhandle *ph)
{
	if (ph) {
		if (of->ph)
			fuse_pollhandle_destroy(of->ph);
		of->ph = ph;
	}
	fuse_reply_poll(req, POLLOUT | POLLWRNORM | (of->pos < nlines ? POLLIN | POLLRDNORM : 0));
}

static int flag_mask(const char *name, unsigned *m)
{
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		if (strcmp(name, flags[i].name) == 0) {
			*m |= flags[i].mask;
			return 0;
		}
	}
	return EINVAL;
}

/* One command: set|clear NAME…, or only [ADDR]. */
static int command(char *line)
{
	char *w[8], *save = NULL;
	int n = 0;
	unsigned m = 0;

	for (char *t = strtok_r(line, " \t", &save); t && n < 8; t = strtok_r(NULL, " \t", &save))
		w[n++] = t;
	if (n == 0)
		return EINVAL;
	if (strcmp(w[0], "only") == 0) {
		struct in_addr a = { 0 };
		if (n > 2 || (n == 2 && inet_pton(AF_INET, w[1], &a) != 1))
			return EINVAL;
		only = a;
		return 0;
	}
	if ((strcmp(w[0], "set") && strcmp(w[0], "clear")) || n < 2)
		return EINVAL;
	for (int i = 1; i < n; i++)
		if (flag_mask(w[i], &m) != 0)
			return EINVAL;
	mask = w[0][0] == 's' ? mask | m : mask & ~m;
	return nc_set_log(fs.st, mask, mask ? on_event : NULL, NULL) < 0 ? errno : 0;
}

void netlog_write(fuse_req_t req, const char *buf, size_t len)
{
	char line[CTL_MAX + 1];
	size_t n = len;
	int err;

	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (n >= sizeof line) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	memcpy(line, buf, n);
	line[n] = 0;
	err = command(line);
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_write(req, len);
}

void netlog_fini(void)
{
	if (mask)	/* set only on a stack that is open */
		nc_set_log(fs.st, 0, NULL, NULL);
	mask = 0;
	while (readers)
		pend_finish(readers->p, ECONNRESET);
}
