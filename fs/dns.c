/*
 * DNS A and AAAA lookups (RFC 1034, RFC 1035, RFC 3596): the message codec and a
 * resolver as a state machine (the pump over netcore UDP sockets is
 * dns_sock.c). See dns.h.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <stdlib.h>
#include <sys/random.h>

#include "dns.h"

enum {
	DNS_HLEN = 12,
	T_CNAME = 5, C_IN = 1,
	F_QR = 0x8000, F_TC = 0x0200, F_RD = 0x0100,
	RCODE_NXDOMAIN = 3,
	MAX_HOPS = 16,		/* compression pointers followed in one name */
	MAX_CNAMES = 8,		/* aliases followed in one answer */
	MAX_TTL = 86400,	/* cache nothing longer than a day */
	CACHE_SIZE = 64,
	DEF_TIMEOUT_MS = 1000,
	DEF_TRIES = 3,
};

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

/* Names compare without regard to ASCII case (RFC 4343). */
static int name_eq(const char *a, const char *b)
{
	for (; *a && lower(*a) == lower(*b); a++, b++)
		;
	return lower(*a) == lower(*b);
}

/* ---- the codec ---- */

static int host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

int dns_encode_query(uint8_t *buf, size_t cap, uint16_t id, const char *name, uint16_t qtype)
{
	size_t n = strlen(name), pos = DNS_HLEN;

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || n > DNS_NAME_MAX)
		return -EINVAL;
	if (cap < DNS_HLEN + n + 2 + 4)
		return -ENOSPC;
	memset(buf, 0, DNS_HLEN);
	wr16(buf, id);
	wr16(buf + 2, F_RD);
	wr16(buf + 4, 1);
	for (size_t i = 0; i < n;) {
		size_t len = 0;
		while (i + len < n && name[i + len] != '.') {
			if (!host_char(name[i + len]))
				return -EINVAL;
			len++;
		}
		if (len == 0 || len > 63)
			return -EINVAL;
		buf[pos++] = (uint8_t)len;
		memcpy(buf + pos, name + i, len);
		pos += len;
		i += len + 1;	/* past the dot */
	}
	buf[pos++] = 0;
	wr16(buf + pos, qtype);
	wr16(buf + pos + 2, C_IN);
	return (int)(pos + 4);
}

/*
 * Read the name at *pos into out (DNS_NAME_MAX + 1 bytes) as dotted text,
 * and move *pos past it. A compression pointer must point before the
 * place where the labels being read began, so pointers cannot loop; their
 * number is bounded as well. Labels must be printable, without dots.
 */
static int read_name(const uint8_t *m, size_t len, size_t *pos, char *out)
{
	size_t p = *pos, run = *pos, n = 0, wire = 1;
	int hops = 0, jumped = 0;

	for (;;) {
		uint8_t c;
		if (p >= len)
			return -EBADMSG;
		c = m[p];
		if (c == 0)
			break;
		if ((c & 0xc0) == 0xc0) {
			size_t to;
			if (p + 1 >= len)
				return -EBADMSG;
			to = (size_t)(c & 0x3f) << 8 | m[p + 1];
			if (to >= run || ++hops > MAX_HOPS)
				return -EBADMSG;
			if (!jumped)
				*pos = p + 2;
			jumped = 1;
			p = run = to;
			continue;
		}
		if (c & 0xc0)	/* the 0x40 and 0x80 label types */
			return -EBADMSG;
		wire += 1 + (size_t)c;
		if (wire > 255 || len - p - 1 < c)
			return -EBADMSG;
		if (n > 0)
			out[n++] = '.';
		for (size_t i = 1; i <= c; i++) {
			uint8_t ch = m[p + i];
			if (ch <= ' ' || ch > '~' || ch == '.')
				return -EBADMSG;
			out[n++] = (char)ch;
		}
		p += 1 + (size_t)c;
	}
	if (!jumped)
		*pos = p + 1;
	out[n] = '\0';
	return 0;
}

struct rr {
	char name[DNS_NAME_MAX + 1];
	uint16_t type, class;
	uint32_t ttl;
	size_t rdata, rdlen;	/* offset and length of the data */
};

