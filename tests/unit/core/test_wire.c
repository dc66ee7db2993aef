/*
 * The wire layer, header by header, in the shape of smoltcp's
 * src/wire/tcp.rs tests: a packet written out byte by byte (checksums
 * worked out by hand), its parse, its emit compared to the byte, and the
 * malformed cases each parser must refuse or survive.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "wire.h"

enum { SRC = 0x0a4d0002, DST = 0x0a4d0003 };

static struct ippkt pkt_of(uint8_t *data, size_t len, uint8_t proto)
{
	return (struct ippkt){ .src = SRC, .dst = DST, .proto = proto, .data = data, .len = len };
}

static void assert_bytes(const uint8_t *got, const uint8_t *want, size_t len)
{
	for (size_t i = 0; i < len; i++)
		cr_assert_eq(got[i], want[i], "byte %zu: %02x, want %02x", i, got[i], want[i]);
}

/* ---- IPv4 ---- */

static const uint8_t IP_BYTES[] = {
	0x45, 0x00, 0x00, 0x1c, 0x12, 0x34, 0x40, 0x00, 0x40, 0x11, 0x13, 0xff,
	0x0a, 0x4d, 0x00, 0x02, 0x0a, 0x4d, 0x00, 0x03,
	0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00, 0x11,
};

static const struct iphdr IP_REPR = {
	.tos = 0, .ttl = 64, .proto = IP_PROTO_UDP, .total = 28, .id = 0x1234,
	.frag = IP_DF, .src = SRC, .dst = DST,
};

Test(wire_ip, parse)
{
	uint8_t b[sizeof IP_BYTES];
	struct ippkt ip;

	memcpy(b, IP_BYTES, sizeof b);
	cr_assert_eq(ip_parse(b, sizeof b, &ip), IPV_OK);
	cr_assert_eq(ip.src, SRC);
	cr_assert_eq(ip.dst, DST);
	cr_assert_eq(ip.proto, IP_PROTO_UDP);
	cr_assert_eq(ip.ttl, 64);
	cr_assert_eq(ip.tos, 0);
	cr_assert_eq(ip.id, 0x1234);
	cr_assert_eq(ip.frag, IP_DF);
	cr_assert_eq(ip.hlen, IP_HLEN);
	cr_assert_eq(ip.hdr, b);
	cr_assert_eq(ip.data, b + IP_HLEN);
	cr_assert_eq(ip.len, 8);
	cr_assert_eq(ip.csum_ok, 0);
}

Test(wire_ip, emit)
{
	uint8_t b[IP_HLEN];

	memset(b, 0x5a, sizeof b);
	ip_emit(b, &IP_REPR);
	assert_bytes(b, IP_BYTES, IP_HLEN);
}

Test(wire_ip, round_trip)
{
	struct iphdr h = { .tos = 0xb8, .ttl = 1, .proto = IP_PROTO_TCP, .total = IP_HLEN,
			   .id = 0xffff, .frag = IP_MF | 0x1234 % IP_OFFMASK,
			   .src = 0xc0a80101, .dst = 0xffffffff };
	uint8_t b[IP_HLEN];
	struct ippkt ip;

	ip_emit(b, &h);
	cr_assert_eq(ip_parse(b, sizeof b, &ip), IPV_OK);
	cr_assert_eq(ip.tos, h.tos);
	cr_assert_eq(ip.ttl, h.ttl);
	cr_assert_eq(ip.proto, h.proto);
	cr_assert_eq(ip.id, h.id);
	cr_assert_eq(ip.frag, h.frag);
	cr_assert_eq(ip.src, h.src);
	cr_assert_eq(ip.dst, h.dst);
	cr_assert_eq(ip.len, 0);
}

