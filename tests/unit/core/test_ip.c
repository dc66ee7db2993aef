/* IPv4: the Internet checksum, header validation, and its counters. */
#include <criterion/criterion.h>
#include <string.h>

#include "ip.h"
#include "fixture.h"
#include "link.h"
#include "stack.h"

enum { HOST = 0x0a4d0001, ME = 0x0a4d0002 };	/* 10.77.0.1, 10.77.0.2 */

/* ---- the checksum ---- */

/* RFC 1071 by the book, 16-bit big-endian words, byte by byte: the oracle. */
static uint16_t ref_cksum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i < len; i += 2)
		sum += (uint32_t)p[i] << 8 | (i + 1 < len ? p[i + 1] : 0);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void fill_random(uint8_t *p, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++) {
		seed = seed * 1103515245 + 12345;
		p[i] = (uint8_t)(seed >> 16);
	}
}

Test(cksum, rfc1071_example)
{
	/* RFC 1071 section 3: the words sum to 0xddf2, so the checksum is ~ */
	const uint8_t d[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	cr_assert_eq(cksum(d, sizeof d), 0x220d);
}

Test(cksum, ipv4_header_vector)
{
	/* a UDP packet 192.168.0.1 -> 192.168.0.199, checksum field zero */
	const uint8_t h[] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			      0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };

	cr_assert_eq(cksum(h, sizeof h), 0xb861);
}

Test(cksum, odd_lengths_pad_with_zero)
{
	const uint8_t one[] = { 0x01 }, three[] = { 0x01, 0x02, 0x03 };

	cr_assert_eq(cksum(one, 1), 0xfeff);
	cr_assert_eq(cksum(three, 3), 0xfbfd);	/* 0x0102 + 0x0300 */
}

Test(cksum, end_around_carry)
{
	const uint8_t d[] = { 0xff, 0xff, 0x00, 0x01 };	/* 0x10000 folds to 1 */
	uint8_t ones[1001];

	cr_assert_eq(cksum(d, sizeof d), 0xfffe);
	memset(ones, 0xff, sizeof ones);
	cr_assert_eq(cksum(ones, sizeof ones), ref_cksum(ones, sizeof ones));
	cr_assert_eq(cksum(ones, 1000), 0x0000);
}

Test(cksum, empty_is_all_ones)
{
	uint8_t none[1] = { 0 };

	cr_assert_eq(cksum(none, 0), 0xffff);
}

Test(cksum, matches_reference_any_length_and_alignment)
{
	static uint8_t buf[70000];

	fill_random(buf, sizeof buf, 5);
	for (size_t off = 0; off < 4; off++)
		for (size_t len = 0; len < 300; len++)
			cr_assert_eq(cksum(buf + off, len), ref_cksum(buf + off, len),
				     "offset %zu length %zu", off, len);
	/* the largest datagram: many carries into the wide accumulator */
	memset(buf, 0xff, IP_MAXPACKET);
	cr_assert_eq(cksum(buf, IP_MAXPACKET), ref_cksum(buf, IP_MAXPACKET));
	fill_random(buf, sizeof buf, 9);
	cr_assert_eq(cksum(buf + 1, IP_MAXPACKET), ref_cksum(buf + 1, IP_MAXPACKET));
}

Test(cksum, chained_sums_equal_one_sum)
{
	uint8_t d[257];

	fill_random(d, sizeof d, 11);
	for (size_t cut = 0; cut <= sizeof d; cut += 2)
		cr_assert_eq(cksum_fold(cksum_add(cksum_add(0, d, cut), d + cut, sizeof d - cut)),
			     cksum(d, sizeof d), "cut at %zu", cut);
}

Test(cksum, checksummed_data_verifies_to_zero)
{
	uint8_t d[41];

	fill_random(d, sizeof d, 3);
	d[10] = d[11] = 0;
	put16(d + 10, cksum(d, sizeof d));
	cr_assert_eq(cksum(d, sizeof d), 0);
}

Test(cksum, pseudo_header)
{
	uint8_t whole[12 + 9] = { 10, 77, 0, 1, 10, 77, 0, 2, 0, IP_PROTO_UDP, 0, 9 };
	uint8_t *udp = whole + 12;

	fill_random(udp, 9, 17);
	cr_assert_eq(cksum_fold(cksum_add(cksum_pseudo(HOST, ME, IP_PROTO_UDP, 9), udp, 9)),
		     ref_cksum(whole, sizeof whole));
}

/* ---- ip_parse ---- */

static uint8_t pkt[128];

static size_t good_packet(size_t payload)
{
	uint8_t data[64] = { 0 };

	fill_random(data, payload, 1);
	return link_build_ip(pkt, HOST, ME, 253, data, payload);
}

static void reseal(void)
{
	size_t hlen = (size_t)(pkt[0] & 0xf) * 4;

	put16(pkt + 10, 0);
	put16(pkt + 10, cksum(pkt, hlen));
}

