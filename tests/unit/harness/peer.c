/* The scripted raw TCP peer (see peer.h). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ip.h"
#include "peer.h"

enum { F_FIN = 1, F_SYN = 2, F_RST = 4, F_PSH = 8, F_ACK = 16, F_URG = 32 };

/* An option value in a spec: absent, any value ("*"), or this value. */
enum { OPT_ABSENT, OPT_ANY, OPT_VALUE };
struct optval {
	int how;
	uint32_t v;
};

struct spec {
	uint8_t flags;
	int has_seq, has_ack, has_win, has_opts, any_opts;
	uint32_t seq, end, len, ack;
	uint16_t win;
	struct optval mss, ws, tsval, tsecr;
	int sack_perm, ts;
	int nsack;
	uint32_t sack[4][2];
	uint8_t opt[40];	/* for sending, in the order written */
	size_t optlen;
};

void peer_init(struct peer *p, struct link *l, int end, uint32_t addr, uint16_t port,
	       uint32_t stack_addr, uint16_t stack_port)
{
	memset(p, 0, sizeof *p);
	p->link = l;
	p->end = end;
	p->addr = addr;
	p->port = port;
	p->stack_addr = stack_addr;
	p->stack_port = stack_port;
	p->isn = 1000000;
	p->start = link_now(l);
	p->tol_ms = 5;
}

/* ---- parsing specs ---- */

static uint32_t number(const char **s)
{
	char *end;
	unsigned long v = strtoul(*s, &end, 10);

	cr_assert_neq(end, *s, "number expected at \"%s\"", *s);
	*s = end;
	return (uint32_t)v;
}

static void skip_blanks(const char **s)
{
	while (**s == ' ')
		(*s)++;
}

static int word(const char **s, const char *w)
{
	size_t n = strlen(w);

	if (strncmp(*s, w, n) != 0)
		return 0;
	*s += n;
	skip_blanks(s);
	return 1;
}

static void optval(const char **s, struct optval *o)
{
	skip_blanks(s);
	if (**s == '*') {
		(*s)++;
		o->how = OPT_ANY;
	} else {
		o->how = OPT_VALUE;
		o->v = number(s);
	}
}

static void put_opt(struct spec *sp, const uint8_t *b, size_t n)
{
	cr_assert_leq(sp->optlen + n, sizeof sp->opt, "options too long");
	memcpy(sp->opt + sp->optlen, b, n);
	sp->optlen += n;
}

static void parse_option(const char **s, struct spec *sp)
{
	uint8_t b[10];

	if (word(s, "mss")) {
		optval(s, &sp->mss);
		b[0] = 2, b[1] = 4;
		put16(b + 2, (uint16_t)sp->mss.v);
		put_opt(sp, b, 4);
	} else if (word(s, "sackOK")) {
		sp->sack_perm = 1;
		put_opt(sp, (const uint8_t[]){ 4, 2 }, 2);
	} else if (word(s, "wscale")) {
		optval(s, &sp->ws);
		put_opt(sp, (const uint8_t[]){ 3, 3, (uint8_t)sp->ws.v }, 3);
	} else if (word(s, "nop")) {
		put_opt(sp, (const uint8_t[]){ 1 }, 1);
	} else if (word(s, "TS")) {
		sp->ts = 1;
		cr_assert(word(s, "val"), "TS val expected");
		optval(s, &sp->tsval);
		skip_blanks(s);
		cr_assert(word(s, "ecr"), "TS ecr expected");
		optval(s, &sp->tsecr);
		b[0] = 8, b[1] = 10;
		put32(b + 2, sp->tsval.v);
		put32(b + 6, sp->tsecr.v);
		put_opt(sp, b, 10);
	} else if (word(s, "sack")) {
		size_t at = sp->optlen;
		put_opt(sp, (const uint8_t[]){ 5, 2 }, 2);
		while (**s >= '0' && **s <= '9' && sp->nsack < 4) {
			sp->sack[sp->nsack][0] = number(s);
			cr_assert_eq(*(*s)++, ':');
			sp->sack[sp->nsack][1] = number(s);
			skip_blanks(s);
			sp->nsack++;
			put_opt(sp, (const uint8_t[8]){ 0 }, 8);
			sp->opt[at + 1] = (uint8_t)(2 + 8 * sp->nsack);
		}
	} else {
		cr_assert_fail("unknown option at \"%s\"", *s);
	}
}

