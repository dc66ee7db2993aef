/* TCP (RFC 9293 and friends): what the rest of the core sees of tcp.c. */
#ifndef NETCORE_TCP_H
#define NETCORE_TCP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct stack;
struct ippkt;
struct nc_stat;

/* Congestion control algorithms; 0, CUBIC, is the default. */
enum tcp_ccalg { TCP_CC_CUBIC, TCP_CC_RENO, TCP_CC_BBR, TCP_CC_N };
/* The algorithm of the first len bytes of name (Linux's names, "cubic",
 * "reno" and "bbr", or "newreno"), -1 if none; and the name of one. */
int tcp_cc_find(const char *name, size_t len);
const char *tcp_cc_name(int cc);

int tcp_init(struct stack *st);
/* Reset every connection (RST to each peer) and free all TCP state. */
void tcp_fini(struct stack *st);
void tcp_input(struct stack *st, struct ippkt *ip);
/* An ICMP error quoting one of our segments (see icmp_error_fn). */
void tcp_icmp_error(struct stack *st, int type, int code, uint32_t info,
		    const struct ippkt *quoted);
/* Send what the input of this batch made due (stack_flush calls it). */
void tcp_flush(struct stack *st);
/* Is output waiting for tcp_flush (a big write, tcp_send)? */
int tcp_flush_due(const struct stack *st);
/* Receiving in place (tcp_place.c): room at the end of the queue of the
 * connection the next packet most likely feeds, as at most max iovecs,
 * and in *hdr the bytes of its headers; 0 iovecs: no guess. */
int tcp_rx_room(struct stack *st, struct iovec *iov, int max, size_t *hdr);
/* Is pkt (len bytes, the payload read into that room) the guessed
 * connection's next segment? Then its input takes the payload where it
 * is, until tcp_placed_end. */
int tcp_placed_begin(struct stack *st, uint8_t *pkt, size_t len);
void tcp_placed_end(struct stack *st);
/* Control blocks alive (for stack_mem). */
unsigned tcp_count(const struct stack *st);
/* Counters for P/stats; returns how many, copies up to max. */
int tcp_stats(struct stack *st, struct nc_stat *out, int max);

#endif