Test(wire_ip, malformed)
{
	uint8_t b[sizeof IP_BYTES + 4];
	struct ippkt ip;

	memcpy(b, IP_BYTES, sizeof IP_BYTES);
	cr_assert_eq(ip_parse(b, IP_HLEN - 1, &ip), IPV_SHORT);
	b[0] = 0x65;
	cr_assert_eq(ip_parse(b, sizeof IP_BYTES, &ip), IPV_VERSION);
	b[0] = 0x44;		/* header shorter than 20 */
	cr_assert_eq(ip_parse(b, sizeof IP_BYTES, &ip), IPV_HLEN);
	b[0] = 0x48;		/* 32 bytes of header in a 28-byte packet */
	cr_assert_eq(ip_parse(b, sizeof IP_BYTES, &ip), IPV_HLEN);
	b[0] = 0x45;
	b[10] ^= 1;
	cr_assert_eq(ip_parse(b, sizeof IP_BYTES, &ip), IPV_CKSUM);
	b[10] ^= 1;
	cr_assert_eq(ip_parse(b, sizeof IP_BYTES - 1, &ip), IPV_LEN, "total beyond the packet");
	/* link padding beyond the total length is not payload */
	cr_assert_eq(ip_parse(b, sizeof b, &ip), IPV_OK);
	cr_assert_eq(ip.len, 8);
}

/* ---- TCP ---- */

/* A SYN from 12345 to 80 with every option we offer, in Linux's layout
 * as tcp_emit writes it: MSS 1460, SACK permitted, timestamps 1/0, NOP
 * window scale 7. */
static const uint8_t SYN_BYTES[] = {
	0x30, 0x39, 0x00, 0x50, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00,
	0xa0, 0x02, 0xff, 0xff, 0xfe, 0xd1, 0x00, 0x00,
	0x02, 0x04, 0x05, 0xb4,
	0x04, 0x02, 0x08, 0x0a, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x03, 0x03, 0x07,
};

static struct seg syn_repr(void)
{
	struct seg s = { .sport = 12345, .dport = 80, .seq = 0x01020304, .flags = SEG_SYN,
			 .wnd = 0xffff };

	tcp_no_options(&s);
	s.mss = 1460;
	s.has_ts = 1;
	s.tsval = 1;
	s.wscale = 7;
	s.sack_perm = 1;
	return s;
}

/* An ACK with 4 bytes of data, timestamps 2/1 and two SACK blocks. */
static const uint8_t ACK_BYTES[] = {
	0x00, 0x50, 0x30, 0x39, 0x0a, 0x0b, 0x0c, 0x0d, 0x01, 0x02, 0x03, 0x05,
	0xd0, 0x10, 0x01, 0xf5, 0x5a, 0x8c, 0x00, 0x00,
	0x01, 0x01, 0x08, 0x0a, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01,
	0x01, 0x01, 0x05, 0x12,
	0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x20, 0x00,
	0x00, 0x00, 0x30, 0x00, 0x00, 0x00, 0x40, 0x00,
	'a', 'b', 'c', 'd',
};

static struct seg ack_repr(void)
{
	struct seg s = { .sport = 80, .dport = 12345, .seq = 0x0a0b0c0d, .ack = 0x01020305,
			 .flags = SEG_ACK, .wnd = 501 };

	tcp_no_options(&s);
	s.has_ts = 1;
	s.tsval = 2;
	s.tsecr = 1;
	s.nsack = 2;
	s.sack[0] = (struct seqrange){ 0x1000, 0x2000 };
	s.sack[1] = (struct seqrange){ 0x3000, 0x4000 };
	return s;
}

static void assert_seg_eq(const struct seg *a, const struct seg *b)
{
	cr_assert_eq(a->sport, b->sport);
	cr_assert_eq(a->dport, b->dport);
	cr_assert_eq(a->seq, b->seq);
	cr_assert_eq(a->ack, b->ack);
	cr_assert_eq(a->flags, b->flags);
	cr_assert_eq(a->wnd, b->wnd);
	cr_assert_eq(a->mss, b->mss);
	cr_assert_eq(a->wscale, b->wscale);
	cr_assert_eq(a->sack_perm, b->sack_perm);
	cr_assert_eq(a->has_ts, b->has_ts);
	if (a->has_ts) {
		cr_assert_eq(a->tsval, b->tsval);
		cr_assert_eq(a->tsecr, b->tsecr);
	}
	cr_assert_eq(a->nsack, b->nsack);
	for (int i = 0; i < a->nsack; i++) {
		cr_assert_eq(a->sack[i].start, b->sack[i].start);
		cr_assert_eq(a->sack[i].end, b->sack[i].end);
	}
}