static void parse(const char *s, struct spec *sp)
{
	memset(sp, 0, sizeof *sp);
	for (; *s && *s != ' '; s++) {
		switch (*s) {
		case 'S': sp->flags |= F_SYN; break;
		case 'F': sp->flags |= F_FIN; break;
		case 'R': sp->flags |= F_RST; break;
		case 'P': sp->flags |= F_PSH; break;
		case '.': sp->flags |= F_ACK; break;
		case 'U': sp->flags |= F_URG; break;
		default: cr_assert_fail("bad flags in \"%s\"", s);
		}
	}
	for (skip_blanks(&s); *s; skip_blanks(&s)) {
		if (*s >= '0' && *s <= '9') {
			sp->has_seq = 1;
			sp->seq = number(&s);
			cr_assert_eq(*s++, ':');
			sp->end = number(&s);
			cr_assert_eq(*s++, '(');
			sp->len = number(&s);
			cr_assert_eq(*s++, ')');
		} else if (word(&s, "ack")) {
			sp->has_ack = 1;
			sp->ack = number(&s);
		} else if (word(&s, "win")) {
			sp->has_win = 1;
			sp->win = (uint16_t)number(&s);
		} else if (word(&s, "<...>")) {
			sp->any_opts = 1;
		} else if (*s == '<') {
			sp->has_opts = 1;
			for (s++; *s && *s != '>';) {
				skip_blanks(&s);
				parse_option(&s, sp);
				if (*s == ',')
					s++;
			}
			cr_assert_eq(*s++, '>', "unterminated options");
		} else {
			cr_assert_fail("cannot parse \"%s\"", s);
		}
	}
}

/* ---- time ---- */

static uint64_t at_us(const struct peer *p, uint64_t ms)
{
	return p->start + ms * 1000;
}

/* How long from now to time ms; 0 when that is past. */
static uint64_t until(const struct peer *p, uint64_t ms)
{
	uint64_t now = link_now(p->link);

	return at_us(p, ms) > now ? at_us(p, ms) - now : 0;
}

void peer_run(struct peer *p, uint64_t ms)
{
	link_run(p->link, at_us(p, ms));
}

/* ---- sending ---- */

static void inject(struct peer *p, uint8_t proto, const uint8_t *payload, size_t len)
{
	static uint8_t pkt[IP_HLEN + 65536];
	size_t n = link_build_ip(pkt, p->addr, p->stack_addr, proto, payload, len);

	cr_assert_eq(link_inject(p->link, p->end, pkt, n), 0);
}

void peer_send(struct peer *p, uint64_t ms, const char *text)
{
	static uint8_t seg[60 + 65536];
	struct spec sp;
	size_t optlen, hlen;

	parse(text, &sp);
	cr_assert(p->stack_port != 0, "the stack's port is not known yet");
	peer_run(p, ms);
	optlen = (sp.optlen + 3) & ~(size_t)3;
	hlen = 20 + optlen;
	memset(seg, 0, hlen);
	put16(seg, p->port);
	put16(seg + 2, p->stack_port);
	put32(seg + 4, p->isn + sp.seq);
	put32(seg + 8, (sp.flags & F_ACK) ? p->stack_isn + sp.ack : 0);
	seg[12] = (uint8_t)(hlen / 4) << 4;
	seg[13] = sp.flags;
	put16(seg + 14, sp.has_win ? sp.win : 65535);
	if (sp.flags & F_URG)
		put16(seg + 18, (uint16_t)(sp.len ? sp.len : 1));	/* urgent pointer */
	memcpy(seg + 20, sp.opt, sp.optlen);
	for (size_t i = sp.optlen; i < optlen; i++)
		seg[20 + i] = 1;	/* NOP padding */
	for (uint32_t i = 0; i < sp.len; i++)
		seg[hlen + i] = (uint8_t)('a' + (sp.seq + i) % 26);
	for (int i = 0; i < sp.nsack; i++) {
		/* sack blocks were parsed relative to the stack's sequence */
		uint8_t *b = seg + 20;
		size_t at = 0;
		while (b[at] != 5)
			at += b[at] == 1 ? 1 : b[at + 1];
		put32(b + at + 2 + 8 * i, p->stack_isn + sp.sack[i][0]);
		put32(b + at + 6 + 8 * i, p->stack_isn + sp.sack[i][1]);
	}
	put16(seg + 16, cksum_fold(cksum_add(cksum_pseudo(p->addr, p->stack_addr, IP_PROTO_TCP,
							  hlen + sp.len), seg, hlen + sp.len)));
	inject(p, IP_PROTO_TCP, seg, hlen + sp.len);
}

