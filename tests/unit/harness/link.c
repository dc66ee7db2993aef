/*
 * The test link (see link.h): a wire of packets sorted by arrival time,
 * two ends, one virtual clock. Each step takes the earliest event — the
 * first packet on the wire or a stack's next timer — moves the clock to
 * it, runs it, and brings both stacks to the new time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netcore/netcore.h>

#include "ip.h"
#include "link.h"

struct packet {
	struct packet *next;
	uint64_t when;		/* arrival time */
	int dir;		/* the sending end; it arrives at the other */
	size_t len;
	uint8_t data[];
};

struct end {
	struct link *link;
	int id;
	struct stack *st;	/* NULL: a tap */
	struct packet *inbox;	/* tap: arrived, not read yet, oldest first */
	struct packet **inbox_tail;
};

struct link {
	uint64_t now, delay, rng;
	struct end ends[2];
	struct packet *wire;	/* in flight, by arrival time */
	struct link_impair imp[2];
	struct link_counters cnt[2];
	link_filter_fn filter;
	void *filter_arg;
	int batch[2];		/* arrivals due at once each end gets before a poll */
	int placing[2];		/* deliver as the driver, in place (link_set_placing) */
	uint64_t busy[2];	/* each direction's bottleneck is busy until then */
};

/* ---- randomness: xorshift64*, reproducible from the seed ---- */

static uint64_t next_random(struct link *l)
{
	l->rng ^= l->rng >> 12;
	l->rng ^= l->rng << 25;
	l->rng ^= l->rng >> 27;
	return l->rng * 0x2545f4914f6cdd1dULL;
}

/* True with probability p; draws nothing when p is 0, so a link with no
 * impairment consumes no randomness. */
static int chance(struct link *l, double p)
{
	if (p <= 0)
		return 0;
	return (double)(next_random(l) >> 11) * 0x1.0p-53 < p;
}

/* ---- the wire ---- */

static struct packet *packet_new(int dir, const void *data, size_t len, uint64_t when)
{
	struct packet *p = malloc(sizeof *p + len);

	if (p == NULL)
		return NULL;
	p->next = NULL;
	p->when = when;
	p->dir = dir;
	p->len = len;
	memcpy(p->data, data, len);
	return p;
}

/* Insert after every packet arriving at the same time or earlier, so
 * packets with equal arrival times keep their sending order. */
static void wire_insert(struct link *l, struct packet *p)
{
	struct packet **pp = &l->wire;

	while (*pp != NULL && (*pp)->when <= p->when)
		pp = &(*pp)->next;
	p->next = *pp;
	*pp = p;
}

static int wire_put(struct link *l, int dir, const void *pkt, size_t len, uint64_t when)
{
	struct packet *p = packet_new(dir, pkt, len, when);

	if (p == NULL)
		return -1;
	wire_insert(l, p);
	return 0;
}

/* The bottleneck of direction dir takes len bytes: the µs they wait and
 * take to cross it, or UINT64_MAX when its queue is full (drop-tail). */
static uint64_t bottleneck(struct link *l, int dir, size_t len)
{
	const struct link_impair *imp = &l->imp[dir];
	struct link_counters *c = &l->cnt[dir];
	uint64_t start = l->busy[dir] > l->now ? l->busy[dir] : l->now;
	uint64_t waiting = (start - l->now) * imp->rate / 1000000;

	if (imp->rate == 0)
		return 0;
	if (imp->queue > 0 && waiting + len > imp->queue) {
		c->overflowed++;
		return UINT64_MAX;
	}
	if (waiting > c->queue_max)
		c->queue_max = waiting;
	l->busy[dir] = start + len * 1000000 / imp->rate;
	return l->busy[dir] - l->now;
}

/* A packet leaves end dir: filter, impairment, the bottleneck, then
 * onto the wire. */