static int parse_bytes(const uint8_t *bytes, size_t len, struct seg *s)
{
	static uint8_t b[128];
	struct ippkt ip;

	memcpy(b, bytes, len);
	ip = pkt_of(b, len, IP_PROTO_TCP);
	return tcp_parse(&ip, s);
}

Test(wire_tcp, parse_syn)
{
	struct seg s, want = syn_repr();

	cr_assert_eq(parse_bytes(SYN_BYTES, sizeof SYN_BYTES, &s), 0);
	assert_seg_eq(&s, &want);
	cr_assert_eq(s.src, SRC);
	cr_assert_eq(s.dst, DST);
	cr_assert_eq(s.len, 0);
}

Test(wire_tcp, parse_ack_with_data)
{
	struct seg s, want = ack_repr();

	cr_assert_eq(parse_bytes(ACK_BYTES, sizeof ACK_BYTES, &s), 0);
	assert_seg_eq(&s, &want);
	cr_assert_eq(s.len, 4);
	cr_assert_eq(memcmp(s.data, "abcd", 4), 0);
}

/* emit then checksum gives the packet to the byte */
static void assert_emits(const struct seg *s, const uint8_t *want, size_t len, size_t datalen)
{
	uint8_t b[128];
	size_t hlen;

	memset(b, 0x5a, sizeof b);
	hlen = tcp_emit(b, s);
	cr_assert_eq(hlen, len - datalen);
	memcpy(b + hlen, want + hlen, datalen);
	tcp_cksum_set(b, SRC, DST, len);
	assert_bytes(b, want, len);
}

Test(wire_tcp, emit_syn)
{
	struct seg s = syn_repr();

	assert_emits(&s, SYN_BYTES, sizeof SYN_BYTES, 0);
}

Test(wire_tcp, emit_ack_with_data)
{
	struct seg s = ack_repr();

	assert_emits(&s, ACK_BYTES, sizeof ACK_BYTES, 4);
}

