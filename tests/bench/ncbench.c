/*
 * ncbench: the programs of the bench suite (tests/bench/run.sh) that a
 * shell cannot be: kernel-socket servers for the far end, the latency and
 * connection-rate loops, and a client on the netcore C API.
 *
 * The far end (kernel sockets; each serves one connection after another):
 *   source ADDR PORT BYTES    send BYTES zeros to each caller, then close
 *   sink ADDR PORT            read each caller to its end; print
 *                             "BYTES T_END" (T_END: epoch seconds at EOF)
 *   echo ADDR PORT            send back what each caller sends
 *
 * The near end (print "COUNT T0 T1", epoch seconds around the loop):
 *   pingpong FD N             N times: 1 byte written to FD, 1 byte read
 *                             back (FD: a kernel socket or a /net data file)
 *   connects HOST PORT N      N times: connect, send 1 KB, close (kernel)
 *   netconnects NET HOST PORT N  the same through the files of NET/tcp
 *
 * The C API (its own stack on TUN, address CIDR, gateway GW); print
 * "BYTES T0 T1 CPU", T0 once connected, CPU the process's user+system
 * seconds:
 *   api TUN CIDR GW down HOST PORT      read to the end
 *   api TUN CIDR GW up HOST PORT BYTES  send BYTES zeros, then close
 *   api TUN CIDR GW pingpong HOST PORT N  (BYTES is then N)
 *   api TUN CIDR GW connects HOST PORT N  connect, send 1 KB, close, N
 *                             times (BYTES is then N; T0 before the first)
 *   apiloop TUN CIDR GW down HOST PORT  read to the end as an event-driven
 *                             program does: no thread of its own, its
 *                             reads in the stack loop's callbacks
 *
 * Exit status 0 on success, 1 on misuse or any failure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netcore/netcore.h>

#include "stopwatch.h"

enum { CHUNK = 256 * 1024, ONE_KB = 1024 };

static char buf[CHUNK];

static int usage(void)
{
	fprintf(stderr, "usage: ncbench source ADDR PORT BYTES | sink ADDR PORT | echo ADDR PORT |\n"
			"       pingpong FD N | connects HOST PORT N | netconnects NET HOST PORT N |\n"
			"       api TUN CIDR GW (down HOST PORT | up HOST PORT BYTES | "
			"pingpong HOST PORT N | connects HOST PORT N) |\n"
			"       apiloop TUN CIDR GW down HOST PORT\n");
	return 1;
}

static int fail(const char *what)
{
	fprintf(stderr, "ncbench: %s: %s\n", what, strerror(errno));
	return 1;
}

static int sockaddr_of(const char *host, const char *port, struct sockaddr_in *sin)
{
	*sin = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(atoi(port)) };
	return inet_pton(AF_INET, host, &sin->sin_addr) == 1 ? 0 : -1;
}

/* ---- the far end: kernel sockets ---- */

/* A listener on addr (IPv4 or IPv6) and port. */
static int listener(const char *addr, const char *port)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(atoi(port)) };
	struct sockaddr *sa = (struct sockaddr *)&sin;
	socklen_t len = sizeof sin;
	int l, one = 1;

	if (inet_pton(AF_INET6, addr, &sin6.sin6_addr) == 1) {
		sa = (struct sockaddr *)&sin6;
		len = sizeof sin6;
	} else if (sockaddr_of(addr, port, &sin) < 0) {
		errno = EINVAL;
		return -1;
	}
	l = socket(sa->sa_family, SOCK_STREAM, 0);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(l, sa, len) < 0 || listen(l, 4096) < 0)
		return -1;
	printf("ready\n");
	fflush(stdout);
	return l;
}

/* Read c to its end; the byte count, or -1. */
static long long drain(int c)
{
	long long total = 0;
	ssize_t n;

	while ((n = read(c, buf, sizeof buf)) > 0)
		total += n;
	return n < 0 ? -1 : total;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Send bytes zeros on c; the caller closes it (the kernel sends what is
 * queued, then the FIN). No lingering: a caller that vanishes without
 * closing must not hold up the next one. */
static void send_zeros(int c, long long bytes)
{
	while (bytes > 0) {
		size_t n = bytes < CHUNK ? (size_t)bytes : CHUNK;
		if (write_all(c, buf, n) < 0) {
			fail("source write");
			return;
		}
		bytes -= (long long)n;
	}
}

static void echo_all(int c)
{
	ssize_t n;

	while ((n = read(c, buf, sizeof buf)) > 0)
		if (write_all(c, buf, (size_t)n) < 0)
			return;
}

/* The far end's loop: serve each caller in turn, forever (the script
 * stops it). */
static int serve(const char *mode, char **av, int ac)
{
	long long bytes = ac > 2 ? atoll(av[2]) : 0;
	int l, c;

	if (ac < 2 || (strcmp(mode, "source") == 0 && ac < 3))
		return usage();
	l = listener(av[0], av[1]);
	if (l < 0)
		return fail("listen");
	while ((c = accept(l, NULL, NULL)) >= 0) {
		if (strcmp(mode, "source") == 0) {
			send_zeros(c, bytes);
		} else if (strcmp(mode, "sink") == 0) {
			long long got = drain(c);
			printf("%lld %.6f\n", got, stopwatch_now());
			fflush(stdout);
		} else {
			echo_all(c);
		}
		close(c);
	}
	return fail("accept");
}

/* ---- the near end ---- */

static int pingpong_fd(int fd, long n)
{
	char b = 'x';

	for (long i = 0; i < n; i++)
		if (write(fd, &b, 1) != 1 || read(fd, &b, 1) != 1)
			return -1;
	return 0;
}

static int cmd_pingpong(char **av, int ac)
{
	double t0;
	long n;

	if (ac < 2)
		return usage();
	n = atol(av[1]);
	t0 = stopwatch_now();
	if (pingpong_fd(atoi(av[0]), n) < 0)
		return fail("ping-pong");
	printf("%ld %.6f %.6f\n", n, t0, stopwatch_now());
	return 0;
}

static int one_connect(const struct sockaddr_in *sin)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	int r = -1;

	if (s < 0)
		return -1;
	if (connect(s, (const struct sockaddr *)sin, sizeof *sin) == 0 &&
	    write_all(s, buf, ONE_KB) == 0)
		r = 0;
	close(s);
	return r;
}

