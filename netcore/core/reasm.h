/* IPv4 and IPv6 reassembly (RFC 791, RFC 815, RFC 8200 4.5, RFC 5722):
 * bounded memory, 30 s (IPv4) and 60 s (IPv6) timeouts. */
#ifndef NETCORE_REASM_H
#define NETCORE_REASM_H

#include <stddef.h>
#include <stdint.h>

struct stack;
struct ippkt;

enum {
	REASM_TIMEOUT_US = 30 * 1000000ULL,
	REASM6_TIMEOUT_US = 60 * 1000000ULL,	/* RFC 8200 4.5 */
	REASM_MAX_BYTES = 1024 * 1024,	/* all datagrams in reassembly */
	REASM_MAX_DGRAMS = 64,
};

/* A fragment arrived (MF set or offset non-zero). Returns 1 and fills
 * *whole (valid until the next call into reasm) when it completed a
 * datagram; 0 while incomplete or when dropped (counted in st->ips). */
int reasm_input(struct stack *st, const struct ippkt *frag, struct ippkt *whole);
/* The same for an IPv6 fragment: frag's addresses, hop limit, traffic
 * class, and data (len bytes) the fragment's payload; fh its fragment
 * header (fh->nxt in frag->proto). */
struct ip6frag;
int reasm6_input(struct stack *st, const struct ippkt *frag, const struct ip6frag *fh,
		 struct ippkt *whole);
/* Bytes held by datagrams in reassembly (a spare buffer kept for the
 * next one aside). */
size_t reasm_mem(const struct stack *st);
/* Free every datagram in reassembly. */
void reasm_fini(struct stack *st);

#endif