static int read_rr(const uint8_t *m, size_t len, size_t *pos, struct rr *rr)
{
	if (read_name(m, len, pos, rr->name) < 0 || len - *pos < 10)
		return -EBADMSG;
	rr->type = rd16(m + *pos);
	rr->class = rd16(m + *pos + 2);
	rr->ttl = rd32(m + *pos + 4);
	if (rr->ttl > 0x7fffffff)	/* RFC 2181 8: read as zero */
		rr->ttl = 0;
	rr->rdlen = rd16(m + *pos + 8);
	*pos += 10;
	if (len - *pos < rr->rdlen)
		return -EBADMSG;
	rr->rdata = *pos;
	*pos += rr->rdlen;
	return 0;
}

/*
 * Follow the aliases of name through the answer section (count records
 * from off): name becomes the canonical name, *ttl the least TTL met.
 */
static int follow_cnames(const uint8_t *m, size_t len, size_t off, unsigned count,
			 char *name, uint32_t *ttl)
{
	struct rr rr;

	for (int hops = 0; hops <= MAX_CNAMES; hops++) {
		size_t pos = off;
		int found = 0;
		for (unsigned i = 0; i < count && !found; i++) {
			size_t p;
			if (read_rr(m, len, &pos, &rr) < 0)
				return -EBADMSG;
			if (rr.type != T_CNAME || rr.class != C_IN || !name_eq(rr.name, name))
				continue;
			p = rr.rdata;
			if (read_name(m, len, &p, name) < 0 || p != rr.rdata + rr.rdlen)
				return -EBADMSG;
			if (rr.ttl < *ttl)
				*ttl = rr.ttl;
			found = 1;
		}
		if (!found)
			return 0;
	}
	return -EBADMSG;	/* a chain too long, or a loop */
}

/* The records of type (A or AAAA) of name in the answer section. */
static int collect(const uint8_t *m, size_t len, size_t off, unsigned count, uint16_t type,
		   const char *name, struct dns_answer *ans, uint32_t *ttl)
{
	size_t pos = off, size = type == DNS_T_AAAA ? 16 : 4;
	struct rr rr;

	for (unsigned i = 0; i < count; i++) {
		if (read_rr(m, len, &pos, &rr) < 0)
			return -EBADMSG;
		if (rr.type != type || rr.class != C_IN || !name_eq(rr.name, name))
			continue;
		if (rr.rdlen != size)
			return -EBADMSG;
		if (ans->n < DNS_MAX_ADDRS) {	/* network order; A as ::ffff:a.b.c.d */
			uint8_t *a = ans->addr[ans->n++].s6_addr;

			memset(a, 0, 16);
			if (size == 4)
				a[10] = a[11] = 0xff;
			memcpy(a + 16 - size, m + rr.rdata, size);
		}
		if (rr.ttl < *ttl)
			*ttl = rr.ttl;
	}
	return 0;
}

int dns_parse_reply(const uint8_t *m, size_t len, struct dns_reply *r)
{
	uint16_t flags;
	unsigned ancount;
	uint32_t ttl = UINT32_MAX;
	char name[DNS_NAME_MAX + 1];
	size_t pos = DNS_HLEN;

	memset(r, 0, sizeof *r);
	if (len < DNS_HLEN)
		return -EBADMSG;
	flags = rd16(m + 2);
	/* a response, to a standard query, with exactly one question */
	if (!(flags & F_QR) || (flags >> 11 & 0xf) != 0 || rd16(m + 4) != 1)
		return -EBADMSG;
	r->id = rd16(m);
	r->rcode = flags & 0xf;
	r->truncated = (flags & F_TC) != 0;
	ancount = rd16(m + 6);
	if (read_name(m, len, &pos, r->qname) < 0 || len - pos < 4)
		return -EBADMSG;
	r->qtype = rd16(m + pos);
	r->qclass = rd16(m + pos + 2);
	pos += 4;
	memcpy(name, r->qname, sizeof name);
	if (follow_cnames(m, len, pos, ancount, name, &ttl) < 0 ||
	    ((r->qtype == DNS_T_A || r->qtype == DNS_T_AAAA) &&
	     collect(m, len, pos, ancount, r->qtype, name, &r->ans, &ttl) < 0)) {
		memset(&r->ans, 0, sizeof r->ans);
		return -EBADMSG;
	}
	r->ans.ttl = r->ans.n > 0 ? ttl : 0;
	return 0;
}

