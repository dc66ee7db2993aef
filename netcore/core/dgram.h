/*
 * What datagram sockets (UDP, ICMP echo) share: a bounded receive queue of
 * whole datagrams, kept as records in a bufq (a 20-byte header: source
 * address, IPv4 as ::ffff:a.b.c.d, port, length; then the payload), and
 * the shutdown state.
 */
#ifndef NETCORE_DGRAM_H
#define NETCORE_DGRAM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

struct stack;
struct sock;
struct sockaddr_in6;
struct in6_addr;

enum { DG_SHUT_RCV = 1, DG_SHUT_SND = 2 };

struct dgram {
	struct bufq rcvq;
	int shut;		/* DG_SHUT_RCV, DG_SHUT_SND */
};

/* Queue a datagram from addr:port, or -ENOBUFS when the queue already
 * holds something and limit bytes would be passed (or memory runs out). */
int dgram_put(struct stack *st, struct bufq *q, uint32_t limit, const struct in6_addr *addr,
	      uint16_t port, const void *data, size_t len);
/* Take the first datagram (MSG_PEEK: leave it), copy up to len bytes and
 * return how many (MSG_TRUNC: its whole length); -EAGAIN when empty. */
ssize_t dgram_get(struct stack *st, struct bufq *q, void *buf, size_t len, int flags,
		  struct sockaddr_in6 *from);

/* The socket operations' common halves: recv (a pending error first, EOF
 * after a shutdown), shutdown of a direction, readiness. */
ssize_t dgram_recv(struct stack *st, struct sock *so, struct dgram *d, void *buf, size_t len,
		   int flags, struct sockaddr_in6 *from);
/* Payload bytes of the datagrams queued. */
size_t dgram_nread(struct dgram *d);
void dgram_shutdown(struct stack *st, struct sock *so, struct dgram *d, int how);
short dgram_poll(const struct sock *so, const struct dgram *d);

#endif