/* ---- receiving ---- */

struct rseg {
	uint8_t flags;
	uint32_t seq, ack, len;
	uint16_t win, sport;
	struct spec opts;	/* what options it carried */
};

static void read_options(const uint8_t *o, size_t len, struct spec *sp)
{
	while (len > 0 && o[0] != 0) {
		size_t ol;
		if (o[0] == 1) {
			o++, len--;
			continue;
		}
		if (len < 2 || (ol = o[1]) < 2 || ol > len)
			return;
		switch (o[0]) {
		case 2: sp->mss = (struct optval){ OPT_VALUE, get16(o + 2) }; break;
		case 3: sp->ws = (struct optval){ OPT_VALUE, o[2] }; break;
		case 4: sp->sack_perm = 1; break;
		case 8:
			sp->ts = 1;
			sp->tsval = (struct optval){ OPT_VALUE, get32(o + 2) };
			sp->tsecr = (struct optval){ OPT_VALUE, get32(o + 6) };
			break;
		case 5:
			for (size_t i = 2; i + 8 <= ol && sp->nsack < 4; i += 8, sp->nsack++) {
				sp->sack[sp->nsack][0] = get32(o + i);
				sp->sack[sp->nsack][1] = get32(o + i + 4);
			}
			break;
		}
		o += ol;
		len -= ol;
	}
}

static void describe(const struct peer *p, const struct rseg *r, char *buf, size_t size)
{
	static const char names[] = "FSRP";
	size_t n = 0;

	for (int i = 0; i < 4; i++)
		if (r->flags & (1 << i))
			buf[n++] = names[i];
	if (r->flags & F_ACK)
		buf[n++] = '.';
	n += (size_t)snprintf(buf + n, size - n, " %u:%u(%u)", r->seq - p->stack_isn,
			      r->seq - p->stack_isn + r->len, r->len);
	if (r->flags & F_ACK)
		n += (size_t)snprintf(buf + n, size - n, " ack %u", r->ack - p->isn);
	snprintf(buf + n, size - n, " win %u%s%s%s", r->win, r->opts.mss.how ? " mss" : "",
		 r->opts.ts ? " TS" : "", r->opts.nsack ? " sack" : "");
}

/* Take the segment waiting at the tap. */
static void take(struct peer *p, struct rseg *r, char *desc, size_t dsize)
{
	static uint8_t pkt[IP_HLEN + 65536 + 60];
	size_t n = link_recv(p->link, p->end, pkt, sizeof pkt), ihl, off;
	const uint8_t *h;

	cr_assert_gt(n, 0);
	ihl = (size_t)(pkt[0] & 0xf) * 4;
	cr_assert_eq(pkt[9], IP_PROTO_TCP, "expected TCP, got protocol %d", pkt[9]);
	h = pkt + ihl;
	off = (size_t)(h[12] >> 4) * 4;
	memset(r, 0, sizeof *r);
	r->sport = get16(h);
	r->seq = get32(h + 4);
	r->ack = get32(h + 8);
	r->flags = h[13] & 0x1f;
	r->win = get16(h + 14);
	r->len = (uint32_t)(n - ihl - off);
	read_options(h + 20, off - 20, &r->opts);
	cr_assert_eq(cksum_fold(cksum_add(cksum_pseudo(get32(pkt + 12), get32(pkt + 16),
						       IP_PROTO_TCP, n - ihl), h, n - ihl)), 0,
		     "bad TCP checksum");
	if (p->stack_port == 0)
		p->stack_port = r->sport;
	if ((r->flags & F_SYN) && !p->have_stack_isn) {
		p->stack_isn = r->seq;
		p->have_stack_isn = 1;
	}
	memcpy(p->data, h + off, r->len);
	p->flags = r->flags;
	p->tsval = r->opts.ts ? r->opts.tsval.v : 0;
	p->seq = r->seq;
	p->ack = r->ack;
	p->len = r->len;
	p->win = r->win;
	memcpy(p->last, pkt, n < sizeof p->last ? n : sizeof p->last);
	p->lastlen = n < sizeof p->last ? n : sizeof p->last;
	describe(p, r, desc, dsize);
}

