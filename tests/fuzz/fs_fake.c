/* The ctl and cs harnesses' stand-ins for FUSE and netcore (fs_fake.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"
#include "cs.h"
#include "dns.h"
#include "fs_fake.h"

struct fake fake;


/* ---- FUSE ---- */

void *fake_request(void)
{
	static char handles[1];

	fake.requests++;
	return handles;
}

static int reply(void)
{
	fake.replies++;
	return 0;
}

int fuse_reply_err(fuse_req_t req, int err)
{
	(void)req, (void)err;
	return reply();
}

int fuse_reply_write(fuse_req_t req, size_t count)
{
	(void)req, (void)count;
	return reply();
}

int fuse_reply_buf(fuse_req_t req, const char *buf, size_t size)
{
	(void)req;
	if (size > 0 && buf == NULL)
		abort();
	return reply();
}

int fuse_reply_open(fuse_req_t req, const struct fuse_file_info *fi)
{
	(void)req, (void)fi;
	return reply();
}

/* The writer: root, as the fuzzed daemon's owner would be. */
const struct fuse_ctx *fuse_req_ctx(fuse_req_t req)
{
	static const struct fuse_ctx root = { 0 };

	(void)req;
	return &root;
}

int fuse_req_interrupted(fuse_req_t req)
{
	(void)req;
	return 0;
}

void fuse_req_interrupt_func(fuse_req_t req, fuse_interrupt_func_t func, void *data)
{
	(void)req, (void)func, (void)data;
}

int fuse_lowlevel_notify_poll(struct fuse_pollhandle *ph)
{
	(void)ph;
	return 0;
}

void fuse_pollhandle_destroy(struct fuse_pollhandle *ph)
{
	(void)ph;
}

void fake_check_replies(void)
{
	if (fake.requests != fake.replies) {
		fprintf(stderr, "fs: %ld requests, %ld replies\n", fake.requests, fake.replies);
		abort();
	}
}

/* ---- netcore ---- */

/* -1 with the chosen errno, or 0. */
static int result(void)
{
	if (fake.fail == 0)
		return 0;
	errno = fake.fail;
	return -1;
}

int nc_bind(struct nc_stack *st, int s, const struct sockaddr *addr, socklen_t len)
{
	(void)st, (void)s, (void)addr, (void)len;
	return result();
}

/* An interface without an IPv6 default route: cs lists IPv4 first. */
int nc_ifinfo(struct nc_stack *st, struct nc_ifinfo *out)
{
	(void)st;
	memset(out, 0, sizeof *out);
	return 0;
}

/* Every socket is a dual-stack one, bound to nothing yet. */
int nc_getsockname(struct nc_stack *st, int s, struct sockaddr *addr, socklen_t *len)
{
	struct sockaddr_in6 any = { .sin6_family = AF_INET6 };

	(void)st, (void)s;
	if (*len < sizeof any)
		return result();
	memcpy(addr, &any, sizeof any);
	*len = sizeof any;
	return result();
}

int nc_listen(struct nc_stack *st, int s, int backlog)
{
	(void)st, (void)s, (void)backlog;
	return result();
}

int nc_connect(struct nc_stack *st, int s, const struct sockaddr *name, socklen_t namelen)
{
	(void)st, (void)s, (void)name, (void)namelen;
	if (fake.fail == 0 && fake.connecting) {
		errno = EINPROGRESS;
		return -1;
	}
	return result();
}

int nc_shutdown(struct nc_stack *st, int s, int how)
{
	(void)st, (void)s, (void)how;
	return result();
}

int nc_close(struct nc_stack *st, int s)
{
	(void)st, (void)s;
	return 0;
}

int nc_setsockopt(struct nc_stack *st, int s, int level, int name, const void *val, socklen_t len)
{
	(void)st, (void)s, (void)level, (void)name, (void)val, (void)len;
	return result();
}

int nc_getsockopt(struct nc_stack *st, int s, int level, int name, void *val, socklen_t *len)
{
	(void)st, (void)s;
	if (level == IPPROTO_TCP && name == NC_TCP_INFO && *len >= sizeof(struct nc_tcp_info)) {
		memset(val, 0, sizeof(struct nc_tcp_info));
		((struct nc_tcp_info *)val)->state = fake.state;
		return 0;
	}
	if (level == SOL_SOCKET && name == SO_ERROR && *len >= sizeof(int)) {
		*(int *)val = fake.so_error;
		return 0;
	}
	errno = ENOPROTOOPT;
	return -1;
}

ssize_t nc_recv_peek(struct nc_stack *st, int s, struct iovec *iov, int *iovcnt, size_t len)
{
	(void)st, (void)s, (void)iov, (void)iovcnt, (void)len;
	return 0;
}

int nc_recv_consume(struct nc_stack *st, int s, size_t n)
{
	(void)st, (void)s, (void)n;
	return 0;
}

int nc_poll(struct nc_stack *st, struct nc_pollfd *fds, nfds_t nfds, int timeout_ms)
{
	(void)st, (void)timeout_ms;
	for (nfds_t i = 0; i < nfds; i++)
		fds[i].revents = fds[i].events & POLLOUT;	/* writable, nothing to read */
	return (int)nfds;
}

int nc_set_event_cb(struct nc_stack *st, int s, void (*cb)(void *arg, int s, short revents),
		    void *arg)
{
	(void)st, (void)s, (void)cb, (void)arg;
	return 0;
}

int nc_loop_watch(struct nc_stack *st, int fd, void (*ready)(void *arg), void *arg)
{
	(void)st, (void)fd, (void)ready, (void)arg;
	return 0;
}

/* ---- dns.c ---- */

/* A stand-in for dns.c: no socket; the queries are kept (a lookup's A and
 * AAAA) for fake_dns_answer, which answers them. */
struct dns_query {
	dns_done_fn done;	/* NULL once cancelled */
	void *arg;
};

static struct dns_query queries[2];
static int nquery;

int dns_init(struct nc_stack *st, const char *servers)
{
	(void)st, (void)servers;
	nquery = 0;
	return 0;
}

/* Queries still under way end as at the daemon's end. */
void dns_fini(void)
{
	for (int i = 0; i < nquery; i++)
		if (queries[i].done)
			queries[i].done(queries[i].arg, ECONNRESET, "ending", NULL, 0);
	nquery = 0;
}

struct dns_query *dns_ask(const char *name, int type, dns_done_fn done, void *arg)
{
	(void)name, (void)type;
	if (nquery == 2) {
		done(arg, ETIMEDOUT, "no server answered", NULL, 0);
		return NULL;
	}
	queries[nquery] = (struct dns_query){ done, arg };
	return &queries[nquery++];
}

void dns_cancel(struct dns_query *q)
{
	q->done = NULL;
}

int fake_dns_answer(const uint8_t *msg, size_t len)
{
	if (nquery == 0)
		return 0;
	/* each query takes the bytes as its answer (c-ares would have
	 * matched the id and the question) */
	for (int i = 0; i < nquery; i++) {
		dns_done_fn done = queries[i].done;

		queries[i].done = NULL;
		if (done)
			done(queries[i].arg, 0, NULL, msg, (int)len);
	}
	return 1;
}

void fake_cs_start(void)
{
	fs.mountpoint = "/net";
	fs.dns = "10.77.0.1";
	if (cs_init() < 0)
		abort();
}

void fake_cs_end(void)
{
	cs_fini();
}
