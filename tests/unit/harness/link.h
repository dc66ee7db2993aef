/*
 * The test link: a virtual wire between two ends, with a virtual clock.
 *
 * Each end is either a netcore stack (struct stack, created and owned by
 * the link) or a tap, where the test itself reads the packets that arrive
 * and injects the packets it wants to send. Nothing here reads a clock:
 * time is a counter of microseconds that only link_run() and
 * link_run_until() move forward, so a 2-minute timeout takes no real time
 * and every run with the same seed is the same run.
 *
 *   struct stack_config a = { .addr = 0x0a4d0002, .prefix = 24, .mtu = 1500 };
 *   struct stack_config b = { .addr = 0x0a4d0003, .prefix = 24, .mtu = 1500 };
 *   struct link *l = link_new(&a, &b);        // two stacks, back to back
 *   icmp_send_echo(link_stack(l, LINK_A), b.addr, 1, 1, "hi", 2, 0, 0);
 *   link_run(l, link_now(l) + 10000);          // 10 ms of virtual time
 *   link_free(l);
 *
 * Packets: whatever a stack outputs (or the test injects at a tap) enters
 * the wire at the link's current time and arrives at the other end
 * delay_us later (plus any impairment). Arrivals and the stacks' timers
 * are run strictly in time order; a stack gets stack_input() for each
 * packet (or batch of packets, link_set_batch) and stack_poll() after it
 * and at each of its deadlines, as the real driver does.
 * Packets with the same arrival time keep the order they were sent in.
 *
 * Directions: a packet sent by end e travels in direction e, so
 * LINK_A_TO_B == LINK_A and LINK_B_TO_A == LINK_B.
 */
#ifndef TESTS_LINK_H
#define TESTS_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "stack.h"

enum { LINK_A = 0, LINK_B = 1, LINK_A_TO_B = 0, LINK_B_TO_A = 1 };

enum { LINK_DELAY_US = 1000 };	/* the default one-way delay: 1 ms */

/* What a filter decides for one packet. */
enum { LINK_PASS = 0, LINK_DROP = 1, LINK_DUP = 2 };

/*
 * Random impairment of one direction; all zero (no impairment) by default.
 * Probabilities are in [0, 1] and drawn from the link's seeded generator,
 * in this order for each packet: drop, then duplicate, then reorder.
 */
struct link_impair {
	double drop;		/* the packet is lost */
	double dup;		/* a second copy arrives right after it */
	double reorder;		/* it is held back reorder_us, so later ones overtake it */
	uint64_t reorder_us;	/* 0 means 3 x the link delay */
	uint64_t extra_us;	/* added to the delay of every packet */
	uint64_t rate;		/* a bottleneck: bytes a second it carries, 0: none */
	uint64_t queue;		/* bytes that may wait for it, beyond that dropped; 0: any */
};

/* Counters of one direction. sent counts packets put on the wire (before
 * impairment); delivered counts arrivals, duplicates included. */
struct link_counters {
	uint64_t sent, delivered, dropped, duplicated, reordered;
	uint64_t overflowed;	/* dropped because the bottleneck's queue was full */
	uint64_t queue_max;	/* the most bytes that waited for the bottleneck */
};

/*
 * Scripted impairment: called for every packet put on the wire (before the
 * random impairment, which then applies only to packets it passes), with
 * the direction and the whole packet (IPv4 or IPv6). Returns LINK_PASS, LINK_DROP or
 * LINK_DUP. This is how a test drops "the third SYN" or "every segment
 * with seq X" exactly.
 */
typedef int (*link_filter_fn)(void *arg, int dir, const uint8_t *pkt, size_t len);

struct link;

/* A link between end A and end B. A NULL config makes that end a tap;
 * otherwise the link creates (and later frees) a stack from the config.
 * The clock starts at 0, the delay is LINK_DELAY_US, the seed is 1.
 * Returns NULL if a stack cannot be created. */
struct link *link_new(const struct stack_config *a, const struct stack_config *b);
/* Free the link, its stacks, and every packet still in flight or unread. */
void link_free(struct link *l);

/* The stack at an end, NULL for a tap. */
struct stack *link_stack(struct link *l, int end);
/* The link's clock, µs. */
uint64_t link_now(const struct link *l);

/* Settings; change them at any time, they apply to packets sent after. */
void link_set_delay(struct link *l, uint64_t delay_us);
void link_set_seed(struct link *l, uint64_t seed);
/* Batch mode: a stack gets up to n arrivals due at the same time before
 * one stack_poll, as the driver reads up to 64 packets from the TUN
 * before one flush. 1 (the default): a poll after every packet. */
void link_set_batch(struct link *l, int n);
/* The same for one end (the other keeps its own). */
void link_set_end_batch(struct link *l, int end, int n);
/* Receiving in place at one end: each arrival is read as the driver
 * reads the TUN, its payload into the room the stack offers when it
 * offers one (stack_rx_room, stack_input_placed). Off by default. */
void link_set_placing(struct link *l, int end, int on);
void link_set_impair(struct link *l, int dir, const struct link_impair *imp);
void link_set_filter(struct link *l, link_filter_fn fn, void *arg);
const struct link_counters *link_counters(const struct link *l, int dir);

/* Tap ends. link_inject puts a packet on the wire from tap end `end` (it
 * goes through the filter and the impairment of direction `end`). 0, or
 * -1 if `end` is not a tap or out of memory. */
int link_inject(struct link *l, int end, const void *pkt, size_t len);
/* Packets that arrived at tap end `end` and were not read yet. */
int link_pending(const struct link *l, int end);
/* Take the oldest arrived packet at tap end `end`: copies at most size
 * bytes into buf and returns the packet's length (which may exceed size),
 * or 0 if none is waiting. */
size_t link_recv(struct link *l, int end, uint8_t *buf, size_t size);

/* For taps: write at buf a valid IPv4 header (no options, TTL 64, id 1,
 * header checksum set) followed by len bytes of payload; returns the
 * packet's length, IP_HLEN + len. Tests then break what they test. */
size_t link_build_ip(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t proto,
		     const void *payload, size_t len);

/* The same for IPv6: a fixed header (hop limit 64, next header nxt),
 * then len bytes of payload; returns IP6_HLEN + len. */
size_t link_build_ip6(uint8_t *buf, const struct in6_addr *src, const struct in6_addr *dst,
		      uint8_t nxt, const void *payload, size_t len);

/* Run every arrival and every timer due up to time until (µs, absolute),
 * in time order, then set the clock (and the stacks' time) to until. A
 * time in the past runs only what is already due. */
void link_run(struct link *l, uint64_t until);
/* Run event by event until pred(arg) is true, for at most max_us of
 * virtual time from now. pred is checked first, then after each arrival or
 * timer. Returns 1 when pred held (the clock stays at that event), 0 when
 * max_us passed (the clock is then now + max_us). */
int link_run_until(struct link *l, int (*pred)(void *arg), void *arg, uint64_t max_us);

/* The counter called name among a stack's counters of proto (IPPROTO_TCP
 * …); the test fails if there is none. */
uint64_t stack_counter(struct stack *st, int proto, const char *name);

#endif