/* ---- the resolver ---- */

struct lookup {
	int h;			/* 0: free */
	uint16_t qtype;
	char name[DNS_NAME_MAX + 1];
	uint16_t id;
	int sent;		/* tries sent */
	uint64_t due;		/* next try, or, after the last, the end */
	dns_done_fn done;
	void *arg;
};

struct cached {
	uint16_t qtype;
	char name[DNS_NAME_MAX + 1];
	struct dns_answer ans;
	uint64_t expires;	/* ms; 0 for a free entry */
};

struct dns {
	unsigned timeout_ms;
	int tries;
	uint64_t rng;
	int last_h;
	struct lookup q[DNS_MAX_LOOKUPS];
	struct cached cache[CACHE_SIZE];
};

struct dns *dns_new(unsigned timeout_ms, int tries, uint64_t seed)
{
	struct dns *d = calloc(1, sizeof *d);

	if (d == NULL)
		return NULL;
	d->timeout_ms = timeout_ms ? timeout_ms : DEF_TIMEOUT_MS;
	d->tries = tries > 0 ? tries : DEF_TRIES;
	d->rng = seed;
	return d;
}

void dns_free(struct dns *d)
{
	free(d);
}

/* A query id: from the kernel's generator (RFC 5452: nothing a spoofer
 * could work out from earlier ids), or, with a seed, reproducible. */
static uint16_t random16(struct dns *d)
{
	uint16_t id;

	if (d->rng == 0 && getrandom(&id, sizeof id, 0) == sizeof id)
		return id;
	if (d->rng == 0)	/* no generator: never for 2 bytes since boot */
		d->rng = 0x9e3779b97f4a7c15ULL;
	d->rng ^= d->rng >> 12;
	d->rng ^= d->rng << 25;
	d->rng ^= d->rng >> 27;
	return (uint16_t)((d->rng * 0x2545f4914f6cdd1dULL) >> 48);
}

/* The name as the cache and the lookups keep it: lower case, no final dot. */
static void normalize(char *out, const char *name)
{
	size_t n = strlen(name);

	if (n > 0 && name[n - 1] == '.')
		n--;
	for (size_t i = 0; i < n; i++)
		out[i] = lower(name[i]);
	out[n] = '\0';
}

static struct cached *cache_find(struct dns *d, uint64_t now, const char *name, uint16_t qtype)
{
	for (int i = 0; i < CACHE_SIZE; i++)
		if (d->cache[i].expires > now && d->cache[i].qtype == qtype &&
		    strcmp(d->cache[i].name, name) == 0)
			return &d->cache[i];
	return NULL;
}

/* Keep ans for its TTL, in the entry of that name, or else the one that
 * expires first (a free or expired one if there is). */
static void cache_put(struct dns *d, uint64_t now, const char *name, uint16_t qtype,
		      const struct dns_answer *ans)
{
	struct cached *e = cache_find(d, now, name, qtype);
	uint32_t ttl = ans->ttl < MAX_TTL ? ans->ttl : MAX_TTL;

	if (ttl == 0)
		return;
	if (e == NULL) {
		e = &d->cache[0];
		for (int i = 1; i < CACHE_SIZE; i++)
			if (d->cache[i].expires < e->expires)
				e = &d->cache[i];
	}
	strcpy(e->name, name);
	e->qtype = qtype;
	e->ans = *ans;
	e->expires = now + (uint64_t)ttl * 1000;
}

int dns_in_flight(const struct dns *d, uint16_t id)
{
	for (int i = 0; i < DNS_MAX_LOOKUPS; i++)
		if (d->q[i].h != 0 && d->q[i].id == id)
			return 1;
	return 0;
}