static int transmit(struct link *l, int dir, const uint8_t *pkt, size_t len)
{
	const struct link_impair *imp = &l->imp[dir];
	struct link_counters *c = &l->cnt[dir];
	int verdict = l->filter ? l->filter(l->filter_arg, dir, pkt, len) : LINK_PASS;
	uint64_t when = l->now + l->delay + imp->extra_us;
	int copies = 1;
	uint64_t wait;

	c->sent++;
	if (verdict == LINK_DROP || (verdict == LINK_PASS && chance(l, imp->drop))) {
		c->dropped++;
		return 0;
	}
	if ((wait = bottleneck(l, dir, len)) == UINT64_MAX) {
		c->dropped++;
		return 0;
	}
	when += wait;
	if (verdict == LINK_DUP || chance(l, imp->dup)) {
		c->duplicated++;
		copies = 2;
	}
	if (chance(l, imp->reorder)) {
		c->reordered++;
		when += imp->reorder_us ? imp->reorder_us : 3 * l->delay;
	}
	while (copies-- > 0)
		if (wire_put(l, dir, pkt, len, when) < 0)
			return -1;
	return 0;
}

/* The output callback of both stacks. */
static void stack_output(void *arg, const uint8_t *pkt, size_t len, unsigned gso)
{
	struct end *e = arg;

	(void)gso;	/* a super-packet crosses whole: TCP takes big segments */
	if (transmit(e->link, e->id, pkt, len) < 0) {
		fprintf(stderr, "link: out of memory\n");
		abort();
	}
}

/* The same in pieces (a stack with csum_offload leaves TCP payloads in
 * its send buffer): the wire takes the packet whole. */
static void stack_output_iov(void *arg, const struct iovec *iov, int cnt, size_t len,
			     unsigned gso)
{
	uint8_t *pkt = malloc(len), *d = pkt;

	if (pkt == NULL) {
		fprintf(stderr, "link: out of memory\n");
		abort();
	}
	for (int i = 0; i < cnt; i++) {
		memcpy(d, iov[i].iov_base, iov[i].iov_len);
		d += iov[i].iov_len;
	}
	stack_output(arg, pkt, len, gso);
	free(pkt);
}

/* ---- ends ---- */

static int end_init(struct link *l, int id, const struct stack_config *cfg)
{
	struct end *e = &l->ends[id];

	e->link = l;
	e->id = id;
	e->inbox = NULL;
	e->inbox_tail = &e->inbox;
	e->st = NULL;
	if (cfg == NULL)
		return 0;
	struct stack_config c = *cfg;
	c.output_iov = stack_output_iov;
	e->st = stack_new(&c, stack_output, e);
	return e->st ? 0 : -1;
}

static void end_fini(struct end *e)
{
	while (e->inbox != NULL) {
		struct packet *p = e->inbox;
		e->inbox = p->next;
		free(p);
	}
	stack_free(e->st);
}

struct link *link_new(const struct stack_config *a, const struct stack_config *b)
{
	struct link *l = calloc(1, sizeof *l);

	if (l == NULL)
		return NULL;
	l->delay = LINK_DELAY_US;
	l->batch[LINK_A] = l->batch[LINK_B] = 1;
	link_set_seed(l, 1);
	if (end_init(l, LINK_A, a) < 0 || end_init(l, LINK_B, b) < 0) {
		link_free(l);
		return NULL;
	}
	return l;
}

void link_free(struct link *l)
{
	if (l == NULL)
		return;
	/* the stacks first: freeing one resets its connections onto the wire */
	end_fini(&l->ends[LINK_A]);
	end_fini(&l->ends[LINK_B]);
	while (l->wire != NULL) {
		struct packet *p = l->wire;
		l->wire = p->next;
		free(p);
	}
	free(l);
}

struct stack *link_stack(struct link *l, int end)
{
	return l->ends[end].st;
}

uint64_t link_now(const struct link *l)
{
	return l->now;
}

void link_set_delay(struct link *l, uint64_t delay_us)
{
	l->delay = delay_us;
}

void link_set_batch(struct link *l, int n)
{
	link_set_end_batch(l, LINK_A, n);
	link_set_end_batch(l, LINK_B, n);
}

