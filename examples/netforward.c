/*
 * netforward: examples/forward.sh in C, for when a fork and two execs of
 * cat per connection are too slow. Each call to PORT on the stack is
 * relayed to HOST!HPORT, both ways, through the files of /net alone (no
 * socket calls): a thread per call copies one way and a second thread
 * the other, each with plain blocking reads and writes (two FUSE requests
 * a message; poll(2) would add a third); an end's EOF becomes "shutdown
 * wr" on the other, an error or a reset "hangup" on both. Threads, not
 * processes: a fork and exit cost 20 times a thread's start and end.
 *
 *   netforward PORT HOST!HPORT [MOUNTPOINT]
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Read sizes: for a read of a data file the kernel pins (and then marks
 * dirty) every page of the buffer however little comes, so small
 * messages want small reads and bulk wants big ones. A copier starts
 * small, doubles while reads fill the buffer, halves when they come
 * back nearly empty. */
enum { READ_MIN = 64 << 10, READ_MAX = 1 << 20, STACK_SIZE = 64 << 10 };

static const char *net = "/net";
static const char *dest;	/* HOST!HPORT */

/* Open net/tcp/N/FILE (N < 0: net/tcp/FILE). */
static int netopen(int n, const char *file, int flags)
{
	char path[4096];

	if (n < 0)
		snprintf(path, sizeof path, "%s/tcp/%s", net, file);
	else
		snprintf(path, sizeof path, "%s/tcp/%d/%s", net, n, file);
	return open(path, flags | O_CLOEXEC);
}

/* The conversation number a ctl file reads as; -1 on error. */
static int convno(int ctl)
{
	char buf[32];
	ssize_t r = pread(ctl, buf, sizeof buf - 1, 0);

	if (r <= 0)
		return -1;
	buf[r] = 0;
	return atoi(buf);
}

static int say(int ctl, const char *cmd)
{
	return write(ctl, cmd, strlen(cmd)) < 0 ? -1 : 0;
}

/* One end failed: both go (and so does a copier blocked on either). */
static void hangup(int inctl, int outctl)
{
	say(inctl, "hangup");
	say(outctl, "hangup");
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Copy from's bytes to to until from's EOF, then half-close to through
 * toctl; 0. -1 when either end failed (the caller hangs both up). The
 * buffer is whole pages, as cat's is. */
static int copy(int from, int to, int toctl)
{
	size_t size = READ_MIN;
	char *buf = aligned_alloc(4096, READ_MAX);
	int r = -1;

	while (buf != NULL) {
		ssize_t n = read(from, buf, size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || write_all(to, buf, (size_t)n) < 0) {
			if (n == 0) {
				say(toctl, "shutdown wr");
				r = 0;
			}
			break;
		}
		if ((size_t)n == size && size < READ_MAX)
			size *= 2;
		else if ((size_t)n < size / 16 && size > READ_MIN)
			size /= 2;
	}
	free(buf);
	return r;
}

/* One way of a call: from, to, the ctl to half-close at from's end,
 * and both ctls to hang up when either end fails. */
struct way {
	int from, to, toctl;
	int inctl, outctl;
};

static void *copy_way(void *arg)
{
	struct way *w = arg;

	if (copy(w->from, w->to, w->toctl) < 0)
		hangup(w->inctl, w->outctl);
	return NULL;
}

/* Start fn(arg) on a thread with a small stack (the buffers are on the
 * heap); 0, or -1 when no thread could be made. */
static int start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	int r;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, STACK_SIZE);
	r = pthread_create(t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return r == 0 ? 0 : -1;
}

static void close_open(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* The call on conversation in (its ctl inctl): connect to dest, copy
 * down on a second thread and up on this one, then close everything. */
static void relay(int in, int inctl)
{
	char cmd[256];
	int outctl = netopen(-1, "clone", O_RDWR), out, ind = -1, outd = -1;
	struct way up, down;
	pthread_t t;

	snprintf(cmd, sizeof cmd, "connect %s", dest);
	if (outctl < 0 || (out = convno(outctl)) < 0 || say(outctl, cmd) < 0) {
		say(inctl, "hangup");
		goto done;
	}
	ind = netopen(in, "data", O_RDWR);
	outd = netopen(out, "data", O_RDWR);
	if (ind < 0 || outd < 0) {
		hangup(inctl, outctl);
		goto done;
	}
	up = (struct way){ ind, outd, outctl, inctl, outctl };
	down = (struct way){ outd, ind, inctl, inctl, outctl };
	if (start(&t, copy_way, &down) < 0) {
		hangup(inctl, outctl);
		goto done;
	}
	copy_way(&up);
	pthread_join(t, NULL);
done:
	close_open(ind);
	close_open(outd);
	close_open(outctl);
	close(inctl);
}

/* A call taken from listen: its conversation and its ctl. */
struct call {
	int in, ctl;
};

static void *relay_call(void *arg)
{
	struct call *c = arg;

	relay(c->in, c->ctl);
	free(c);
	return NULL;
}

int main(int argc, char **argv)
{
	char cmd[64];
	int ctl, n;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: netforward PORT HOST!HPORT [MOUNTPOINT]\n");
		return 2;
	}
	dest = argv[2];
	if (argc == 4)
		net = argv[3];
	ctl = netopen(-1, "clone", O_RDWR);
	if (ctl < 0 || (n = convno(ctl)) < 0) {
		perror("netforward: clone");
		return 1;
	}
	snprintf(cmd, sizeof cmd, "announce *!%s", argv[1]);
	if (say(ctl, cmd) < 0) {
		perror("netforward: announce");
		return 1;
	}
	for (;;) {
		int fd = netopen(n, "listen", O_RDWR);
		struct call *c;
		pthread_t t;

		if (fd < 0) {
			if (errno == EINTR)
				continue;
			perror("netforward: listen");
			return 1;
		}
		c = malloc(sizeof *c);
		if (c != NULL)
			*c = (struct call){ convno(fd), fd };
		if (c == NULL || c->in < 0 || start(&t, relay_call, c) < 0) {
			say(fd, "hangup");
			free(c);
			close(fd);
			continue;
		}
		pthread_detach(t);
	}
}
