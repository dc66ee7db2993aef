/*
 * nctool: a small client and server on the netcore C API, for the
 * end-to-end tests. It opens its own stack (TUN, addresses) and speaks to
 * the Linux kernel on the other side.
 *
 *   nctool [--tun NAME] [--addr CIDR] [--gw ADDR] [--mtu N] [--no-config]
 *          [--pcap FILE] [--cpus] CMD ...
 *   get HOST PORT PATH          HTTP/1.0 GET; the body goes to stdout
 *   serve PORT FILE [COUNT]     answer COUNT HTTP requests (default 1) with FILE
 *   drain HOST PORT             read to the end; print the byte count
 *   put HOST PORT FILE          send FILE, shut down the sending side, and
 *                               wait for the peer's end (all of it arrived)
 *   connect HOST PORT [MS]      connect with a timeout of MS (default 75000)
 *   pollconnect HOST PORT MS    the same the event-loop way: a non-blocking
 *                               connect (EINPROGRESS), nc_poll for POLLOUT
 *                               at most MS, then SO_ERROR; "timeout" if
 *                               nc_poll saw nothing
 *
 * --cpus: after CMD, print "cpus BEFORE AFTER" on stderr, the CPUs the main
 * thread may run on before and after it (a blocking reader keeps to one
 * CPU inside a call, and must have its own set back).
 *
 * connect prints "connected" or the errno's name (ECONNREFUSED …); every
 * command exits 0 on success, 2 when the network said no, 1 on misuse.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netcore/netcore.h>

static struct nc_stack *st;

static int usage(void)
{
	fprintf(stderr, "usage: nctool [--tun NAME] [--addr CIDR] [--gw ADDR] [--mtu N] "
			"[--no-config] [--pcap FILE] [--cc NAME] [--cpus]\n"
			"       get HOST PORT PATH | drain HOST PORT | serve PORT FILE [COUNT] |\n"
			"       put HOST PORT FILE | connect HOST PORT [MS] | pollconnect HOST PORT MS\n");
	return 1;
}

static int fail(const char *what)
{
	const char *name = strerrorname_np(errno);

	printf("%s\n", name ? name : "EUNKNOWN");
	fprintf(stderr, "nctool: %s: %s\n", what, strerror(errno));
	return 2;
}

static int sockaddr_of(const char *host, const char *port, struct sockaddr_in *sin)
{
	*sin = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(atoi(port)) };
	return inet_pton(AF_INET, host, &sin->sin_addr) == 1 ? 0 : -1;
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

static int cmd_connect(char **av, int ac)
{
	struct sockaddr_in sin;
	int s, ms = ac > 2 ? atoi(av[2]) : 75000;

	if (ac < 2 || sockaddr_of(av[0], av[1], &sin) < 0)
		return usage();
	s = nc_socket(st, AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		return fail("socket");
	nc_setsockopt(st, s, IPPROTO_TCP, NC_TCP_CONNECT_TIMEOUT, &ms, sizeof ms);
	if (nc_connect(st, s, (struct sockaddr *)&sin, sizeof sin) < 0)
		return fail("connect");
	printf("connected\n");
	nc_close(st, s);
	return 0;
}

static int cmd_pollconnect(char **av, int ac)
{
	struct sockaddr_in sin;
	struct nc_pollfd p = { .events = POLLOUT };
	socklen_t len = sizeof(int);
	int n, err = 0;

	if (ac < 3 || sockaddr_of(av[0], av[1], &sin) < 0)
		return usage();
	p.fd = nc_socket(st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (p.fd < 0)
		return fail("socket");
	if (nc_connect(st, p.fd, (struct sockaddr *)&sin, sizeof sin) == 0 || errno != EINPROGRESS)
		return fail("connect did not say EINPROGRESS");
	n = nc_poll(st, &p, 1, atoi(av[2]));
	if (n < 0)
		return fail("poll");
	if (n == 0) {
		printf("timeout\n");
		return 2;
	}
	if (nc_getsockopt(st, p.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return fail("getsockopt");
	if (err) {
		errno = err;
		return fail("connect");
	}
	printf("connected\n");
	nc_close(st, p.fd);
	return 0;
}

/* A TCP connection to sin: its socket, or -1 with errno. */
static int dial(const struct sockaddr_in *sin)
{
	int s = nc_socket(st, AF_INET, SOCK_STREAM, 0);

	if (s >= 0 && nc_connect(st, s, (const struct sockaddr *)sin, sizeof *sin) < 0) {
		int e = errno;
		nc_close(st, s);
		errno = e;
		return -1;
	}
	return s;
}