void link_set_placing(struct link *l, int end, int on)
{
	l->placing[end] = on;
}

void link_set_end_batch(struct link *l, int end, int n)
{
	l->batch[end] = n < 1 ? 1 : n;
}

void link_set_seed(struct link *l, uint64_t seed)
{
	l->rng = seed ? seed : 0x9e3779b97f4a7c15ULL;	/* xorshift must not be 0 */
}

void link_set_impair(struct link *l, int dir, const struct link_impair *imp)
{
	l->imp[dir] = *imp;
}

void link_set_filter(struct link *l, link_filter_fn fn, void *arg)
{
	l->filter = fn;
	l->filter_arg = arg;
}

const struct link_counters *link_counters(const struct link *l, int dir)
{
	return &l->cnt[dir];
}

/* ---- taps ---- */

int link_inject(struct link *l, int end, const void *pkt, size_t len)
{
	if (l->ends[end].st != NULL)
		return -1;
	return transmit(l, end, pkt, len);
}

int link_pending(const struct link *l, int end)
{
	int n = 0;

	for (const struct packet *p = l->ends[end].inbox; p != NULL; p = p->next)
		n++;
	return n;
}

size_t link_recv(struct link *l, int end, uint8_t *buf, size_t size)
{
	struct end *e = &l->ends[end];
	struct packet *p = e->inbox;
	size_t len;

	if (p == NULL)
		return 0;
	e->inbox = p->next;
	if (e->inbox == NULL)
		e->inbox_tail = &e->inbox;
	len = p->len;
	memcpy(buf, p->data, len < size ? len : size);
	free(p);
	return len;
}

size_t link_build_ip(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t proto,
		     const void *payload, size_t len)
{
	ip_emit(buf, &(struct iphdr){ .ttl = IP_DEFTTL, .proto = proto,
				      .total = (uint16_t)(IP_HLEN + len), .id = 1,
				      .src = src, .dst = dst });
	if (len > 0)
		memcpy(buf + IP_HLEN, payload, len);
	return IP_HLEN + len;
}

size_t link_build_ip6(uint8_t *buf, const struct in6_addr *src, const struct in6_addr *dst,
		      uint8_t nxt, const void *payload, size_t len)
{
	ip6_emit(buf, &(struct ip6hdr){ .plen = (uint16_t)len, .nxt = nxt, .hlim = IP6_DEFHLIM,
					.src = *src, .dst = *dst });
	if (len > 0)
		memcpy(buf + IP6_HLEN, payload, len);
	return IP6_HLEN + len;
}

/* ---- running ---- */

/* Both stacks to the link's time, through the drivers' one call. A
 * stack that keeps a timer due at this instant would make the link spin
 * forever here, so that is reported. */
static void sync_stacks(struct link *l)
{
	for (int i = 0; i < 2; i++) {
		struct stack *st = l->ends[i].st;
		int polls = 0;

		while (st != NULL && stack_poll(st, l->now) <= l->now) {
			if (++polls == 1000) {
				fprintf(stderr, "link: stack %c keeps a timer due at %llu us\n",
					'A' + i, (unsigned long long)l->now);
				abort();
			}
		}
	}
}

/* As the driver reads a TUN: the headers the stack expects stay in the
 * packet, the rest goes to the room it offers (stack_rx_room). The bytes
 * left behind are spoilt, so that a stack that took them from the packet
 * would be caught. 1 when the stack took the packet so; 0 when it did not,
 * the packet whole again. */
static int input_placed(struct link *l, struct stack *st, struct packet *p)
{
	struct iovec room[8];
	size_t hdr, rest, have = 0;
	int n = stack_rx_room(st, room, 8, &hdr);

	if (n == 0 || p->len <= hdr)
		return 0;
	rest = p->len - hdr;
	for (int i = 0; i < n && have < rest; i++) {
		size_t k = room[i].iov_len < rest - have ? room[i].iov_len : rest - have;
		memcpy(room[i].iov_base, p->data + hdr + have, k);
		have += k;
	}
	if (have < rest)	/* the driver's rest, after the room: as if whole */
		return 0;
	memset(p->data + hdr, 0xee, rest);
	if (stack_input_placed(st, l->now, p->data, p->len) == 0)
		return 1;
	have = 0;
	for (int i = 0; have < rest; i++) {
		size_t k = room[i].iov_len < rest - have ? room[i].iov_len : rest - have;
		memcpy(p->data + hdr + have, room[i].iov_base, k);
		have += k;
	}
	return 0;
}

