/*
 * The TCP header and its options (RFC 9293 3.1, RFC 7323, RFC 2018):
 * parse with the checksum, emit in the layout Linux uses.
 */
#include <string.h>

#include "wire.h"

static void parse_options(struct seg *s, const uint8_t *opt, size_t len)
{
	tcp_no_options(s);
	while (len > 0 && opt[0] != OPT_EOL) {
		size_t ol;
		if (opt[0] == OPT_NOP) {
			opt++;
			len--;
			continue;
		}
		if (len < 2 || (ol = opt[1]) < 2 || ol > len)
			return;
		switch (opt[0]) {
		case OPT_MSS:
			if (ol == 4)
				s->mss = get16(opt + 2);
			break;
		case OPT_WSCALE:
			if (ol == 3)
				s->wscale = (int8_t)(opt[2] > TCP_WSCALE_MAX ? TCP_WSCALE_MAX
									      : opt[2]);
			break;
		case OPT_SACK_PERM:
			s->sack_perm = ol == 2;
			break;
		case OPT_SACK:
			for (size_t i = 2; i + 8 <= ol && s->nsack < TCP_SACK_MAX; i += 8) {
				s->sack[s->nsack].start = get32(opt + i);
				s->sack[s->nsack].end = get32(opt + i + 4);
				s->nsack++;
			}
			break;
		case OPT_TS:
			if (ol == 10) {
				s->has_ts = 1;
				s->tsval = get32(opt + 2);
				s->tsecr = get32(opt + 6);
			}
			break;
		}
		opt += ol;
		len -= ol;
	}
}

int tcp_parse(const struct ippkt *ip, struct seg *s)
{
	const uint8_t *h = ip->data;
	size_t off;

	if (ip->len < TCP_HLEN)
		return -1;
	off = (size_t)(h[12] >> 4) * 4;
	if (off < TCP_HLEN || off > ip->len)
		return -1;
	if (!ip->csum_ok &&
	    cksum_fold(cksum_add(cksum_pseudo_pkt(ip, IP_PROTO_TCP, ip->len), h, ip->len)) != 0)
		return TCP_BAD_CKSUM;
	s->src = ip->src;
	s->dst = ip->dst;
	s->v6 = ip->v6;
	if (ip->v6) {
		s->src6 = ip->src6;
		s->dst6 = ip->dst6;
	}
	s->sport = get16(h);
	s->dport = get16(h + 2);
	s->seq = get32(h + 4);
	s->ack = get32(h + 8);
	s->flags = h[13] & 0x3f;
	s->wnd = get16(h + 14);
	s->data = h + off;
	s->len = (uint32_t)(ip->len - off);
	parse_options(s, h + TCP_HLEN, off - TCP_HLEN);
	return 0;
}

static size_t put_ts(uint8_t *o, const struct seg *s)
{
	o[0] = OPT_TS;
	o[1] = 10;
	put32(o + 2, s->tsval);
	put32(o + 6, s->tsecr);
	return 10;
}

/* Timestamps and SACK-permitted as Linux lays them out, which is what
 * peers, middleboxes and test suites (packetdrill) expect: together,
 * SACK-permitted takes the two bytes that would be NOP padding before
 * the timestamps; alone, each is padded with two NOPs. */
static size_t emit_ts_sack_perm(const struct seg *s, uint8_t *o)
{
	size_t n = 0;

	if (s->sack_perm && s->has_ts) {
		o[n++] = OPT_SACK_PERM;
		o[n++] = 2;
	} else if (s->sack_perm || s->has_ts) {
		o[n++] = OPT_NOP;
		o[n++] = OPT_NOP;
	}
	if (s->has_ts)
		return n + put_ts(o + n, s);
	if (s->sack_perm) {
		o[n++] = OPT_SACK_PERM;
		o[n++] = 2;
	}
	return n;
}

/* MSS; timestamps and SACK-permitted; window scale; SACK blocks. */
static size_t emit_options(const struct seg *s, uint8_t *o)
{
	size_t n = 0;

	if (s->mss) {
		o[n++] = OPT_MSS;
		o[n++] = 4;
		put16(o + n, s->mss);
		n += 2;
	}
	n += emit_ts_sack_perm(s, o + n);
	if (s->wscale >= 0) {
		o[n++] = OPT_NOP;
		o[n++] = OPT_WSCALE;
		o[n++] = 3;
		o[n++] = (uint8_t)s->wscale;
	}
	if (s->nsack > 0) {
		o[n++] = OPT_NOP;
		o[n++] = OPT_NOP;
		o[n++] = OPT_SACK;
		o[n++] = (uint8_t)(2 + 8 * s->nsack);
		for (int i = 0; i < s->nsack; i++, n += 8) {
			put32(o + n, s->sack[i].start);
			put32(o + n + 4, s->sack[i].end);
		}
	}
	return n;
}

size_t tcp_emit(uint8_t *h, const struct seg *s)
{
	size_t optlen = emit_options(s, h + TCP_HLEN);
	size_t hlen = TCP_HLEN + ((optlen + 3) & ~(size_t)3);

	memset(h + TCP_HLEN + optlen, OPT_EOL, hlen - TCP_HLEN - optlen);
	put16(h, s->sport);
	put16(h + 2, s->dport);
	put32(h + 4, s->seq);
	put32(h + 8, s->ack);
	h[12] = (uint8_t)(hlen / 4) << 4;
	h[13] = s->flags;
	put16(h + 14, (uint16_t)s->wnd);
	put16(h + 16, 0);
	put16(h + 18, 0);
	return hlen;
}

void tcp_cksum_fill(uint8_t *h, uint32_t pseudo, size_t len)
{
	put16(h + 16, 0);
	put16(h + 16, cksum_fold(cksum_add(pseudo, h, len)));
}

void tcp_cksum_partial(uint8_t *h, uint32_t pseudo)
{
	put16(h + 16, cksum_partial(pseudo));
}

void tcp_cksum_set(uint8_t *h, uint32_t src, uint32_t dst, size_t len)
{
	tcp_cksum_fill(h, cksum_pseudo(src, dst, IP_PROTO_TCP, len), len);
}
