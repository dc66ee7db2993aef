/*
 * netforward: examples/forward.sh in C, for when a fork and two execs of
 * cat per connection are too slow. Each call to PORT on the stack is
 * relayed to HOST!HPORT, both ways, through the files of /net alone (no
 * socket calls): a child per call copies with poll(2) over the two data
 * files; an end's EOF becomes "shutdown wr" on the other, an error or a
 * reset "hangup".
 *
 *   netforward PORT HOST!HPORT [MOUNTPOINT]
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *net = "/net";

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

/* One direction of a relay: from's data to to's, to's ctl to end it. */
struct half {
	int from, to, toctl;
	int open;
};

/* Move what from has (it polled readable) to to. 0 while open; 1 at
 * from's EOF (to is half-closed); -1 when either end failed. */
static int pump(struct half *h, char *buf, size_t size)
{
	ssize_t r = read(h->from, buf, size);

	if (r == 0) {
		say(h->toctl, "shutdown wr");
		return 1;
	}
	for (ssize_t off = 0; r > 0 && off < r;) {
		ssize_t w = write(h->to, buf + off, (size_t)(r - off));
		if (w < 0) {
			r = -1;
			break;
		}
		off += w;
	}
	return r < 0 ? -1 : 0;
}

/* The child for the call on conversation in (its ctl inctl). */
static int relay(int in, int inctl, const char *dest)
{
	static char buf[1 << 20];
	char cmd[256];
	int outctl = netopen(-1, "clone", O_RDWR), out, ind, outd;
	struct half h[2];
	struct pollfd p[2];

	if (outctl < 0 || (out = convno(outctl)) < 0)
		return 1;
	snprintf(cmd, sizeof cmd, "connect %s", dest);
	if (say(outctl, cmd) < 0) {
		say(inctl, "hangup");
		return 1;
	}
	ind = netopen(in, "data", O_RDWR);
	outd = netopen(out, "data", O_RDWR);
	if (ind < 0 || outd < 0) {
		say(inctl, "hangup");
		say(outctl, "hangup");
		return 1;
	}
	h[0] = (struct half){ ind, outd, outctl, 1 };
	h[1] = (struct half){ outd, ind, inctl, 1 };
	while (h[0].open || h[1].open) {
		int n = 0, map[2];

		for (int i = 0; i < 2; i++)
			if (h[i].open) {
				p[n] = (struct pollfd){ .fd = h[i].from, .events = POLLIN };
				map[n++] = i;
			}
		if (poll(p, (nfds_t)n, -1) < 0 && errno != EINTR)
			break;
		for (int k = 0; k < n; k++) {
			struct half *x = &h[map[k]];
			if (!(p[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			int r = pump(x, buf, sizeof buf);
			if (r > 0) {
				x->open = 0;
			} else if (r < 0) {	/* one end failed: both go */
				say(inctl, "hangup");
				say(outctl, "hangup");
				h[0].open = h[1].open = 0;
			}
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	char cmd[64];
	int ctl, n;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: netforward PORT HOST!HPORT [MOUNTPOINT]\n");
		return 2;
	}
	if (argc == 4)
		net = argv[3];
	signal(SIGCHLD, SIG_IGN);	/* children reap themselves */
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
		int call = netopen(n, "listen", O_RDWR), in;

		if (call < 0) {
			if (errno == EINTR)
				continue;
			perror("netforward: listen");
			return 1;
		}
		in = convno(call);
		if (in >= 0 && fork() == 0) {
			close(ctl);
			_exit(relay(in, call, argv[2]));
		}
		close(call);
	}
}