/* A stack with csum_offload leaves TCP checksums partial, as for a NIC;
 * the link finishes them on the way to a stack, as the kernel behind a
 * TUN does (a tap sees them as sent). */
static void finish_checksum(uint8_t *pkt, size_t len)
{
	int v6 = pkt[0] >> 4 == 6;
	size_t ip = v6 ? IP6_HLEN : (size_t)(pkt[0] & 15) * 4;

	if ((v6 ? pkt[6] : pkt[9]) == IPPROTO_TCP && len >= ip + 20)
		put16(pkt + ip + 16, cksum_fold(cksum_add(0, pkt + ip, len - ip)));
}

static void arrive(struct link *l, struct packet *p)
{
	struct end *e = &l->ends[!p->dir];
	struct stack *from = l->ends[p->dir].st;

	l->cnt[p->dir].delivered++;
	if (e->st == NULL) {
		p->next = NULL;
		*e->inbox_tail = p;
		e->inbox_tail = &p->next;
		return;
	}
	if (from != NULL && from->csum_offload)
		finish_checksum(p->data, p->len);
	if (!l->placing[!p->dir] || !input_placed(l, e->st, p))
		stack_input(e->st, l->now, p->data, p->len);
	free(p);
}

/* The time of the earliest event: the first arrival, or a stack's timer
 * (an arrival wins a tie). UINT64_MAX when nothing is pending. */
static uint64_t next_event(const struct link *l)
{
	uint64_t t = l->wire ? l->wire->when : UINT64_MAX;

	for (int i = 0; i < 2; i++) {
		struct stack *st = l->ends[i].st;
		if (st != NULL && stack_deadline(st) < t)
			t = stack_deadline(st);
	}
	return t;
}

/* Move to time t (never backwards) and run what is due there: the first
 * arrivals due (a batch, as the TUN gives them: up to the larger batch,
 * each end no more than its own), and every timer due. */
static void step(struct link *l, uint64_t t)
{
	int most = l->batch[LINK_A] > l->batch[LINK_B] ? l->batch[LINK_A] : l->batch[LINK_B];
	int got[2] = { 0, 0 };

	if (t > l->now)
		l->now = t;
	while (l->wire != NULL && l->wire->when <= l->now && got[LINK_A] + got[LINK_B] < most) {
		struct packet *p = l->wire;
		int to = !p->dir;
		if (got[to] >= l->batch[to])
			break;
		got[to]++;
		l->wire = p->next;
		arrive(l, p);
	}
	sync_stacks(l);
}

void link_run(struct link *l, uint64_t until)
{
	uint64_t t;

	while ((t = next_event(l)) <= until)
		step(l, t);
	if (until > l->now)
		l->now = until;
	sync_stacks(l);
}

int link_run_until(struct link *l, int (*pred)(void *arg), void *arg, uint64_t max_us)
{
	uint64_t end = l->now + max_us < l->now ? UINT64_MAX : l->now + max_us;
	uint64_t t;

	while (!pred(arg)) {
		t = next_event(l);
		if (t > end) {
			link_run(l, end);
			return 0;
		}
		step(l, t);
	}
	return 1;
}

uint64_t stack_counter(struct stack *st, int proto, const char *name)
{
	struct nc_stat s[64];
	int n = stack_stats(st, proto, s, 64);

	for (int i = 0; i < n && i < 64; i++)
		if (strcmp(s[i].name, name) == 0)
			return s[i].value;
	fprintf(stderr, "no counter %s\n", name);
	abort();
}
