/*
 * The DNS pump (see dns.h): datagrams between a resolver and a UDP
 * socket of a netcore stack, with the public API only.
 */
#include <errno.h>
#include <sys/socket.h>

#include <netcore/netcore.h>

#include "dns.h"

enum {
	PUMP_MAX = 64,		/* datagrams read in one pump */
	RECV_MAX = 4096,	/* a reply may be longer than asked */
};

int dns_sock_open(struct nc_stack *st, struct in_addr server)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(DNS_PORT),
				   .sin_addr = server };
	int s = nc_socket(st, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, IPPROTO_UDP);
	int err;

	if (s < 0)
		return -1;
	if (nc_connect(st, s, (const struct sockaddr *)&sin, sizeof sin) < 0) {
		err = errno;
		nc_close(st, s);
		errno = err;
		return -1;
	}
	return s;
}

void dns_sock_pump(struct dns *d, struct nc_stack *st, int s, uint64_t now)
{
	uint8_t buf[RECV_MAX];
	size_t n;

	for (int i = 0; i < PUMP_MAX; i++) {
		ssize_t got = nc_recv(st, s, buf, sizeof buf, MSG_DONTWAIT);
		if (got >= 0)
			dns_input(d, now, buf, (size_t)got);
		else if (errno != ECONNREFUSED)	/* reported once; retries go on */
			break;
	}
	dns_advance(d, now);
	/* A query that cannot be sent is as good as lost: its retry covers it. */
	while ((n = dns_output(d, now, buf, sizeof buf)) > 0)
		nc_send(st, s, buf, n, MSG_DONTWAIT);
}
