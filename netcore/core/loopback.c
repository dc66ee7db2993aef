/*
 * The loopback interface. A byte ring holds the packets in order, each
 * behind a 4-byte length; a packet never wraps: when it does not fit
 * before the end, a PAD record fills the rest and it starts at offset 0.
 * head and tail count bytes from the start, so tail - head is what is
 * held. The ring is allocated at the first packet, so a stack that never
 * talks to itself holds none of it, and nothing is allocated per packet.
 */
#include <stdlib.h>
#include <string.h>

#include "ip.h"
#include "ip6.h"
#include "loopback.h"
#include "stack.h"

enum {
	RING = 2 << 20,		/* bytes: about 1400 packets of 1500 */
	RECHDR = 4,
	PAD = 0xffffffffu,	/* the rest of the ring is empty */
};

struct loopback {
	uint8_t *ring;
	size_t head, tail;
	struct ifstats ifs;
};

static size_t record_len(size_t len)
{
	return RECHDR + ((len + 3) & ~(size_t)3);
}

static void put_len(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof v);
}

static uint32_t get_len(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof v);
	return v;
}

static struct loopback *get(struct stack *st)
{
	if (st->lo == NULL) {
		st->lo = calloc(1, sizeof *st->lo);
		if (st->lo && (st->lo->ring = malloc(RING)) == NULL) {
			free(st->lo);
			st->lo = NULL;
		}
	}
	return st->lo;
}

void loopback_output(struct stack *st, const uint8_t *pkt, size_t len)
{
	struct loopback *lo = get(st);
	size_t rec = record_len(len), pos, room;

	if (lo == NULL) {
		st->ifs.oerrors++;	/* no memory for the ring */
		return;
	}
	pos = lo->tail % RING;
	room = RING - pos;
	if ((rec > room ? room : 0) + rec > RING - (lo->tail - lo->head)) {
		lo->ifs.oerrors++;
		return;
	}
	if (rec > room) {
		put_len(lo->ring + pos, PAD);
		lo->tail += room;
		pos = 0;
	}
	put_len(lo->ring + pos, (uint32_t)len);
	memcpy(lo->ring + pos + RECHDR, pkt, len);
	lo->tail += rec;
	lo->ifs.opackets++;
	lo->ifs.obytes += len;
}

/* One packet from the ring: the link vouches for its checksums, and it
 * was never fragmented (loopback_output takes it whole). */
static void input(struct stack *st, struct loopback *lo, uint8_t *pkt, size_t len)
{
	struct ippkt ip;

	lo->ifs.ipackets++;
	lo->ifs.ibytes += len;
	if (pkt[0] >> 4 == 6) {
		if (ip6_input_loopback(st, pkt, len) < 0)
			lo->ifs.ierrors++;
		return;
	}
	st->ips[IPS_IN_RECEIVES]++;
	if (ip_parse(pkt, len, &ip) != IPV_OK) {
		lo->ifs.ierrors++;
		return;
	}
	ip.csum_ok = 1;
	ip_deliver(st, &ip);
}

void loopback_input(struct stack *st)
{
	struct loopback *lo = st->lo;
	size_t end;

	if (lo == NULL)
		return;
	/* the packet in hand stays in the ring (head has not passed it) while
	 * its input queues more behind end */
	for (end = lo->tail; lo->head != end;) {
		size_t pos = lo->head % RING;
		uint32_t len = get_len(lo->ring + pos);

		if (len == PAD) {
			lo->head += RING - pos;
			continue;
		}
		input(st, lo, lo->ring + pos + RECHDR, len);
		lo->head += record_len(len);
	}
}

int loopback_pending(const struct stack *st)
{
	return st->lo != NULL && st->lo->head != st->lo->tail;
}

size_t loopback_mem(const struct stack *st)
{
	return st->lo ? st->lo->tail - st->lo->head : 0;
}

void loopback_stats(const struct stack *st, struct ifstats *out)
{
	*out = st->lo ? st->lo->ifs : (struct ifstats){ 0 };
}

void loopback_free(struct stack *st)
{
	if (st->lo)
		free(st->lo->ring);
	free(st->lo);
	st->lo = NULL;
}
