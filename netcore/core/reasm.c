/*
 * IPv4 reassembly (RFC 791, RFC 815). Up to REASM_MAX_DGRAMS datagrams
 * are rebuilt at once, each in one buffer laid out as the whole packet
 * will be (a 20-byte header, then the payload), with a bitmap of the
 * 8-byte blocks received. Overlaps are resolved first-wins block by block,
 * so no fragment can write outside its datagram or change what an earlier
 * one brought; duplicates change nothing. Fragments that contradict the
 * datagram's length drop the datagram.
 *
 * Memory is bounded: buffers grow as fragments ask for them, and all of
 * them together stay under REASM_MAX_BYTES by evicting the oldest
 * datagram. One timer, at the earliest deadline, drops datagrams not
 * completed within REASM_TIMEOUT_US of their first fragment. The buffer
 * of a completed datagram is kept as a spare for the next one, so a
 * steady stream of fragmented datagrams allocates nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "icmp.h"
#include "ip.h"
#include "reasm.h"
#include "stack.h"
#include "timer.h"

enum {
	REASM_MAXDATA = IP_MAXPACKET - IP_HLEN,	/* largest payload */
	REASM_BLOCKS = (REASM_MAXDATA + 7) / 8,
	REASM_MINBUF = 4096,
};

struct fragdgram {
	int used;
	uint32_t src, dst;
	uint16_t id;
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
	struct fragdgram d[REASM_MAX_DGRAMS];
	size_t bytes;		/* allocated for datagrams in reassembly */
	struct timer timer;
	uint8_t *done;		/* the datagram last completed (until the next call) */
	size_t done_cap;
	uint8_t *spare;		/* a buffer for the next datagram */
	size_t spare_cap;
};

static void expire(struct stack *st, struct timer *t);

static struct reasm *get_reasm(struct stack *st)
{
	struct reasm *r = st->reasm;

	if (r != NULL)
		return r;
	r = calloc(1, sizeof *r);
	if (r == NULL || timer_init(st, &r->timer, expire) < 0) {
		free(r);
		return NULL;
	}
	st->reasm = r;
	return r;
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
	st->ips[IPS_REASM_FAILS]++;
}

/* RFC 1122 3.3.2: a datagram that timed out with its first fragment in
 * hand is reported to its source with ICMP time exceeded, quoting its
 * header (built in the buffer's header room) and first 8 bytes. */
static void time_exceeded(struct stack *st, struct fragdgram *d)
{
	uint8_t *h = d->buf;
	struct ippkt ip = { .src = d->src, .dst = d->dst, .proto = d->proto, .ttl = d->ttl,
			    .tos = d->tos, .id = d->id, .hdr = h, .hlen = IP_HLEN,
			    .data = h + IP_HLEN, .len = d->maxend < 8 ? d->maxend : 8 };

	if (h == NULL || !(d->got[0] & 1))
		return;
	ip_emit(h, &(struct iphdr){ .tos = d->tos, .ttl = d->ttl, .proto = d->proto,
				    .total = (uint16_t)(IP_HLEN + ip.len), .id = d->id,
				    .src = d->src, .dst = d->dst });
	icmp_error(st, &ip, ICMP_TIMXCEED, ICMP_TIMXCEED_REASS);
}

static void expire(struct stack *st, struct timer *t)
{
	struct reasm *r = st->reasm;

	(void)t;
	for (int i = 0; i < REASM_MAX_DGRAMS; i++) {
		if (r->d[i].used && r->d[i].expires <= st->now) {
			time_exceeded(st, &r->d[i]);
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

static struct fragdgram *find(struct reasm *r, const struct ippkt *f)
{
	for (int i = 0; i < REASM_MAX_DGRAMS; i++) {
		struct fragdgram *d = &r->d[i];
		if (d->used && d->src == f->src && d->dst == f->dst && d->proto == f->proto &&
		    d->id == f->id)
			return d;
	}
	return NULL;
}

static struct fragdgram *start(struct stack *st, struct reasm *r, const struct ippkt *f)
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
	d->proto = f->proto;
	d->id = f->id;
	d->expires = st->now + REASM_TIMEOUT_US;
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
	if (cap > IP_HLEN + REASM_MAXDATA)
		cap = IP_HLEN + REASM_MAXDATA;
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

/* Copy the blocks of [off, end) not received yet: first wins. */
static void fill(struct fragdgram *d, const uint8_t *data, size_t off, size_t end)
{
	for (size_t b = off / 8; b * 8 < end; b++) {
		size_t from = b * 8, n = end - from < 8 ? end - from : 8;
		if (d->got[b / 8] & (1u << (b % 8)))
			continue;
		d->got[b / 8] |= (uint8_t)(1u << (b % 8));
		d->have++;
		memcpy(d->buf + IP_HLEN + from, data + (from - off), n);
	}
}

/* The datagram is whole: write its header, hand it out, free the slot. */
static void finish(struct stack *st, struct reasm *r, struct fragdgram *d, struct ippkt *whole)
{
	uint8_t *h = d->buf;

	ip_emit(h, &(struct iphdr){ .tos = d->tos, .ttl = d->ttl, .proto = d->proto,
				    .total = (uint16_t)(IP_HLEN + d->total), .id = d->id,
				    .src = d->src, .dst = d->dst });
	*whole = (struct ippkt){ .src = d->src, .dst = d->dst, .proto = d->proto,
				 .ttl = d->ttl, .tos = d->tos, .id = d->id, .hdr = h,
				 .hlen = IP_HLEN, .data = h + IP_HLEN, .len = d->total };
	r->bytes -= d->cap;
	r->done = d->buf;
	r->done_cap = d->cap;
	d->buf = NULL;
	d->cap = 0;
	d->used = 0;
	st->ips[IPS_REASM_OKS]++;
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

int reasm_input(struct stack *st, const struct ippkt *frag, struct ippkt *whole)
{
	uint16_t field = frag->frag;
	size_t off = (size_t)(field & IP_OFFMASK) * 8, end = off + frag->len;
	int more = (field & IP_MF) != 0;
	struct reasm *r = get_reasm(st);
	struct fragdgram *d;

	st->ips[IPS_REASM_REQDS]++;
	if (r == NULL) {
		st->ips[IPS_REASM_FAILS]++;
		return 0;
	}
	recycle(r);
	/* empty, beyond 64 KiB, or not a multiple of 8 before the end */
	if (frag->len == 0 || end > REASM_MAXDATA || (more && frag->len % 8 != 0)) {
		st->ips[IPS_REASM_FAILS]++;
		return 0;
	}
	d = find(r, frag);
	if (d == NULL)
		d = start(st, r, frag);
	if (!consistent(d, end, more) || grow(st, r, d, IP_HLEN + end) < 0) {
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
	fill(d, frag->data, off, end);
	if (d->total == 0 || d->have < (d->total + 7) / 8)
		return 0;
	finish(st, r, d, whole);
	return 1;
}

size_t reasm_mem(const struct stack *st)
{
	return st->reasm ? st->reasm->bytes : 0;
}

void reasm_fini(struct stack *st)
{
	struct reasm *r = st->reasm;

	if (r == NULL)
		return;
	timer_fini(st, &r->timer);
	for (int i = 0; i < REASM_MAX_DGRAMS; i++)
		free(r->d[i].buf);
	free(r->done);
	free(r->spare);
	free(r);
	st->reasm = NULL;
}
