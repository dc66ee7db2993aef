/*
 * fdtool: what the shell cannot do on a file of the tree, for the
 * end-to-end tests: non-blocking opens, one write or read at a time with
 * the errno's name, poll().
 *
 *   fdtool [-n] [-r | -w] FILE OP...
 *
 * FILE is opened O_RDWR (-r O_RDONLY, -w O_WRONLY), with O_NONBLOCK if -n.
 * Each OP prints one line:
 *
 *   write:TEXT      one write(2) of TEXT: "write N" or the errno's name
 *   read            one read(2) of up to 64 KiB: "read TEXT" (newlines kept
 *                   as they are), "read eof", or the errno's name
 *   poll:EV:MS      poll(2) for EV (in, out or inout) for at most MS ms:
 *                   "poll POLLIN|POLLOUT…" or "poll timeout"
 *   nonblock, block set or clear O_NONBLOCK: "nonblock" / "block"
 *   alarm:MS        a SIGALRM in MS ms, caught without SA_RESTART, so that
 *                   it interrupts the next blocking call (EINTR): "alarm"
 *   say:TEXT        print TEXT (so a script knows where fdtool is)
 *
 * An errno is printed as "NAME" (EAGAIN, EINPROGRESS …). The exit status
 * is 0 unless the open or an argument failed (then 1).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static void say_errno(void)
{
	const char *name = strerrorname_np(errno);

	printf("%s\n", name ? name : "EUNKNOWN");
}

static void op_write(int fd, const char *text)
{
	ssize_t n = write(fd, text, strlen(text));

	if (n < 0)
		say_errno();
	else
		printf("write %zd\n", n);
}

static void op_read(int fd)
{
	static char buf[65536];
	ssize_t n = read(fd, buf, sizeof buf);

	if (n < 0) {
		say_errno();
	} else if (n == 0) {
		printf("read eof\n");
	} else {
		printf("read ");
		fwrite(buf, 1, (size_t)n, stdout);
		if (buf[n - 1] != '\n')
			putchar('\n');
	}
}

static void print_revents(short r)
{
	static const struct {
		short bit;
		const char *name;
	} names[] = {
		{ POLLIN, "POLLIN" },	{ POLLOUT, "POLLOUT" }, { POLLERR, "POLLERR" },
		{ POLLHUP, "POLLHUP" }, { POLLNVAL, "POLLNVAL" },
	};
	const char *sep = "";

	printf("poll ");
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (r & names[i].bit) {
			printf("%s%s", sep, names[i].name);
			sep = "|";
		}
	}
	putchar('\n');
}

static int op_poll(int fd, const char *arg)
{
	struct pollfd p = { .fd = fd };
	char ev[8];
	int ms, r;

	if (sscanf(arg, "%7[a-z]:%d", ev, &ms) != 2)
		return -1;
	if (strcmp(ev, "in") == 0)
		p.events = POLLIN;
	else if (strcmp(ev, "out") == 0)
		p.events = POLLOUT;
	else if (strcmp(ev, "inout") == 0)
		p.events = POLLIN | POLLOUT;
	else
		return -1;
	fflush(stdout);
	r = poll(&p, 1, ms);
	if (r < 0)
		say_errno();
	else if (r == 0)
		printf("poll timeout\n");
	else
		print_revents(p.revents);
	return 0;
}

static void op_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK) < 0)
		say_errno();
	else
		printf("%s\n", on ? "nonblock" : "block");
}

static void on_alarm(int sig)
{
	(void)sig;
}

static int op_alarm(const char *arg)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	struct itimerval it = { 0 };
	int ms = atoi(arg);

	if (ms <= 0)
		return -1;
	it.it_value.tv_sec = ms / 1000;
	it.it_value.tv_usec = ms % 1000 * 1000;
	if (sigaction(SIGALRM, &sa, NULL) < 0 || setitimer(ITIMER_REAL, &it, NULL) < 0)
		say_errno();
	else
		printf("alarm\n");
	return 0;
}

static int run(int fd, const char *op)
{
	int r = 0;

	if (strncmp(op, "write:", 6) == 0)
		op_write(fd, op + 6);
	else if (strcmp(op, "read") == 0)
		op_read(fd);
	else if (strncmp(op, "poll:", 5) == 0)
		r = op_poll(fd, op + 5);
	else if (strcmp(op, "nonblock") == 0 || strcmp(op, "block") == 0)
		op_nonblock(fd, op[0] == 'n');
	else if (strncmp(op, "alarm:", 6) == 0)
		r = op_alarm(op + 6);
	else if (strncmp(op, "say:", 4) == 0)
		printf("%s\n", op + 4);
	else
		r = -1;
	fflush(stdout);
	return r;
}

int main(int argc, char **argv)
{
	int flags = O_RDWR, c, fd;

	while ((c = getopt(argc, argv, "+nrw")) != -1) {
		switch (c) {
		case 'n': flags |= O_NONBLOCK; break;
		case 'r': flags = (flags & ~O_ACCMODE) | O_RDONLY; break;
		case 'w': flags = (flags & ~O_ACCMODE) | O_WRONLY; break;
		default: goto usage;
		}
	}
	if (optind >= argc)
		goto usage;
	fd = open(argv[optind], flags);
	if (fd < 0) {
		printf("open ");
		say_errno();
		return 1;
	}
	for (int i = optind + 1; i < argc; i++) {
		if (run(fd, argv[i]) < 0) {
			fprintf(stderr, "fdtool: bad operation '%s'\n", argv[i]);
			return 1;
		}
	}
	close(fd);
	return 0;
usage:
	fprintf(stderr, "usage: fdtool [-n] [-r | -w] FILE OP...\n");
	return 1;
}
