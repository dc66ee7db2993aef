/* UDP (RFC 768): what the rest of the core sees of udp.c. */
#ifndef NETCORE_UDP_H
#define NETCORE_UDP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct stack;
struct ippkt;
struct nc_stat;
struct bufq;
struct sockaddr_in;

int udp_init(struct stack *st);
void udp_fini(struct stack *st);
void udp_input(struct stack *st, struct ippkt *ip);
void udp_icmp_error(struct stack *st, int type, int code, const uint8_t *quoted, size_t qlen);
int udp_stats(struct stack *st, struct nc_stat *out, int max);

/*
 * A receive queue of whole datagrams, for udp.c and ping.c: each is a
 * record in a bufq, an 8-byte header (source address, port, length) then
 * the payload. dgram_put queues one from addr:port, or returns -ENOBUFS
 * when the queue already holds something and limit bytes would be passed
 * (or memory runs out). dgram_get takes the first (MSG_PEEK: leaves it),
 * copies up to len bytes and returns how many (MSG_TRUNC: the datagram's
 * length); -EAGAIN when the queue is empty.
 */
int dgram_put(struct stack *st, struct bufq *q, uint32_t limit, uint32_t addr, uint16_t port,
	      const void *data, size_t len);
ssize_t dgram_get(struct stack *st, struct bufq *q, void *buf, size_t len, int flags,
		  struct sockaddr_in *from);

#endif