/* The same through /net: clone, connect, 1 KB to data, close both. */
static int one_netconnect(const char *net, const char *dest)
{
	char path[4096], cmd[128];
	int ctl, data = -1, r = -1;
	ssize_t n;

	snprintf(path, sizeof path, "%s/tcp/clone", net);
	ctl = open(path, O_RDWR);
	if (ctl < 0)
		return -1;
	n = read(ctl, cmd, sizeof cmd - 1);
	if (n > 0) {
		cmd[n] = 0;
		snprintf(path, sizeof path, "%s/tcp/%d/data", net, atoi(cmd));
		snprintf(cmd, sizeof cmd, "connect %s", dest);
		if (write(ctl, cmd, strlen(cmd)) >= 0)
			data = open(path, O_WRONLY);
	}
	if (data >= 0 && write_all(data, buf, ONE_KB) == 0)
		r = 0;
	if (data >= 0)
		close(data);
	close(ctl);
	return r;
}

static int cmd_connects(char **av, int ac, int through_net)
{
	struct sockaddr_in sin;
	char dest[64];
	double t0;
	long n;

	if (through_net) {
		if (ac < 4)
			return usage();
		snprintf(dest, sizeof dest, "%s!%s", av[1], av[2]);
		n = atol(av[3]);
	} else {
		if (ac < 3 || sockaddr_of(av[0], av[1], &sin) < 0)
			return usage();
		n = atol(av[2]);
	}
	t0 = stopwatch_now();
	for (long i = 0; i < n; i++) {
		int r = through_net ? one_netconnect(av[0], dest) : one_connect(&sin);
		if (r < 0)
			return fail("connect, send, close");
	}
	printf("%ld %.6f %.6f\n", n, t0, stopwatch_now());
	return 0;
}

/* ---- the C API ---- */

static struct nc_stack *st;

static int nc_send_zeros(int s, long long bytes)
{
	while (bytes > 0) {
		size_t n = bytes < CHUNK ? (size_t)bytes : CHUNK;
		ssize_t w = nc_send(st, s, buf, n, 0);
		if (w <= 0)
			return -1;
		bytes -= w;
	}
	return 0;
}

static long long nc_drain(int s)
{
	long long total = 0;
	ssize_t n;

	while ((n = nc_recv(st, s, buf, sizeof buf, 0)) > 0)
		total += n;
	return n < 0 ? -1 : total;
}

static int nc_pingpong(int s, long n)
{
	char b = 'x';

	for (long i = 0; i < n; i++)
		if (nc_send(st, s, &b, 1, 0) != 1 || nc_recv(st, s, &b, 1, 0) != 1)
			return -1;
	return 0;
}

/* One measured exchange on connected socket s; the count it moved. */
static long long api_run(int s, const char *what, char **av, int ac)
{
	if (strcmp(what, "down") == 0)
		return nc_drain(s);
	if (ac < 3)
		return -1;
	if (strcmp(what, "up") == 0) {
		long long bytes = atoll(av[2]);
		if (nc_send_zeros(s, bytes) < 0 || nc_shutdown(st, s, SHUT_WR) < 0)
			return -1;
		/* The far end closes once it has read everything. */
		return nc_drain(s) < 0 ? -1 : bytes;
	}
	if (strcmp(what, "pingpong") == 0)
		return nc_pingpong(s, atol(av[2])) < 0 ? -1 : atol(av[2]);
	return -1;
}

/* n times: a connection to sin, 1 KB sent, closed; 0, or -1. */
static int nc_connects(const struct sockaddr_in *sin, long n)
{
	for (long i = 0; i < n; i++) {
		int s = nc_socket(st, AF_INET, SOCK_STREAM, 0), r = -1;

		if (s < 0)
			return -1;
		if (nc_connect(st, s, (const struct sockaddr *)sin, sizeof *sin) == 0 &&
		    nc_send(st, s, buf, ONE_KB, 0) == ONE_KB)
			r = 0;
		nc_close(st, s);
		if (r < 0)
			return -1;
	}
	return 0;
}

