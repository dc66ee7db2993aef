/* UDP (RFC 768): what the rest of the core sees of udp.c. */
#ifndef NETCORE_UDP_H
#define NETCORE_UDP_H

#include <stddef.h>
#include <stdint.h>

struct stack;
struct ippkt;
struct nc_stat;

int udp_init(struct stack *st);
void udp_fini(struct stack *st);
void udp_input(struct stack *st, struct ippkt *ip);
void udp_icmp_error(struct stack *st, int type, int code, uint32_t info,
		    const struct ippkt *quoted);
int udp_stats(struct stack *st, struct nc_stat *out, int max);

#endif
