/*
 * IPv4 and IPv6 reassembly (RFC 791, RFC 815; RFC 8200 4.5). Each family
 * has its own table (st->reasm, st->reasm6). Up to REASM_MAX_DGRAMS
 * datagrams are rebuilt at once, each in one buffer laid out as the whole
 * packet will be (a 20- or 40-byte header, then the payload), with a
 * bitmap of the 8-byte blocks received. IPv4 overlaps are resolved
 * first-wins block by block, so no fragment can write outside its
 * datagram or change what an earlier one brought; duplicates change
 * nothing. In IPv6 an overlap drops the whole datagram (RFC 5722); a
 * fragment all of whose blocks are in already is a duplicate and
 * ignored. Fragments that contradict the datagram's length drop the
 * datagram.
 *
 * Memory is bounded: buffers grow as fragments ask for them, and all of
 * them together stay under REASM_MAX_BYTES by evicting the oldest
 * datagram. One timer, at the earliest deadline, drops datagrams not
 * completed within REASM_TIMEOUT_US of their first fragment. The buffer
 * of a completed datagram is kept as a spare for the next one, so a
 * steady stream of fragmented datagrams allocates nothing.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "icmp.h"
#include "icmp6.h"
#include "ip.h"
#include "ip6.h"
#include "reasm.h"
#include "stack.h"
#include "timer.h"

enum {
	REASM_MAXDATA = IP_MAXPACKET,	/* largest payload (IPv6's plen) */
	REASM_BLOCKS = (REASM_MAXDATA + 7) / 8,
	REASM_MINBUF = 4096,
};

struct fragdgram {
	int used;
	uint32_t src, dst;
	struct in6_addr src6, dst6;
	uint32_t id;
	uint8_t proto, ttl, tos;
	uint64_t expires;
	uint8_t *buf;		/* header room, then the payload */
	size_t cap;		/* bytes allocated at buf */
	size_t total;		/* payload length once the last fragment came, else 0 */
	size_t maxend;		/* furthest payload byte seen */
	size_t have;		/* blocks received */
	uint8_t got[(REASM_BLOCKS + 7) / 8];
};

struct reasm {
	int v6;			/* the IPv6 table: header room IP6_HLEN */
	size_t hroom;		/* header room before the payload */
	struct fragdgram d[REASM_MAX_DGRAMS];
	size_t bytes;		/* allocated for datagrams in reassembly */
	struct timer timer;
	uint8_t *done;		/* the datagram last completed (until the next call) */
	size_t done_cap;
	uint8_t *spare;		/* a buffer for the next datagram */
	size_t spare_cap;
};

static void expire(struct stack *st, struct timer *t);

static struct reasm *get_reasm(struct stack *st, int v6)
{
	struct reasm **rp = v6 ? &st->reasm6 : &st->reasm, *r = *rp;

	if (r != NULL)
		return r;
	r = calloc(1, sizeof *r);
	if (r == NULL || timer_init(st, &r->timer, expire) < 0) {
		free(r);
		return NULL;
	}
	r->v6 = v6;
	r->hroom = v6 ? IP6_HLEN : IP_HLEN;
	*rp = r;
	return r;
}

/* Count a reassembly event (IPS_REASM_*) in family v6's counters. */
static void count(struct stack *st, int v6, int what)
{
	if (!v6)
		st->ips[what]++;
	else if (what == IPS_REASM_REQDS)
		st->ip6s[IP6S_REASM_REQDS]++;
	else if (what == IPS_REASM_OKS)
		st->ip6s[IP6S_REASM_OKS]++;
	else
		st->ip6s[IP6S_REASM_FAILS]++;
}

/* The IPv6 header of d as a packet of plen payload bytes, at h. */
static void header6(uint8_t *h, const struct fragdgram *d, size_t plen)
{
	ip6_emit(h, &(struct ip6hdr){ .tclass = d->tos, .plen = (uint16_t)plen, .nxt = d->proto,
				      .hlim = d->ttl, .src = d->src6, .dst = d->dst6 });
}