/* GET: send the request, then copy everything after the header. */
static int cmd_get(char **av, int ac)
{
	struct sockaddr_in sin;
	char req[512], buf[65536];
	size_t hlen = 0;
	int s, in_body = 0, status = 0;
	ssize_t n;

	if (ac < 3 || sockaddr_of(av[0], av[1], &sin) < 0)
		return usage();
	s = dial(&sin);
	if (s < 0)
		return fail("connect");
	snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", av[2], av[0]);
	if (nc_send(st, s, req, strlen(req), 0) < 0)
		return fail("send");
	while ((n = nc_recv(st, s, buf + hlen, sizeof buf - hlen, 0)) > 0) {
		char *end;
		if (in_body) {
			if (write_all(1, buf, (size_t)n) < 0)
				return fail("write");
			continue;
		}
		hlen += (size_t)n;
		end = memmem(buf, hlen, "\r\n\r\n", 4);
		if (end == NULL && hlen < sizeof buf)
			continue;
		if (end == NULL || sscanf(buf, "HTTP/%*s %d", &status) != 1) {
			errno = EPROTO;
			return fail("response header");
		}
		end += 4;
		if (write_all(1, end, hlen - (size_t)(end - buf)) < 0)
			return fail("write");
		in_body = 1;
		hlen = 0;
	}
	if (n < 0)
		return fail("recv");
	nc_close(st, s);
	if (status != 200) {
		fprintf(stderr, "nctool: HTTP status %d\n", status);
		return 2;
	}
	return 0;
}

/* Send a whole file on s. */
static int send_file(int s, int fd)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(fd, buf, sizeof buf)) > 0)
		if (nc_send(st, s, buf, (size_t)n, 0) != n)
			return -1;
	return n < 0 ? -1 : 0;
}