Test(ip_parse, accepts_a_good_header)
{
	struct ippkt ip;
	size_t len = good_packet(8);

	pkt[1] = 0x10;
	reseal();
	cr_assert_eq(ip_parse(pkt, len, &ip), IPV_OK);
	cr_assert_eq(ip.src, HOST);
	cr_assert_eq(ip.dst, ME);
	cr_assert_eq(ip.proto, 253);
	cr_assert_eq(ip.ttl, IP_DEFTTL);
	cr_assert_eq(ip.tos, 0x10);
	cr_assert_eq(ip.hlen, IP_HLEN);
	cr_assert_eq(ip.data, pkt + IP_HLEN);
	cr_assert_eq(ip.len, 8);
}

Test(ip_parse, skips_options)
{
	struct ippkt ip;

	good_packet(12);
	pkt[0] = 0x46;			/* 24 bytes: 4 of options (NOPs) */
	memset(pkt + 20, 1, 4);
	reseal();
	cr_assert_eq(ip_parse(pkt, 32, &ip), IPV_OK);
	cr_assert_eq(ip.hlen, 24);
	cr_assert_eq(ip.data, pkt + 24);
	cr_assert_eq(ip.len, 8);
}

Test(ip_parse, ignores_link_padding_after_total_length)
{
	struct ippkt ip;
	size_t len = good_packet(6);

	cr_assert_eq(ip_parse(pkt, len + 20, &ip), IPV_OK);
	cr_assert_eq(ip.len, 6);
}

Test(ip_parse, rejects_short)
{
	struct ippkt ip;

	good_packet(0);
	cr_assert_eq(ip_parse(pkt, 0, &ip), IPV_SHORT);
	cr_assert_eq(ip_parse(pkt, IP_HLEN - 1, &ip), IPV_SHORT);
}

Test(ip_parse, rejects_bad_version)
{
	struct ippkt ip;
	size_t len = good_packet(8);

	pkt[0] = 0x65;
	reseal();
	cr_assert_eq(ip_parse(pkt, len, &ip), IPV_VERSION);
}

Test(ip_parse, rejects_bad_header_length)
{
	struct ippkt ip;
	size_t len = good_packet(8);

	pkt[0] = 0x44;			/* 16 bytes: less than a header */
	cr_assert_eq(ip_parse(pkt, len, &ip), IPV_HLEN);
	pkt[0] = 0x4f;			/* 60 bytes: more than received */
	cr_assert_eq(ip_parse(pkt, len, &ip), IPV_HLEN);
}

Test(ip_parse, rejects_bad_checksum)
{
	struct ippkt ip;
	size_t len = good_packet(8);

	pkt[10] ^= 0x01;
	cr_assert_eq(ip_parse(pkt, len, &ip), IPV_CKSUM);
}

Test(ip_parse, rejects_total_length_beyond_received)
{
	struct ippkt ip;
	size_t len = good_packet(8);

	put16(pkt + 2, (uint16_t)(len + 1));
	reseal();
	cr_assert_eq(ip_parse(pkt, len, &ip), IPV_LEN);
	put16(pkt + 2, IP_HLEN - 1);	/* and shorter than its own header */
	reseal();
	cr_assert_eq(ip_parse(pkt, len, &ip), IPV_LEN);
}

/* ---- the input path counts what it drops ---- */

static struct stack *st;

static void stack_setup(void)
{
	struct stack_config cfg = { .addr = ME, .prefix = 24, .gw = HOST, .mtu = 1500, .seed = 1 };

	l = link_new(NULL, &cfg);
	cr_assert_not_null(l);
	st = link_stack(l, LINK_B);
}

static void inject(size_t len)
{
	cr_assert_eq(link_inject(l, LINK_A, pkt, len), 0);
	link_run(l, link_now(l) + 10 * LINK_DELAY_US);
}

TestSuite(ip_input, .init = stack_setup, .fini = teardown);

Test(ip_input, counts_each_malformed_kind)
{
	size_t len;

	good_packet(8);
	inject(IP_HLEN - 2);
	len = good_packet(8);
	pkt[0] = 0x55;
	reseal();
	inject(len);
	len = good_packet(8);
	pkt[0] = 0x43;
	inject(len);
	len = good_packet(8);
	pkt[11] ^= 0xff;
	inject(len);
	len = good_packet(8);
	put16(pkt + 2, 200);
	reseal();
	inject(len);

	cr_assert_eq(st->ips[IPS_IN_RECEIVES], 5);
	cr_assert_eq(st->ips[IPS_IN_SHORT], 1);
	cr_assert_eq(st->ips[IPS_IN_VERSION], 1);
	cr_assert_eq(st->ips[IPS_IN_HLEN], 1);
	cr_assert_eq(st->ips[IPS_IN_CKSUM], 1);
	cr_assert_eq(st->ips[IPS_IN_LEN], 1);
	cr_assert_eq(st->ifs.ierrors, 5);
	cr_assert_eq(st->ifs.ipackets, 5);
	cr_assert_eq(st->ips[IPS_IN_DELIVERS], 0);
	cr_assert_eq(link_pending(l, LINK_A), 0, "nothing answers a malformed packet");
}

