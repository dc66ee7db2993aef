/* TCP (RFC 9293 and friends): what the rest of the core sees of tcp.c. */
#ifndef NETCORE_TCP_H
#define NETCORE_TCP_H

#include <stddef.h>
#include <stdint.h>

struct stack;
struct ippkt;
struct nc_stat;

int tcp_init(struct stack *st);
/* Reset every connection (RST to each peer) and free all TCP state. */
void tcp_fini(struct stack *st);
void tcp_input(struct stack *st, struct ippkt *ip);
/* An ICMP error quoting one of our segments (see icmp_error_fn). */
void tcp_icmp_error(struct stack *st, int type, int code, const uint8_t *quoted, size_t qlen);
/* Send what the input of this batch made due (stack_flush calls it). */
void tcp_flush(struct stack *st);
/* Control blocks alive (for stack_mem). */
unsigned tcp_count(const struct stack *st);
/* Counters for P/stats; returns how many, copies up to max. */
int tcp_stats(struct stack *st, struct nc_stat *out, int max);

#endif