static int serve_one(int l, const char *file)
{
	char buf[4096], hdr[128];
	size_t got = 0;
	int c, fd;
	off_t size;

	c = nc_accept(st, l, NULL, NULL);
	if (c < 0)
		return fail("accept");
	while (!memmem(buf, got, "\r\n\r\n", 4) && got < sizeof buf) {
		ssize_t n = nc_recv(st, c, buf + got, sizeof buf - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	fd = open(file, O_RDONLY);
	if (fd < 0)
		return fail(file);
	size = lseek(fd, 0, SEEK_END);
	lseek(fd, 0, SEEK_SET);
	snprintf(hdr, sizeof hdr, "HTTP/1.0 200 OK\r\nContent-Length: %lld\r\n\r\n",
		 (long long)size);
	if (nc_send(st, c, hdr, strlen(hdr), 0) < 0 || send_file(c, fd) < 0)
		return fail("send");
	close(fd);
	/* Lingering close: our FIN goes after the data, and the peer's FIN
	 * tells us it has it all, so exiting now loses nothing. */
	nc_shutdown(st, c, SHUT_WR);
	while (nc_recv(st, c, buf, sizeof buf, 0) > 0)
		;
	nc_close(st, c);
	return 0;
}

static int cmd_put(char **av, int ac)
{
	struct sockaddr_in sin;
	char buf[65536];
	int s, fd;
	ssize_t n;

	if (ac < 3 || sockaddr_of(av[0], av[1], &sin) < 0)
		return usage();
	fd = open(av[2], O_RDONLY);
	if (fd < 0)
		return fail("open");
	s = dial(&sin);
	if (s < 0)
		return fail("connect");
	while ((n = read(fd, buf, sizeof buf)) > 0)
		for (ssize_t off = 0, w; off < n; off += w)
			if ((w = nc_send(st, s, buf + off, (size_t)(n - off), 0)) < 0)
				return fail("send");
	close(fd);
	if (n < 0 || nc_shutdown(st, s, SHUT_WR) < 0)
		return fail("shutdown");
	while ((n = nc_recv(st, s, buf, sizeof buf, 0)) > 0)
		;
	if (n < 0)
		return fail("recv");
	nc_close(st, s);
	return 0;
}

static int cmd_drain(char **av, int ac)
{
	struct sockaddr_in sin;
	static char buf[256 * 1024];
	long long total = 0;
	ssize_t n;
	int s;

	if (ac < 2 || sockaddr_of(av[0], av[1], &sin) < 0)
		return usage();
	s = dial(&sin);
	if (s < 0)
		return fail("connect");
	while ((n = nc_recv(st, s, buf, sizeof buf, 0)) > 0)
		total += n;
	if (n < 0)
		return fail("recv");
	nc_close(st, s);
	printf("%lld\n", total);
	return 0;
}

static int cmd_serve(char **av, int ac)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int l, count = ac > 2 ? atoi(av[2]) : 1, one = 1;

	if (ac < 2)
		return usage();
	sin.sin_port = htons(atoi(av[0]));
	l = nc_socket(st, AF_INET, SOCK_STREAM, 0);
	nc_setsockopt(st, l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (l < 0 || nc_bind(st, l, (struct sockaddr *)&sin, sizeof sin) < 0 ||
	    nc_listen(st, l, 16) < 0)
		return fail("listen");
	printf("listening\n");
	fflush(stdout);
	for (int i = 0; i < count; i++) {
		int r = serve_one(l, av[1]);
		if (r != 0)
			return r;
	}
	nc_close(st, l);
	return 0;
}

/* The CPUs the calling thread may run on, as "0,1,…". */
static void cpu_list(char *out, size_t size)
{
	cpu_set_t set;
	size_t len = 0;

	if (sched_getaffinity(0, sizeof set, &set) < 0) {
		snprintf(out, size, "?");
		return;
	}
	for (int i = 0; i < CPU_SETSIZE && len + 8 < size; i++)
		if (CPU_ISSET(i, &set))
			len += (size_t)snprintf(out + len, size - len, "%s%d", len ? "," : "", i);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tun", required_argument, 0, 't' },	{ "addr", required_argument, 0, 'a' },
		{ "gw", required_argument, 0, 'g' },	{ "mtu", required_argument, 0, 'm' },
		{ "no-config", no_argument, 0, 'n' },	{ "pcap", required_argument, 0, 'p' },
		{ "cc", required_argument, 0, 'c' },	{ "cpus", no_argument, 0, 'C' },
		{ 0, 0, 0, 0 },
	};
	struct nc_config cfg;
	char before[256] = "", after[256] = "";
	int c, r, cpus = 0;

	nc_config_init(&cfg);
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 't': cfg.tun = optarg; break;
		case 'a':
			if (nc_parse_cidr(optarg, &cfg.addr, &cfg.prefix) < 0)
				return usage();
			break;
		case 'g':
			if (inet_pton(AF_INET, optarg, &cfg.gw) != 1)
				return usage();
			break;
		case 'm': cfg.mtu = atoi(optarg); break;
		case 'n': cfg.no_config = 1; break;
		case 'p': cfg.pcap = optarg; break;
		case 'c': cfg.cc = optarg; break;
		case 'C': cpus = 1; break;
		default: return usage();
		}
	}
	if (optind >= argc)
		return usage();
	st = nc_open(&cfg);
	if (st == NULL) {
		fprintf(stderr, "nctool: %s\n", nc_error());
		return 1;
	}
	argv += optind + 1;
	argc -= optind + 1;
	cpu_list(before, sizeof before);
	if (strcmp(argv[-1], "get") == 0)
		r = cmd_get(argv, argc);
	else if (strcmp(argv[-1], "drain") == 0)
		r = cmd_drain(argv, argc);
	else if (strcmp(argv[-1], "put") == 0)
		r = cmd_put(argv, argc);
	else if (strcmp(argv[-1], "serve") == 0)
		r = cmd_serve(argv, argc);
	else if (strcmp(argv[-1], "connect") == 0)
		r = cmd_connect(argv, argc);
	else if (strcmp(argv[-1], "pollconnect") == 0)
		r = cmd_pollconnect(argv, argc);
	else
		r = usage();
	cpu_list(after, sizeof after);
	if (cpus)
		fprintf(stderr, "cpus %s %s\n", before, after);
	fflush(stdout);
	nc_close_stack(st);
	return r;
}