/* Keep the timer on the earliest deadline. */
static void arm(struct stack *st, struct reasm *r)
{
	uint64_t when = UINT64_MAX;

	for (int i = 0; i < REASM_MAX_DGRAMS; i++)
		if (r->d[i].used && r->d[i].expires < when)
			when = r->d[i].expires;
	if (when == UINT64_MAX)
		timer_stop(st, &r->timer);
	else
		timer_set(st, &r->timer, when);
}

static void drop(struct stack *st, struct reasm *r, struct fragdgram *d)
{
	free(d->buf);
	r->bytes -= d->cap;
	d->buf = NULL;
	d->cap = 0;
	d->used = 0;
	count(st, r->v6, IPS_REASM_FAILS);
}

/* RFC 1122 3.3.2: a datagram that timed out with its first fragment in
 * hand is reported to its source with ICMP time exceeded, quoting its
 * header (built in the buffer's header room) and first 8 bytes. */
static void time_exceeded(struct stack *st, const struct reasm *r, struct fragdgram *d)
{
	uint8_t *h = d->buf;
	struct ippkt ip = { .src = d->src, .dst = d->dst, .proto = d->proto, .ttl = d->ttl,
			    .tos = d->tos, .id = (uint16_t)d->id, .hdr = h, .hlen = r->hroom,
			    .v6 = (uint8_t)r->v6, .src6 = d->src6, .dst6 = d->dst6,
			    .data = h + r->hroom, .len = d->maxend < 8 ? d->maxend : 8 };

	if (h == NULL || !(d->got[0] & 1))
		return;
	if (r->v6) {
		header6(h, d, ip.len);
		icmp6_error(st, &ip, ICMP6_TIME_EXCEEDED, ICMP6_TIME_EXCEED_REASM, 0);
		return;
	}
	ip_emit(h, &(struct iphdr){ .tos = d->tos, .ttl = d->ttl, .proto = d->proto,
				    .total = (uint16_t)(IP_HLEN + ip.len), .id = (uint16_t)d->id,
				    .src = d->src, .dst = d->dst });
	icmp_error(st, &ip, ICMP_TIMXCEED, ICMP_TIMXCEED_REASS);
}

static void expire(struct stack *st, struct timer *t)
{
	struct reasm *r = (struct reasm *)((char *)t - offsetof(struct reasm, timer));

	for (int i = 0; i < REASM_MAX_DGRAMS; i++) {
		if (r->d[i].used && r->d[i].expires <= st->now) {
			if (r->v6)
				st->ip6s[IP6S_REASM_TIMEOUT]++;
			time_exceeded(st, r, &r->d[i]);
			drop(st, r, &r->d[i]);
		}
	}
	arm(st, r);
}

/* The datagram begun first, other than keep; NULL if none. */
static struct fragdgram *oldest(struct reasm *r, const struct fragdgram *keep)
{
	struct fragdgram *o = NULL;

	for (int i = 0; i < REASM_MAX_DGRAMS; i++) {
		struct fragdgram *d = &r->d[i];
		if (d->used && d != keep && (o == NULL || d->expires < o->expires))
			o = d;
	}
	return o;
}

/* The datagram fragment f (its identification id) belongs to. */
static struct fragdgram *find(struct reasm *r, const struct ippkt *f, uint32_t id)
{
	for (int i = 0; i < REASM_MAX_DGRAMS; i++) {
		struct fragdgram *d = &r->d[i];
		if (d->used && d->src == f->src && d->dst == f->dst && d->proto == f->proto &&
		    d->id == id &&
		    (!r->v6 || (in6_eq(&d->src6, &f->src6) && in6_eq(&d->dst6, &f->dst6))))
			return d;
	}
	return NULL;
}

