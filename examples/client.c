/*
 * A TCP client on netcore's C API, built against the installed library:
 *
 *   cc -o client client.c $(pkg-config --cflags --libs netcore)
 *   ./client HOST PORT [TUN]
 *
 * Brings up a stack of its own on TUN (default sn1; 10.77.1.2/24, the host
 * side 10.77.1.1, configured through netlink: run it as root), connects to
 * HOST:PORT, sends its standard input, half-closes, and copies what the
 * server answers to standard output until the server closes.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <netcore/netcore.h>

static int copy_in(struct nc_stack *st, int s)
{
	char buf[16384];
	ssize_t n;

	while ((n = read(0, buf, sizeof buf)) > 0)
		if (nc_send(st, s, buf, (size_t)n, 0) != n)
			return -1;
	return n < 0 ? -1 : nc_shutdown(st, s, SHUT_WR);
}

static int copy_out(struct nc_stack *st, int s)
{
	char buf[16384];
	ssize_t n;

	while ((n = nc_recv(st, s, buf, sizeof buf, 0)) > 0)
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			return -1;
	return n < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct nc_config cfg;
	struct nc_stack *st;
	int s, r = 1;

	if (argc < 3 || argc > 4 || inet_pton(AF_INET, argv[1], &sin.sin_addr) != 1) {
		fprintf(stderr, "usage: client HOST PORT [TUN]\n");
		return 2;
	}
	sin.sin_port = htons((uint16_t)atoi(argv[2]));
	nc_config_init(&cfg);
	cfg.tun = argc > 3 ? argv[3] : "sn1";
	inet_pton(AF_INET, "10.77.1.2", &cfg.addr);
	inet_pton(AF_INET, "10.77.1.1", &cfg.gw);
	st = nc_open(&cfg);
	if (st == NULL) {
		fprintf(stderr, "client: %s\n", nc_error());
		return 1;
	}
	s = nc_socket(st, AF_INET, SOCK_STREAM, 0);
	if (s < 0 || nc_connect(st, s, (struct sockaddr *)&sin, sizeof sin) < 0)
		perror("client: connect");
	else if (copy_in(st, s) < 0 || copy_out(st, s) < 0)
		perror("client: transfer");
	else
		r = 0;
	if (s >= 0)
		nc_close(st, s);
	nc_close_stack(st);
	return r;
}