static int pending(void *arg)
{
	struct peer *p = arg;

	return link_pending(p->link, p->end) > 0;
}

static void check_opt(const char *name, const struct optval *want, const struct optval *got,
		      const char *desc)
{
	if (want->how == OPT_ABSENT)
		return;
	cr_assert_neq(got->how, OPT_ABSENT, "got %s: no %s option", desc, name);
	if (want->how == OPT_VALUE)
		cr_assert_eq(got->v, want->v, "got %s: %s %u, want %u", desc, name, got->v,
			     want->v);
}

void peer_expect(struct peer *p, uint64_t ms, const char *text)
{
	struct spec sp;
	struct rseg r;
	char desc[160];
	uint64_t now;

	parse(text, &sp);
	if (!link_run_until(p->link, pending, p, until(p, ms + p->tol_ms)))
		cr_assert_fail("want \"%s\" by %llu ms: nothing came", text,
			       (unsigned long long)(ms + p->tol_ms));
	now = link_now(p->link);
	take(p, &r, desc, sizeof desc);
	cr_assert_geq(now + p->tol_ms * 1000, at_us(p, ms), "\"%s\" came early, at %llu ms", desc,
		      (unsigned long long)((now - p->start) / 1000));
	cr_assert_eq(r.flags & ~F_PSH, sp.flags & ~F_PSH, "got \"%s\", want \"%s\"", desc, text);
	if (sp.flags & F_PSH)
		cr_assert(r.flags & F_PSH, "got \"%s\", want \"%s\"", desc, text);
	if (sp.has_seq) {
		cr_assert_eq(r.seq - p->stack_isn, sp.seq, "got \"%s\", want \"%s\"", desc, text);
		cr_assert_eq(r.len, sp.len, "got \"%s\", want \"%s\"", desc, text);
	}
	if (sp.has_ack)
		cr_assert_eq(r.ack - p->isn, sp.ack, "got \"%s\", want \"%s\"", desc, text);
	if (sp.has_win)
		cr_assert_eq(r.win, sp.win, "got \"%s\", want \"%s\"", desc, text);
	if (!sp.has_opts)
		return;
	check_opt("mss", &sp.mss, &r.opts.mss, desc);
	check_opt("wscale", &sp.ws, &r.opts.ws, desc);
	check_opt("TS val", &sp.tsval, &r.opts.tsval, desc);
	check_opt("TS ecr", &sp.tsecr, &r.opts.tsecr, desc);
	if (sp.sack_perm)
		cr_assert(r.opts.sack_perm, "got %s: no sackOK", desc);
	for (int i = 0; i < sp.nsack; i++) {
		cr_assert_gt(r.opts.nsack, i, "got %s: fewer SACK blocks than %d", desc, sp.nsack);
		cr_assert_eq(r.opts.sack[i][0] - p->isn, sp.sack[i][0], "SACK block %d start", i);
		cr_assert_eq(r.opts.sack[i][1] - p->isn, sp.sack[i][1], "SACK block %d end", i);
	}
	if (!sp.ts && !sp.any_opts && sp.nsack == 0 && !sp.sack_perm && sp.mss.how == OPT_ABSENT &&
	    sp.ws.how == OPT_ABSENT)
		cr_assert(!r.opts.ts && r.opts.nsack == 0, "got %s: unexpected options", desc);
}

void peer_expect_none(struct peer *p, uint64_t ms)
{
	struct rseg r;
	char desc[160];

	if (link_run_until(p->link, pending, p, until(p, ms))) {
		uint64_t now = link_now(p->link);
		take(p, &r, desc, sizeof desc);
		cr_assert_fail("nothing wanted until %llu ms, got \"%s\" at %llu ms",
			       (unsigned long long)ms, desc,
			       (unsigned long long)((now - p->start) / 1000));
	}
}

void peer_icmp(struct peer *p, uint64_t ms, int type, int code)
{
	uint8_t msg[8 + sizeof p->last];
	size_t ihl = (size_t)(p->last[0] & 0xf) * 4, n = ihl + 8;

	cr_assert_gt(p->lastlen, n, "no segment to quote");
	peer_run(p, ms);
	memset(msg, 0, 8);
	msg[0] = (uint8_t)type;
	msg[1] = (uint8_t)code;
	memcpy(msg + 8, p->last, n);
	put16(msg + 2, cksum(msg, 8 + n));
	inject(p, IP_PROTO_ICMP, msg, 8 + n);
}