static struct fragdgram *start(struct stack *st, struct reasm *r, const struct ippkt *f,
			       uint32_t id)
{
	struct fragdgram *d = NULL;

	for (int i = 0; i < REASM_MAX_DGRAMS && d == NULL; i++)
		if (!r->d[i].used)
			d = &r->d[i];
	if (d == NULL) {
		d = oldest(r, NULL);
		drop(st, r, d);
	}
	memset(d, 0, sizeof *d);
	d->used = 1;
	d->src = f->src;
	d->dst = f->dst;
	if (r->v6) {	/* an IPv4 packet leaves them unset */
		d->src6 = f->src6;
		d->dst6 = f->dst6;
	}
	d->proto = f->proto;
	d->id = id;
	d->expires = st->now + (r->v6 ? REASM6_TIMEOUT_US : REASM_TIMEOUT_US);
	arm(st, r);
	return d;
}

/* Make room for need bytes at d->buf, within the memory bound. */
static int grow(struct stack *st, struct reasm *r, struct fragdgram *d, size_t need)
{
	size_t cap;
	uint8_t *b;

	if (d->buf == NULL && r->spare != NULL) {
		d->buf = r->spare;
		d->cap = r->spare_cap;
		r->bytes += d->cap;
		r->spare = NULL;
	}
	if (need <= d->cap)
		return 0;
	cap = d->cap * 2 > need ? d->cap * 2 : need;
	if (cap < REASM_MINBUF)
		cap = REASM_MINBUF;
	if (cap > r->hroom + REASM_MAXDATA)
		cap = r->hroom + REASM_MAXDATA;
	while (r->bytes - d->cap + cap > REASM_MAX_BYTES) {
		struct fragdgram *o = oldest(r, d);
		if (o == NULL)
			return -1;
		drop(st, r, o);
	}
	b = realloc(d->buf, cap);
	if (b == NULL)
		return -1;
	r->bytes += cap - d->cap;
	d->buf = b;
	d->cap = cap;
	return 0;
}

/* Does this fragment agree with what the datagram's length is known to be? */
static int consistent(struct fragdgram *d, size_t end, int more)
{
	if (!more)
		return (d->total == 0 || d->total == end) && end >= d->maxend;
	return d->total == 0 || end <= d->total;
}

static int has_block(const struct fragdgram *d, size_t b)
{
	return (d->got[b / 8] & (1u << (b % 8))) != 0;
}

/* How many blocks of [off, end) are in already. */
static size_t blocks_in(const struct fragdgram *d, size_t off, size_t end)
{
	size_t n = 0;

	for (size_t b = off / 8; b * 8 < end; b++)
		n += has_block(d, b);
	return n;
}

/* Copy the blocks of [off, end) not received yet (after hroom bytes of
 * header room): first wins. */
static void fill(struct fragdgram *d, size_t hroom, const uint8_t *data, size_t off, size_t end)
{
	for (size_t b = off / 8; b * 8 < end; b++) {
		size_t from = b * 8, n = end - from < 8 ? end - from : 8;
		if (has_block(d, b))
			continue;
		d->got[b / 8] |= (uint8_t)(1u << (b % 8));
		d->have++;
		memcpy(d->buf + hroom + from, data + (from - off), n);
	}
}

/* The datagram is whole: write its header, hand it out, free the slot. */
static void finish(struct stack *st, struct reasm *r, struct fragdgram *d, struct ippkt *whole)
{
	uint8_t *h = d->buf;

	if (r->v6)
		header6(h, d, d->total);
	else
		ip_emit(h, &(struct iphdr){ .tos = d->tos, .ttl = d->ttl, .proto = d->proto,
					    .total = (uint16_t)(IP_HLEN + d->total),
					    .id = (uint16_t)d->id, .src = d->src, .dst = d->dst });
	*whole = (struct ippkt){ .src = d->src, .dst = d->dst, .proto = d->proto,
				 .ttl = d->ttl, .tos = d->tos, .id = (uint16_t)d->id, .hdr = h,
				 .hlen = r->hroom, .data = h + r->hroom, .len = d->total,
				 .v6 = (uint8_t)r->v6, .src6 = d->src6, .dst6 = d->dst6 };
	r->bytes -= d->cap;
	r->done = d->buf;
	r->done_cap = d->cap;
	d->buf = NULL;
	d->cap = 0;
	d->used = 0;
	count(st, r->v6, IPS_REASM_OKS);
	arm(st, r);
}

