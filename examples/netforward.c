/*
 * netforward: examples/forward.sh in C, for when a fork and two execs of
 * cat per connection are too slow. Each call to PORT on the stack is
 * relayed to HOST!HPORT, both ways, through the files of /net alone (no
 * socket calls): a child per call copies one way and its own child the
 * other, each with plain blocking reads and writes (two FUSE requests a
 * message; poll(2) would add a third); an end's EOF becomes "shutdown wr"
 * on the other, an error or a reset "hangup" on both.
 *
 *   netforward PORT HOST!HPORT [MOUNTPOINT]
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Read sizes: for a read of a data file the kernel pins (and then marks
 * dirty) every page of the buffer however little comes, so small
 * messages want small reads and bulk wants big ones. A copier starts
 * small, doubles while reads fill the buffer, halves when they come
 * back nearly empty. */
enum { READ_MIN = 64 << 10, READ_MAX = 1 << 20 };

static const char *net = "/net";
static char buf[READ_MAX] __attribute__((aligned(4096)));	/* whole pages, as cat has */

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
	char cbuf[32];
	ssize_t r = pread(ctl, cbuf, sizeof cbuf - 1, 0);

	if (r <= 0)
		return -1;
	cbuf[r] = 0;
	return atoi(cbuf);
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
 * toctl; 0. -1 when either end failed (the caller hangs both up). */
static int copy(int from, int to, int toctl)
{
	size_t size = READ_MIN;

	for (;;) {
		ssize_t r = read(from, buf, size);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {
			say(toctl, "shutdown wr");
			return 0;
		}
		if (write_all(to, buf, (size_t)r) < 0)
			return -1;
		if ((size_t)r == size && size < READ_MAX)
			size *= 2;
		else if ((size_t)r < size / 16 && size > READ_MIN)
			size /= 2;
	}
}

/* The child for the call on conversation in (its ctl inctl). */
static int relay(int in, int inctl, const char *dest)
{
	char cmd[256];
	int outctl = netopen(-1, "clone", O_RDWR), out, ind, outd, r;
	pid_t other;

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
		hangup(inctl, outctl);
		return 1;
	}
	signal(SIGCHLD, SIG_DFL);	/* this child waits for its own */
	other = fork();
	if (other == 0) {
		r = copy(outd, ind, inctl);
		if (r < 0)
			hangup(inctl, outctl);
		_exit(r < 0);
	}
	r = other < 0 ? -1 : copy(ind, outd, outctl);
	if (r < 0)
		hangup(inctl, outctl);
	if (other > 0)
		waitpid(other, NULL, 0);
	return r < 0;
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