Test(wire_tcp, emit_no_options)
{
	static const uint8_t rst[] = {
		0x30, 0x39, 0x00, 0x50, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04,
		0x50, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	struct seg s = { .sport = 12345, .dport = 80, .ack = 0x01020304,
			 .flags = SEG_RST | SEG_ACK };
	uint8_t b[TCP_HLEN];

	tcp_no_options(&s);
	memset(b, 0x5a, sizeof b);
	cr_assert_eq(tcp_emit(b, &s), TCP_HLEN);
	assert_bytes(b, rst, TCP_HLEN);
}

/* Each option is NOP-aligned to 4 bytes, so the data offset counts
 * them exactly. */
Test(wire_tcp, emit_header_length)
{
	struct seg s = { .flags = SEG_SYN };
	uint8_t b[TCP_MAXHLEN];

	tcp_no_options(&s);
	s.mss = 536;
	s.sack_perm = 1;
	cr_assert_eq(tcp_emit(b, &s), TCP_HLEN + 8);
	cr_assert_eq(b[12], (TCP_HLEN + 8) / 4 << 4);
	s.sack_perm = 0;
	s.wscale = 0;
	cr_assert_eq(tcp_emit(b, &s), TCP_HLEN + 8, "a window scale of 0 is an option");
	cr_assert_eq(b[TCP_HLEN + 5], OPT_WSCALE);
	cr_assert_eq(b[TCP_HLEN + 7], 0);
}

/* Without SACK, the timestamps take two NOPs, as on Linux. */
Test(wire_tcp, emit_syn_ts_without_sack)
{
	static const uint8_t opt[] = {
		OPT_MSS, 4, 0x05, 0xb4,
		OPT_NOP, OPT_NOP, OPT_TS, 10, 0, 0, 0, 1, 0, 0, 0, 0,
		OPT_NOP, OPT_WSCALE, 3, 8,
	};
	struct seg s = syn_repr();
	uint8_t b[TCP_MAXHLEN];

	s.sack_perm = 0;
	s.wscale = 8;
	cr_assert_eq(tcp_emit(b, &s), TCP_HLEN + sizeof opt);
	assert_bytes(b + TCP_HLEN, opt, sizeof opt);
}

/* Without timestamps, SACK permitted takes two NOPs and comes before
 * the window scale, as on Linux. */
Test(wire_tcp, emit_syn_sack_without_ts)
{
	static const uint8_t opt[] = {
		OPT_MSS, 4, 0x05, 0xb4,
		OPT_NOP, OPT_NOP, OPT_SACK_PERM, 2,
		OPT_NOP, OPT_WSCALE, 3, 8,
	};
	struct seg s = syn_repr();
	uint8_t b[TCP_MAXHLEN];

	s.has_ts = 0;
	s.wscale = 8;
	cr_assert_eq(tcp_emit(b, &s), TCP_HLEN + sizeof opt);
	assert_bytes(b + TCP_HLEN, opt, sizeof opt);
}

Test(wire_tcp, round_trip_every_option)
{
	struct seg s = { .sport = 1, .dport = 65535, .seq = 0xffffffff, .ack = 0x80000000,
			 .flags = SEG_ACK | SEG_PSH | SEG_FIN | SEG_URG, .wnd = 1 };
	struct seg got;
	uint8_t b[TCP_MAXHLEN];
	struct ippkt ip;
	size_t hlen;

	tcp_no_options(&s);
	s.mss = 9000;
	s.has_ts = 1;
	s.tsval = 0xdeadbeef;
	s.tsecr = 0xfeedface;
	s.wscale = 14;
	s.sack_perm = 1;
	s.nsack = 1;		/* MSS 4, SP and TS 12, WS 4, one block 12: 32 of 40 */
	s.sack[0] = (struct seqrange){ 0xfffffff0, 0x10 };
	hlen = tcp_emit(b, &s);
	cr_assert_eq(hlen, TCP_HLEN + 32);
	tcp_cksum_set(b, SRC, DST, hlen);
	ip = pkt_of(b, hlen, IP_PROTO_TCP);
	cr_assert_eq(tcp_parse(&ip, &got), 0);
	assert_seg_eq(&got, &s);
}

Test(wire_tcp, round_trip_sack_blocks)
{
	struct seg s = { .flags = SEG_ACK }, got;
	uint8_t b[TCP_MAXHLEN];
	struct ippkt ip;
	size_t hlen;

	tcp_no_options(&s);
	s.nsack = TCP_SACK_MAX;
	for (int i = 0; i < TCP_SACK_MAX; i++)
		s.sack[i] = (struct seqrange){ 1000u * (uint32_t)i, 1000u * (uint32_t)i + 500 };
	hlen = tcp_emit(b, &s);
	cr_assert_eq(hlen, TCP_HLEN + 36);
	tcp_cksum_set(b, SRC, DST, hlen);
	ip = pkt_of(b, hlen, IP_PROTO_TCP);
	cr_assert_eq(tcp_parse(&ip, &got), 0);
	assert_seg_eq(&got, &s);
}

Test(wire_tcp, malformed_header)
{
	uint8_t b[sizeof ACK_BYTES];
	struct ippkt ip;
	struct seg s;

	memcpy(b, ACK_BYTES, sizeof b);
	ip = pkt_of(b, TCP_HLEN - 1, IP_PROTO_TCP);
	cr_assert_eq(tcp_parse(&ip, &s), -1, "shorter than a header");
	ip = pkt_of(b, sizeof b, IP_PROTO_TCP);
	b[12] = 0x40;
	cr_assert_eq(tcp_parse(&ip, &s), -1, "data offset below 5");
	b[12] = 0xf0;
	ip.len = 56;
	cr_assert_eq(tcp_parse(&ip, &s), -1, "data offset beyond the segment");
	b[12] = ACK_BYTES[12];
	ip.len = sizeof b;
	b[sizeof b - 1] ^= 1;
	cr_assert_eq(tcp_parse(&ip, &s), TCP_BAD_CKSUM, "bad checksum");
	ip.csum_ok = 1;
	cr_assert_eq(tcp_parse(&ip, &s), 0, "the link vouched for the checksum");
}

/* Parse the options in opt (padded with EOL to a header) of a segment. */
static struct seg parse_options(const uint8_t *opt, size_t len)
{
	uint8_t b[TCP_MAXHLEN] = { 0 };
	size_t hlen = TCP_HLEN + ((len + 3) & ~(size_t)3);
	struct ippkt ip;
	struct seg s;

	cr_assert_leq(hlen, TCP_MAXHLEN);
	b[12] = (uint8_t)(hlen / 4 << 4);
	memcpy(b + TCP_HLEN, opt, len);
	ip = pkt_of(b, hlen, IP_PROTO_TCP);
	ip.csum_ok = 1;
	cr_assert_eq(tcp_parse(&ip, &s), 0);
	return s;
}

Test(wire_tcp, options_of_a_wrong_length_are_ignored)
{
	static const uint8_t opt[] = {
		OPT_MSS, 3, 0x05,			/* MSS is 4 long */
		OPT_WSCALE, 4, 7, 0,			/* window scale is 3 long */
		OPT_SACK_PERM, 3, 0,			/* SACK permitted is 2 long */
		OPT_TS, 6, 0, 0, 0, 1,			/* timestamps are 10 long */
	};
	struct seg s = parse_options(opt, sizeof opt);

	cr_assert_eq(s.mss, 0);
	cr_assert_eq(s.wscale, -1);
	cr_assert_eq(s.sack_perm, 0);
	cr_assert_eq(s.has_ts, 0);
}

Test(wire_tcp, a_bad_option_length_ends_the_options)
{
	static const uint8_t zero[] = { OPT_SACK_PERM, 0, OPT_MSS, 4, 0x05, 0xb4 };
	static const uint8_t over[] = { OPT_MSS, 4, 0x05, 0xb4, OPT_WSCALE, 9, 7 };
	static const uint8_t cut[] = { OPT_NOP, OPT_NOP, OPT_NOP, OPT_MSS };
	struct seg s;

	s = parse_options(zero, sizeof zero);
	cr_assert_eq(s.mss, 0, "nothing after a length below 2");
	cr_assert_eq(s.sack_perm, 0);
	s = parse_options(over, sizeof over);
	cr_assert_eq(s.mss, 1460, "what came before stays");
	cr_assert_eq(s.wscale, -1, "a length beyond the header");
	s = parse_options(cut, sizeof cut);
	cr_assert_eq(s.mss, 0, "a kind with no length byte");
}

Test(wire_tcp, eol_ends_the_options)
{
	static const uint8_t opt[] = { OPT_NOP, OPT_EOL, OPT_MSS, 4, 0x05, 0xb4 };
	struct seg s = parse_options(opt, sizeof opt);

	cr_assert_eq(s.mss, 0);
}

Test(wire_tcp, unknown_options_are_skipped)
{
	static const uint8_t opt[] = { 30, 4, 0xaa, 0xbb, 254, 2, OPT_MSS, 4, 0x02, 0x18 };
	struct seg s = parse_options(opt, sizeof opt);

	cr_assert_eq(s.mss, 536);
}

Test(wire_tcp, window_scale_over_14_is_14)
{
	static const uint8_t opt[] = { OPT_WSCALE, 3, 15, OPT_NOP };
	struct seg s = parse_options(opt, sizeof opt);

	cr_assert_eq(s.wscale, TCP_WSCALE_MAX);
}

/* Four blocks fill the 40 bytes of options (RFC 2018 3). */
Test(wire_tcp, four_sack_blocks)
{
	uint8_t opt[2 + 8 * TCP_SACK_MAX] = { OPT_SACK, sizeof opt };
	struct seg s;

	for (int i = 0; i < TCP_SACK_MAX; i++) {
		put32(opt + 2 + 8 * i, (uint32_t)i * 10);
		put32(opt + 6 + 8 * i, (uint32_t)i * 10 + 5);
	}
	s = parse_options(opt, sizeof opt);
	cr_assert_eq(s.nsack, TCP_SACK_MAX);
	cr_assert_eq(s.sack[3].start, 30);
	cr_assert_eq(s.sack[3].end, 35);
}

Test(wire_tcp, a_partial_sack_block_is_not_read)
{
	static const uint8_t opt[] = { OPT_SACK, 14, 0, 0, 0, 1, 0, 0, 0, 2, 9, 9, 9, 9 };
	struct seg s = parse_options(opt, sizeof opt);

	cr_assert_eq(s.nsack, 1);
	cr_assert_eq(s.sack[0].start, 1);
	cr_assert_eq(s.sack[0].end, 2);
}

/* ---- UDP ---- */

static const uint8_t UDP_BYTES[] = {
	0x30, 0x39, 0x00, 0x35, 0x00, 0x0c, 0xf6, 0x02, 'a', 'b', 'c', 'd',
};

Test(wire_udp, parse)
{
	uint8_t b[sizeof UDP_BYTES];
	struct ippkt ip = pkt_of(b, sizeof b, IP_PROTO_UDP);
	struct udphdr u;

	memcpy(b, UDP_BYTES, sizeof b);
	cr_assert_eq(udp_parse(&ip, &u), UDP_OK);
	cr_assert_eq(u.sport, 12345);
	cr_assert_eq(u.dport, 53);
	cr_assert_eq(u.len, 12);
	cr_assert_eq(u.cksum, 0xf602);
}

Test(wire_udp, emit)
{
	uint8_t b[sizeof UDP_BYTES];

	memset(b, 0x5a, UDP_HLEN);
	memcpy(b + UDP_HLEN, "abcd", 4);
	udp_emit(b, &(struct udphdr){ .sport = 12345, .dport = 53, .len = 12 }, SRC, DST);
	assert_bytes(b, UDP_BYTES, sizeof b);
}

/* A sum of 0 goes out as 0xffff: 0 would mean "no checksum". */
Test(wire_udp, emit_never_sends_a_zero_checksum)
{
	uint8_t b[UDP_HLEN + 2] = { 0 };
	struct ippkt ip = pkt_of(b, sizeof b, IP_PROTO_UDP);
	struct udphdr u;
	uint16_t fill;

	/* the payload that brings the sum to 0xffff, whose complement is 0 */
	udp_emit(b, &(struct udphdr){ .sport = 1, .dport = 2, .len = sizeof b }, SRC, DST);
	fill = get16(b + 6);
	put16(b + UDP_HLEN, fill);
	udp_emit(b, &(struct udphdr){ .sport = 1, .dport = 2, .len = sizeof b }, SRC, DST);
	cr_assert_eq(get16(b + 6), 0xffff);
	cr_assert_eq(udp_parse(&ip, &u), UDP_OK);
}

Test(wire_udp, malformed)
{
	uint8_t b[sizeof UDP_BYTES];
	struct ippkt ip = pkt_of(b, sizeof b, IP_PROTO_UDP);
	struct udphdr u;

	memcpy(b, UDP_BYTES, sizeof b);
	ip.len = UDP_HLEN - 1;
	cr_assert_eq(udp_parse(&ip, &u), UDP_BAD_LEN, "shorter than a header");
	ip.len = sizeof b - 1;
	cr_assert_eq(udp_parse(&ip, &u), UDP_BAD_LEN, "length beyond the packet");
	ip.len = sizeof b;
	put16(b + 4, 7);
	cr_assert_eq(udp_parse(&ip, &u), UDP_BAD_LEN, "length below a header");
	put16(b + 4, 12);
	b[8] ^= 1;
	cr_assert_eq(udp_parse(&ip, &u), UDP_BAD_CKSUM);
	ip.csum_ok = 1;
	cr_assert_eq(udp_parse(&ip, &u), UDP_OK, "the link vouched for it");
	ip.csum_ok = 0;
	put16(b + 6, 0);
	cr_assert_eq(udp_parse(&ip, &u), UDP_OK, "no checksum at all");
}

/* ---- ICMP ---- */

static const uint8_t ECHO_BYTES[] = {
	0x08, 0x00, 0x06, 0xfa, 0x12, 0x34, 0x00, 0x01, 'p', 'i', 'n', 'g',
};

Test(wire_icmp, parse)
{
	struct icmphdr h;

	cr_assert_eq(icmp_parse(ECHO_BYTES, sizeof ECHO_BYTES, &h), 0);
	cr_assert_eq(h.type, ICMP_ECHO);
	cr_assert_eq(h.code, 0);
	cr_assert_eq(h.id, 0x1234);
	cr_assert_eq(h.seq, 1);
}

Test(wire_icmp, emit)
{
	uint8_t b[sizeof ECHO_BYTES];

	memset(b, 0x5a, ICMP_HLEN);
	memcpy(b + ICMP_HLEN, "ping", 4);
	icmp_emit(b, sizeof b, &(struct icmphdr){ ICMP_ECHO, 0, 0x1234, 1 });
	assert_bytes(b, ECHO_BYTES, sizeof b);
}

Test(wire_icmp, round_trip_error)
{
	uint8_t b[ICMP_HLEN + IP_HLEN + 8];
	struct icmphdr h;

	memcpy(b + ICMP_HLEN, IP_BYTES, IP_HLEN + 8);
	icmp_emit(b, sizeof b, &(struct icmphdr){ ICMP_UNREACH, ICMP_UNREACH_PORT, 0, 0 });
	cr_assert_eq(get32(b + 4), 0, "the unused word");
	cr_assert_eq(icmp_parse(b, sizeof b, &h), 0);
	cr_assert_eq(h.type, ICMP_UNREACH);
	cr_assert_eq(h.code, ICMP_UNREACH_PORT);
	cr_assert_eq(memcmp(b + ICMP_HLEN, IP_BYTES, IP_HLEN + 8), 0, "the quote untouched");
}

Test(wire_icmp, malformed)
{
	uint8_t b[sizeof ECHO_BYTES];
	struct icmphdr h;

	memcpy(b, ECHO_BYTES, sizeof b);
	cr_assert_eq(icmp_parse(b, ICMP_HLEN - 1, &h), -1, "shorter than a header");
	b[sizeof b - 1] ^= 1;
	cr_assert_eq(icmp_parse(b, sizeof b, &h), -1, "bad checksum");
}

/* ---- the checksum (RFC 1071) ---- */

Test(wire_cksum, rfc1071_example)
{
	/* RFC 1071 1.2: the sum of these bytes is ddf2, its complement 220d */
	static const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	cr_assert_eq(cksum(b, sizeof b), 0x220d);
}

Test(wire_cksum, chained_sums_equal_one_sum)
{
	uint8_t b[301];

	for (size_t i = 0; i < sizeof b; i++)
		b[i] = (uint8_t)(i * 7 + 3);
	for (size_t cut = 0; cut < sizeof b; cut += 2)
		cr_assert_eq(cksum_fold(cksum_add(cksum_add(0, b, cut), b + cut, sizeof b - cut)),
			     cksum(b, sizeof b), "cut at %zu", cut);
}