/* The stack of "api" and "apiloop" from their first arguments (TUN CIDR
 * GW), into st; 0, or 1 after saying why (2: the arguments are wrong). */
static int open_stack(char **av, int own_loop)
{
	struct nc_config cfg;

	nc_config_init(&cfg);
	cfg.tun = av[0];
	cfg.own_loop = own_loop;
	if (nc_parse_cidr(av[1], &cfg.addr, &cfg.prefix) < 0 || inet_pton(AF_INET, av[2], &cfg.gw) != 1)
		return 2;
	st = nc_open(&cfg);
	if (st == NULL) {
		fprintf(stderr, "ncbench: %s\n", nc_error());
		return 1;
	}
	return 0;
}

static int cmd_api(char **av, int ac)
{
	struct sockaddr_in sin;
	long long moved;
	double t0, t1;
	int s, r;

	if (ac < 6 || sockaddr_of(av[4], av[5], &sin) < 0 ||
	    (strcmp(av[3], "connects") == 0 && (ac < 7 || atol(av[6]) <= 0)))
		return usage();
	if ((r = open_stack(av, 0)) != 0)
		return r == 2 ? usage() : 1;
	if (strcmp(av[3], "connects") == 0) {	/* each call its own connection */
		long n = atol(av[6]);
		t0 = stopwatch_now();
		moved = nc_connects(&sin, n) == 0 ? n : -1;
		t1 = stopwatch_now();
	} else {
		s = nc_socket(st, AF_INET, SOCK_STREAM, 0);
		if (s < 0 || nc_connect(st, s, (struct sockaddr *)&sin, sizeof sin) < 0) {
			fail("connect");
			nc_close_stack(st);
			return 1;
		}
		t0 = stopwatch_now();	/* from the connection, as for a /net conversation */
		moved = api_run(s, av[3], av + 4, ac - 4);
		t1 = stopwatch_now();
		nc_close(st, s);
	}
	nc_close_stack(st);
	if (moved < 0)
		return fail(av[3]);
	printf("%lld %.6f %.6f %.3f\n", moved, t0, t1, stopwatch_cpu());
	return 0;
}

/* ---- the C API, event-driven (cfg.own_loop): one thread for all ---- */

struct drain {
	int s;
	long long total;	/* bytes read; -1 after a failure */
	double t0;		/* when connected */
};

/* The socket's readiness changed: once writable it is connected; read
 * what is queued; at the end (or on a failure) stop the loop. */
static void drain_ready(void *arg, int s, short revents)
{
	struct drain *d = arg;
	ssize_t n;

	if (d->t0 == 0 && (revents & (POLLOUT | POLLIN)))
		d->t0 = stopwatch_now();
	while ((n = nc_recv(st, s, buf, sizeof buf, 0)) > 0)
		d->total += n;
	if (n == 0 || (n < 0 && errno != EAGAIN)) {
		if (n < 0)
			d->total = -1;
		nc_stop(st);
	}
}

static int cmd_apiloop(char **av, int ac)
{
	struct sockaddr_in sin;
	struct drain d = { 0 };
	double t1;
	int r;

	if (ac < 6 || strcmp(av[3], "down") != 0 || sockaddr_of(av[4], av[5], &sin) < 0)
		return usage();
	if ((r = open_stack(av, 1)) != 0)
		return r == 2 ? usage() : 1;
	d.s = nc_socket(st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (d.s < 0 || nc_set_event_cb(st, d.s, drain_ready, &d) < 0 ||
	    (nc_connect(st, d.s, (struct sockaddr *)&sin, sizeof sin) < 0 && errno != EINPROGRESS) ||
	    nc_run(st) < 0 || d.total < 0) {
		fail("apiloop");
		nc_close_stack(st);
		return 1;
	}
	t1 = stopwatch_now();
	nc_close(st, d.s);
	nc_close_stack(st);
	printf("%lld %.6f %.6f %.3f\n", d.total, d.t0, t1, stopwatch_cpu());
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2)
		return usage();
	cmd = argv[1];
	argv += 2;
	argc -= 2;
	if (strcmp(cmd, "source") == 0 || strcmp(cmd, "sink") == 0 || strcmp(cmd, "echo") == 0)
		return serve(cmd, argv, argc);
	if (strcmp(cmd, "pingpong") == 0)
		return cmd_pingpong(argv, argc);
	if (strcmp(cmd, "connects") == 0)
		return cmd_connects(argv, argc, 0);
	if (strcmp(cmd, "netconnects") == 0)
		return cmd_connects(argv, argc, 1);
	if (strcmp(cmd, "api") == 0)
		return cmd_api(argv, argc);
	if (strcmp(cmd, "apiloop") == 0)
		return cmd_apiloop(argv, argc);
	return usage();
}