/* The datagram handed out by the last call is no longer in use. */
static void recycle(struct reasm *r)
{
	if (r->done == NULL)
		return;
	if (r->spare == NULL) {
		r->spare = r->done;
		r->spare_cap = r->done_cap;
	} else {
		free(r->done);
	}
	r->done = NULL;
}

/* A fragment of [off, off + frag->len) of datagram id, more to come or
 * not, into table v6: as reasm_input. */
static int input(struct stack *st, int v6, const struct ippkt *frag, uint32_t id, size_t off,
		 int more, struct ippkt *whole)
{
	size_t end = off + frag->len, maxdata = v6 ? REASM_MAXDATA : REASM_MAXDATA - IP_HLEN;
	struct reasm *r = get_reasm(st, v6);
	struct fragdgram *d;

	if (r == NULL) {
		count(st, v6, IPS_REASM_REQDS);
		count(st, v6, IPS_REASM_FAILS);
		return 0;
	}
	count(st, r->v6, IPS_REASM_REQDS);
	recycle(r);
	/* empty, beyond 64 KiB, or not a multiple of 8 before the end */
	if (frag->len == 0 || end > maxdata || (more && frag->len % 8 != 0)) {
		count(st, r->v6, IPS_REASM_FAILS);
		return 0;
	}
	d = find(r, frag, id);
	if (d == NULL)
		d = start(st, r, frag, id);
	if (v6 && d->have > 0) {	/* RFC 5722: an overlap drops it all */
		size_t in = blocks_in(d, off, end);
		if (in == (end - off + 7) / 8)
			return 0;	/* a duplicate */
		if (in > 0) {
			drop(st, r, d);
			arm(st, r);
			return 0;
		}
	}
	if (!consistent(d, end, more) || grow(st, r, d, r->hroom + end) < 0) {
		drop(st, r, d);
		arm(st, r);
		return 0;
	}
	if (!more)
		d->total = end;
	if (end > d->maxend)
		d->maxend = end;
	if (off == 0) {
		d->ttl = frag->ttl;
		d->tos = frag->tos;
	}
	fill(d, r->hroom, frag->data, off, end);
	if (d->total == 0 || d->have < (d->total + 7) / 8)
		return 0;
	finish(st, r, d, whole);
	return 1;
}

int reasm_input(struct stack *st, const struct ippkt *frag, struct ippkt *whole)
{
	return input(st, 0, frag, frag->id, (size_t)(frag->frag & IP_OFFMASK) * 8,
		     (frag->frag & IP_MF) != 0, whole);
}

int reasm6_input(struct stack *st, const struct ippkt *frag, const struct ip6frag *fh,
		 struct ippkt *whole)
{
	return input(st, 1, frag, fh->id, fh->off, fh->more, whole);
}

size_t reasm_mem(const struct stack *st)
{
	return (st->reasm ? st->reasm->bytes : 0) + (st->reasm6 ? st->reasm6->bytes : 0);
}

static void free_table(struct stack *st, struct reasm **rp)
{
	struct reasm *r = *rp;

	if (r == NULL)
		return;
	timer_fini(st, &r->timer);
	for (int i = 0; i < REASM_MAX_DGRAMS; i++)
		free(r->d[i].buf);
	free(r->done);
	free(r->spare);
	free(r);
	*rp = NULL;
}

void reasm_fini(struct stack *st)
{
	free_table(st, &st->reasm);
	free_table(st, &st->reasm6);
}