int dns_lookup(struct dns *d, uint64_t now, const char *name, uint16_t qtype,
	       struct dns_answer *ans, dns_done_fn done, void *arg)
{
	uint8_t scratch[DNS_MSG_MAX];
	char key[DNS_NAME_MAX + 1];
	struct lookup *q = NULL;
	struct cached *e;

	if ((qtype != DNS_T_A && qtype != DNS_T_AAAA) ||
	    dns_encode_query(scratch, sizeof scratch, 0, name, qtype) < 0)
		return -EINVAL;
	normalize(key, name);
	e = cache_find(d, now, key, qtype);
	if (e != NULL) {
		*ans = e->ans;
		ans->ttl = (uint32_t)((e->expires - now) / 1000);	/* what is left */
		return 0;
	}
	for (int i = 0; i < DNS_MAX_LOOKUPS && q == NULL; i++)
		if (d->q[i].h == 0)
			q = &d->q[i];
	if (q == NULL)
		return -ENOSPC;
	q->id = random16(d);
	while (dns_in_flight(d, q->id))
		q->id++;
	d->last_h = d->last_h == INT_MAX ? 1 : d->last_h + 1;
	q->h = d->last_h;
	strcpy(q->name, key);
	q->qtype = qtype;
	q->sent = 0;
	q->due = now;
	q->done = done;
	q->arg = arg;
	return q->h;
}

void dns_cancel(struct dns *d, int h)
{
	for (int i = 0; i < DNS_MAX_LOOKUPS; i++)
		if (h > 0 && d->q[i].h == h)
			d->q[i].h = 0;
}

/* End lookup q; its slot is free before the callback, which may start
 * another lookup. */
static void finish(struct lookup *q, int err, const struct dns_answer *ans)
{
	dns_done_fn done = q->done;
	void *arg = q->arg;

	q->h = 0;
	done(arg, err, ans);
}

size_t dns_output(struct dns *d, uint64_t now, uint8_t *buf, size_t cap)
{
	for (int i = 0; i < DNS_MAX_LOOKUPS; i++) {
		struct lookup *q = &d->q[i];
		int n, shift;
		if (q->h == 0 || q->sent >= d->tries || q->due > now)
			continue;
		n = dns_encode_query(buf, cap, q->id, q->name, q->qtype);
		if (n < 0)
			return 0;
		shift = q->sent < 16 ? q->sent : 16;
		q->sent++;
		q->due = now + ((uint64_t)d->timeout_ms << shift);
		return (size_t)n;
	}
	return 0;
}

void dns_input(struct dns *d, uint64_t now, const uint8_t *msg, size_t len)
{
	struct dns_reply r;

	if (dns_parse_reply(msg, len, &r) < 0 || r.qclass != C_IN)
		return;
	for (int i = 0; i < DNS_MAX_LOOKUPS; i++) {
		struct lookup *q = &d->q[i];
		if (q->h == 0 || q->sent == 0 || q->id != r.id || q->qtype != r.qtype ||
		    !name_eq(q->name, r.qname))
			continue;
		if (r.rcode == 0 && r.ans.n > 0) {
			cache_put(d, now, q->name, q->qtype, &r.ans);
			finish(q, 0, &r.ans);
		} else if (r.rcode == 0 || r.rcode == RCODE_NXDOMAIN) {
			finish(q, -ENOENT, NULL);
		} else {
			finish(q, -EIO, NULL);
		}
		return;
	}
}

void dns_advance(struct dns *d, uint64_t now)
{
	for (int i = 0; i < DNS_MAX_LOOKUPS; i++) {
		struct lookup *q = &d->q[i];
		if (q->h != 0 && q->sent >= d->tries && q->due <= now)
			finish(q, -ETIMEDOUT, NULL);
	}
}

uint64_t dns_deadline(const struct dns *d)
{
	uint64_t t = UINT64_MAX;

	for (int i = 0; i < DNS_MAX_LOOKUPS; i++)
		if (d->q[i].h != 0 && d->q[i].due < t)
			t = d->q[i].due;
	return t;
}
