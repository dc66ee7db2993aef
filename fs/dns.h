/*
 * DNS for /net/cs: A records (RFC 1035) and AAAA records (RFC 3596) over
 * the stack's own UDP.
 *
 * Three layers, each usable alone:
 *  - the codec: dns_encode_query builds a query, dns_parse_reply reads a
 *    reply. The parser is written for hostile input: every read is
 *    bounded, compression pointers must point backwards and are followed
 *    a limited number of times, and any malformation is -EBADMSG.
 *  - the resolver: a state machine with no socket and no clock. It is
 *    given the time (ms, any monotonic origin) and the datagrams that
 *    arrive, and asked for the datagrams to send and its next deadline;
 *    answers go to a callback. It retries with a doubling timeout, and a
 *    cache answers a name again until its TTL runs out.
 *  - the pump: moves datagrams between a resolver and UDP sockets of a
 *    netcore stack, one a lookup, with the public API only.
 */
#ifndef SLASHNET_DNS_H
#define SLASHNET_DNS_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

struct nc_stack;

enum {
	DNS_PORT = 53,
	DNS_MSG_MAX = 512,	/* a UDP message without EDNS (RFC 1035 4.2.1) */
	DNS_NAME_MAX = 253,	/* a name in text, without the final dot */
	DNS_MAX_ADDRS = 8,	/* addresses kept from one answer */
	DNS_MAX_LOOKUPS = 32,	/* lookups in flight at once */
	DNS_T_A = 1, DNS_T_AAAA = 28,	/* the record types asked for */
};

/* The addresses of a name, and how long (s) they may still be used: an
 * A record's as ::ffff:a.b.c.d, an AAAA record's as it is. */
struct dns_answer {
	int n;
	struct in6_addr addr[DNS_MAX_ADDRS];
	uint32_t ttl;
};

/* A reply as parsed: its header, its question, and the records of the
 * question's type (A or AAAA) of the question's name, after any CNAME
 * chain in the answer section. */
struct dns_reply {
	uint16_t id;
	int rcode;		/* 0 no error, 2 server failure, 3 no such name … */
	int truncated;
	char qname[DNS_NAME_MAX + 1];
	uint16_t qtype, qclass;
	struct dns_answer ans;	/* ttl: the least TTL on the way; 0 if none */
};

/* A query for the records of qtype (DNS_T_A, DNS_T_AAAA) of name (a
 * trailing dot is allowed), with recursion desired. Returns its length,
 * -EINVAL for a name that is not a host name, -ENOSPC if cap is too small. */
int dns_encode_query(uint8_t *buf, size_t cap, uint16_t id, const char *name, uint16_t qtype);
/* 0, or -EBADMSG when msg is not a well-formed reply to one question. */
int dns_parse_reply(const uint8_t *msg, size_t len, struct dns_reply *r);

/* ---- the resolver ---- */

struct dns;

/* How a lookup ended: err 0 and the answer, -ENOENT (no such name, or no
 * address), -EIO (the server failed or refused), or -ETIMEDOUT (every
 * try went unanswered). */
typedef void (*dns_done_fn)(void *arg, int err, const struct dns_answer *ans);

/* timeout_ms for the first try, doubling at each of tries; 0 for either
 * means the default (1000 ms, 3 tries). seed 0: each query id comes from
 * getrandom(2); any other seed makes the ids reproducible (tests). */
struct dns *dns_new(unsigned timeout_ms, int tries, uint64_t seed);
/* Frees everything; lookups in flight end without their callback. */
void dns_free(struct dns *d);

/*
 * Look up the records of qtype (DNS_T_A, DNS_T_AAAA) of name at time
 * now; each type is a lookup and a cache entry of its own. 0: answered
 * from the cache, *ans filled, no
 * callback. > 0: a lookup is under way, done(arg, …) will be called from
 * dns_input or dns_advance; the number can be given to dns_cancel.
 * < 0: -EINVAL (not a host name), -ENOSPC (too many lookups in flight).
 */
int dns_lookup(struct dns *d, uint64_t now, const char *name, uint16_t qtype,
	       struct dns_answer *ans, dns_done_fn done, void *arg);
/* Forget lookup h: its callback will not be called. */
void dns_cancel(struct dns *d, int h);

/* The next datagram due at now (a first try or a retry), written at buf;
 * its length, or 0 when nothing is due. Call until 0. */
size_t dns_output(struct dns *d, uint64_t now, uint8_t *buf, size_t cap);
/* A datagram from the server; anything that is not a well-formed reply
 * to a lookup in flight is ignored. */
void dns_input(struct dns *d, uint64_t now, const uint8_t *msg, size_t len);
/* Lookups whose last try went unanswered until now end (-ETIMEDOUT). */
void dns_advance(struct dns *d, uint64_t now);
/* When dns_output or dns_advance has something to do; UINT64_MAX if
 * nothing is in flight. */
uint64_t dns_deadline(const struct dns *d);
/* Is a lookup with query id in flight (its queries carry that id)? */
int dns_in_flight(const struct dns *d, uint16_t id);

/* ---- the pump, over a netcore stack ---- */

/*
 * Each lookup asks from a UDP socket of its own, on a source port drawn
 * from getrandom(2) (RFC 5452 §9.2: a spoofed answer must guess the port
 * as well as the id); its retries go from the same socket, which is closed
 * once the lookup ends. event(arg, s, revents) is set as the event
 * callback of each socket.
 */
struct dns_pump;
struct dns_pump *dns_pump_new(struct nc_stack *st, const struct sockaddr *server,
			      void (*event)(void *arg, int s, short revents), void *arg);
/* Closes every socket of p. */
void dns_pump_free(struct dns_pump *p);
/* Read every reply waiting into d, end the lookups that ran out of time,
 * close the sockets of lookups that ended (answered, timed out or
 * cancelled), and send what is due. Call it when a socket is readable,
 * after dns_lookup, and at dns_deadline(d). */
void dns_pump_run(struct dns_pump *p, struct dns *d, uint64_t now);

#endif