Test(ip_input, drops_ttl_zero)
{
	size_t len = good_packet(8);

	pkt[8] = 0;
	reseal();
	inject(len);
	cr_assert_eq(st->ips[IPS_IN_TTL], 1);
	cr_assert_eq(st->ips[IPS_IN_DELIVERS], 0);
	cr_assert_eq(link_pending(l, LINK_A), 0);
}

Test(ip_input, drops_what_is_not_for_us)
{
	size_t len = good_packet(8);

	put32(pkt + 16, 0x0a4d0009);
	reseal();
	inject(len);
	cr_assert_eq(st->ips[IPS_IN_ADDR_ERRORS], 1);
	cr_assert_eq(st->ips[IPS_IN_DELIVERS], 0);
	cr_assert_eq(link_pending(l, LINK_A), 0);
}

Test(ip_input, counts_bytes_and_packets)
{
	size_t len = good_packet(30);

	inject(len);
	inject(len);
	cr_assert_eq(st->ifs.ipackets, 2);
	cr_assert_eq(st->ifs.ibytes, 2 * len);
	cr_assert_eq(st->ifs.ierrors, 0);
}

/* ---- the IP ID (RFC 7739): per destination, from the secret ---- */

static uint16_t last_id;

static void keep_id(void *arg, const uint8_t *p, size_t len, unsigned gso)
{
	(void)arg;
	(void)len;
	(void)gso;
	last_id = (uint16_t)(p[4] << 8 | p[5]);
}

static struct stack *id_stack(uint64_t seed)
{
	struct stack_config cfg = { .addr = ME, .prefix = 24, .gw = HOST, .mtu = 1500,
				    .seed = seed, .tso = 1 };
	struct stack *s = stack_new(&cfg, keep_id, NULL);

	cr_assert_not_null(s);
	return s;
}

/* The ID of one UDP-sized datagram of 8 bytes from s to dst. */
static uint16_t id_to(struct stack *s, uint32_t dst, unsigned gso, size_t len)
{
	memset(s->obuf + IP_HLEN, 0, len);
	cr_assert_eq(ip_output(s, &(struct ipsend){ .dst = dst, .proto = 17, .gso = gso }, len), 0);
	return last_id;
}

Test(ip_id, steps_by_one_per_destination)
{
	struct stack *s = id_stack(1);
	uint16_t first = id_to(s, HOST, 0, 8);

	cr_assert_eq(id_to(s, HOST, 0, 8), (uint16_t)(first + 1));
	cr_assert_eq(id_to(s, HOST, 0, 8), (uint16_t)(first + 2));
	stack_free(s);
}

Test(ip_id, other_destinations_leave_no_trace)
{
	struct stack *s = id_stack(1);
	uint16_t first = id_to(s, HOST, 0, 8), other = id_to(s, 0x0a4d0009, 0, 8);

	/* a global counter would show the 100 sent elsewhere (idle scan) */
	for (int i = 0; i < 99; i++)
		id_to(s, 0x0a4d0009, 0, 8);
	cr_assert_eq(id_to(s, HOST, 0, 8), (uint16_t)(first + 1));
	cr_assert_neq(other, (uint16_t)(first + 1), "not one sequence for both");
	stack_free(s);
}

Test(ip_id, from_the_secret_and_reproducible_from_the_seed)
{
	struct stack *s1 = id_stack(1), *s2 = id_stack(2), *again = id_stack(1);
	uint16_t a1 = id_to(s1, HOST, 0, 8), a2 = id_to(s2, HOST, 0, 8);
	uint16_t b1 = id_to(s1, 0x0a4d0009, 0, 8), b2 = id_to(s2, 0x0a4d0009, 0, 8);

	cr_assert(a1 != a2 || b1 != b2, "two secrets, the same IDs");
	cr_assert_eq(id_to(again, HOST, 0, 8), a1, "one seed, one sequence (tests rely on it)");
	stack_free(s1);
	stack_free(s2);
	stack_free(again);
}

Test(ip_id, a_super_packet_takes_an_id_per_segment)
{
	struct stack *s = id_stack(1);
	uint16_t first = id_to(s, HOST, 1000, 20 + 3 * 1000);
	uint16_t next = id_to(s, HOST, 0, 8);

	/* the link gives the three segments first, first + 1, first + 2 */
	cr_assert_geq((uint16_t)(next - first), 3);
	cr_assert_leq((uint16_t)(next - first), 4);
	stack_free(s);
}
