/* IPv6 and ICMPv6: header validation, the extension headers walked,
 * parameter problems, echo, rate-limited errors, the wire round trip. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "fixture.h"
#include "icmp6.h"
#include "ip6.h"
#include "reasm.h"
#include "link.h"
#include "stack.h"

static struct stack *st;
static struct in6_addr me, host, other;
static uint8_t pkt[2048], reply[2048];

static void tap_setup(void)
{
	struct stack_config cfg = { .addr = A_ADDR, .prefix = 24, .mtu = 1500, .seed = 1,
				    .prefix6 = 64 };

	inet_pton(AF_INET6, "fd77::2", &me);
	inet_pton(AF_INET6, "fd77::1", &host);
	inet_pton(AF_INET6, "fd77::9", &other);
	cfg.addr6 = me;
	cfg.gw6 = host;
	l = link_new(NULL, &cfg);
	cr_assert_not_null(l);
	st = link_stack(l, LINK_B);
}

TestSuite(ip6, .init = tap_setup, .fini = teardown);

/* An echo request of payload bytes at m (ICMPv6 checksum for host→me). */
static size_t echo_at(uint8_t *m, uint16_t id, uint16_t seq, size_t payload)
{
	for (size_t i = 0; i < payload; i++)
		m[ICMP6_HLEN + i] = (uint8_t)(i * 7 + 3);
	icmp6_emit(m, ICMP6_HLEN + payload,
		   &(struct icmp6hdr){ ICMP6_ECHO_REQUEST, 0, (uint32_t)id << 16 | seq }, &host,
		   &me);
	return ICMP6_HLEN + payload;
}

/* Send len bytes of pkt from the tap, run 10 ms, take what came back. */
static size_t exchange(size_t len)
{
	cr_assert_eq(link_inject(l, LINK_A, pkt, len), 0);
	link_run(l, link_now(l) + 10 * LINK_DELAY_US);
	return link_recv(l, LINK_A, reply, sizeof reply);
}

/* The reply is a valid IPv6 packet from me to host carrying ICMPv6. */
static struct icmp6hdr icmp6_reply(size_t n)
{
	struct ip6hdr h;
	struct icmp6hdr m;

	cr_assert_geq(n, IP6_HLEN + ICMP6_HLEN);
	cr_assert_eq(ip6_parse_hdr(reply, n, &h), IP6V_OK);
	cr_assert_eq(IP6_HLEN + h.plen, n, "payload length");
	cr_assert_eq(h.nxt, IP6_NH_ICMP);
	cr_assert(in6_eq(&h.src, &me) && in6_eq(&h.dst, &host));
	cr_assert_eq(icmp6_parse(reply + IP6_HLEN, h.plen, &h.src, &h.dst, &m), 0, "checksum");
	return m;
}

Test(ip6, echo_reply_mirrors_the_request)
{
	size_t n = link_build_ip6(pkt, &host, &me, IP6_NH_ICMP, NULL, 0);
	struct icmp6hdr m;

	n += echo_at(pkt + IP6_HLEN, 0x1234, 7, 57);
	put16(pkt + 4, (uint16_t)(n - IP6_HLEN));
	n = exchange(n);
	m = icmp6_reply(n);
	cr_assert_eq(m.type, ICMP6_ECHO_REPLY);
	cr_assert_eq(m.word, 0x1234u << 16 | 7);
	cr_assert_arr_eq(reply + IP6_HLEN + ICMP6_HLEN, pkt + IP6_HLEN + ICMP6_HLEN, 57);
	cr_assert_eq(st->icmp6s[ICMP6S_IN_ECHOS], 1);
	cr_assert_eq(st->icmp6s[ICMP6S_OUT_ECHO_REPLIES], 1);
	cr_assert_eq(link_pending(l, LINK_A), 0, "exactly one reply");
}

/* An echo request to me, then nothing answered and counter c grew. */
static void dropped_as(size_t len, int counter)
{
	uint64_t before = st->ip6s[counter];

	cr_assert_eq(exchange(len), 0, "nothing answers a malformed packet");
	cr_assert_eq(st->ip6s[counter], before + 1);
	cr_assert_eq(st->icmp6s[ICMP6S_IN_ECHOS], 0);
}

static size_t good_echo(void)
{
	size_t n = echo_at(pkt + IP6_HLEN, 1, 1, 16);

	return link_build_ip6(pkt, &host, &me, IP6_NH_ICMP, pkt + IP6_HLEN, n);
}

Test(ip6, shorter_than_the_header_is_dropped)
{
	good_echo();
	dropped_as(IP6_HLEN - 1, IP6S_IN_TRUNCATED);
}

Test(ip6, payload_length_beyond_what_came_is_dropped)
{
	size_t n = good_echo();

	dropped_as(n - 1, IP6S_IN_TRUNCATED);
}

Test(ip6, zero_payload_length_is_dropped)
{
	size_t n = good_echo();

	put16(pkt + 4, 0);
	dropped_as(n, IP6S_IN_TRUNCATED);
}

Test(ip6, hop_limit_zero_is_dropped)
{
	size_t n = good_echo();

	pkt[7] = 0;
	dropped_as(n, IP6S_IN_HDR_ERRORS);
}

Test(ip6, not_our_address_is_dropped)
{
	size_t n = good_echo();

	memcpy(pkt + 24, &other, 16);
	dropped_as(n, IP6S_IN_ADDR_ERRORS);
}

Test(ip6, version_is_checked_by_the_parser)
{
	struct ip6hdr h;

	good_echo();
	pkt[0] = 0x70;
	cr_assert_eq(ip6_parse_hdr(pkt, sizeof pkt, &h), IP6V_VERSION);
}

/* An extension header of kind nxt_here at p, 8 bytes, followed by nxt. */
static size_t ext8(uint8_t *p, uint8_t nxt)
{
	memset(p, 0, 8);
	p[0] = nxt;
	p[2] = 1;	/* PadN of 4 bytes, for options; routing type 1, segments left 0 */
	p[3] = 4;
	return 8;
}

/* Hop-by-hop, destination options, routing (nothing left), an atomic
 * fragment and destination options again: walked to the echo. */
Test(ip6, every_extension_header_is_walked)
{
	uint8_t body[256];
	size_t n = 0;

	n += ext8(body + n, IP6_NH_DSTOPTS);
	n += ext8(body + n, IP6_NH_ROUTING);
	n += ext8(body + n, IP6_NH_FRAGMENT);
	body[16 + 3] = 0;	/* the routing header: segments left 0 */
	ip6_frag_emit(body + n, &(struct ip6frag){ .nxt = IP6_NH_DSTOPTS, .id = 9 });
	n += IP6_FRAG_HLEN;
	n += ext8(body + n, IP6_NH_ICMP);
	n += echo_at(body + n, 5, 6, 20);
	n = link_build_ip6(pkt, &host, &me, IP6_NH_HOPOPTS, body, n);
	n = exchange(n);
	cr_assert_eq(icmp6_reply(n).type, ICMP6_ECHO_REPLY);
	cr_assert_eq(icmp6_reply(n).word, 5u << 16 | 6);
}

/* The parameter problem that answered pkt: code and pointer. */
static void assert_param_problem(size_t n, int code, uint32_t ptr, size_t sent)
{
	struct icmp6hdr m = icmp6_reply(n);

	cr_assert_eq(m.type, ICMP6_PARAM_PROB);
	cr_assert_eq(m.code, code);
	cr_assert_eq(m.word, ptr, "pointer %u, expected %u", m.word, ptr);
	cr_assert_eq(n, IP6_HLEN + ICMP6_HLEN + sent, "the whole packet quoted");
	cr_assert_arr_eq(reply + IP6_HLEN + ICMP6_HLEN, pkt, sent);
	cr_assert_eq(st->icmp6s[ICMP6S_OUT_PARM_PROBLEMS], 1);
}

Test(ip6, unknown_next_header_is_a_parameter_problem)
{
	uint8_t body[64] = { 0 };
	size_t n = link_build_ip6(pkt, &host, &me, 253, body, sizeof body);

	assert_param_problem(exchange(n), ICMP6_PARAMPROB_NEXTHEADER, 6, n);
	cr_assert_eq(st->ip6s[IP6S_IN_UNKNOWN_PROTO], 1);
}

Test(ip6, unknown_next_header_after_an_extension_points_at_it)
{
	uint8_t body[64] = { 0 };
	size_t n;

	ext8(body, 253);
	n = link_build_ip6(pkt, &host, &me, IP6_NH_DSTOPTS, body, sizeof body);
	assert_param_problem(exchange(n), ICMP6_PARAMPROB_NEXTHEADER, IP6_HLEN, n);
}

Test(ip6, hop_by_hop_not_first_is_a_parameter_problem)
{
	uint8_t body[64] = { 0 };
	size_t n;

	ext8(body, IP6_NH_HOPOPTS);
	ext8(body + 8, IP6_NH_NONE);
	n = link_build_ip6(pkt, &host, &me, IP6_NH_DSTOPTS, body, sizeof body);
	assert_param_problem(exchange(n), ICMP6_PARAMPROB_NEXTHEADER, IP6_HLEN, n);
	cr_assert_eq(st->ip6s[IP6S_IN_HDR_ERRORS], 1);
}

Test(ip6, unknown_option_to_answer_is_a_parameter_problem)
{
	uint8_t body[64] = { 0 };
	size_t n;

	ext8(body, IP6_NH_NONE);
	body[2] = 0x80 | 0x1e;	/* action 10: discard and answer */
	n = link_build_ip6(pkt, &host, &me, IP6_NH_DSTOPTS, body, sizeof body);
	assert_param_problem(exchange(n), ICMP6_PARAMPROB_OPTION, IP6_HLEN + 2, n);
}

Test(ip6, unknown_option_to_drop_silently_is_dropped)
{
	uint8_t body[64] = { 0 };
	size_t n;

	ext8(body, IP6_NH_NONE);
	body[2] = 0x40 | 0x1e;	/* action 01: discard quietly */
	n = link_build_ip6(pkt, &host, &me, IP6_NH_DSTOPTS, body, sizeof body);
	dropped_as(n, IP6S_IN_HDR_ERRORS);
}

Test(ip6, routing_header_with_segments_left_is_a_parameter_problem)
{
	uint8_t body[64] = { 0 };
	size_t n;

	ext8(body, IP6_NH_NONE);
	body[3] = 1;	/* segments left: we would have to forward it */
	n = link_build_ip6(pkt, &host, &me, IP6_NH_ROUTING, body, sizeof body);
	assert_param_problem(exchange(n), ICMP6_PARAMPROB_HEADER, IP6_HLEN + 2, n);
}

Test(ip6, extension_header_past_the_end_is_a_parameter_problem)
{
	uint8_t body[16] = { 0 };
	size_t n;

	ext8(body, IP6_NH_NONE);
	body[1] = 4;	/* 40 bytes, in a 16-byte payload */
	n = link_build_ip6(pkt, &host, &me, IP6_NH_DSTOPTS, body, sizeof body);
	assert_param_problem(exchange(n), ICMP6_PARAMPROB_HEADER, IP6_HLEN + 1, n);
}

Test(ip6, no_error_about_an_icmp6_error)
{
	uint8_t body[64] = { ICMP6_DST_UNREACH };
	size_t n;

	icmp6_emit(body, sizeof body, &(struct icmp6hdr){ 200, 0, 0 }, &host, &me);
	n = link_build_ip6(pkt, &host, &me, IP6_NH_ICMP, body, sizeof body);
	cr_assert_eq(exchange(n), 0, "an unknown informational type is ignored");
	pkt[6] = 253;	/* unknown next header: would be a parameter problem */
	body[0] = ICMP6_DST_UNREACH;
	cr_assert_eq(link_inject(l, LINK_A, pkt, n), 0);
	link_run(l, link_now(l) + 10 * LINK_DELAY_US);
	cr_assert_eq(link_pending(l, LINK_A), 1, "an ordinary packet is answered");
}

Test(ip6, errors_are_rate_limited)
{
	uint8_t body[16] = { 0 };
	size_t n = link_build_ip6(pkt, &host, &me, 253, body, sizeof body);
	int answered = 0;

	for (int i = 0; i < 3 * ICMP6_BURST; i++)
		cr_assert_eq(link_inject(l, LINK_A, pkt, n), 0);
	link_run(l, link_now(l) + 5 * LINK_DELAY_US);
	while (link_recv(l, LINK_A, reply, sizeof reply) > 0)
		answered++;
	cr_assert_eq(answered, ICMP6_BURST);
	cr_assert_eq(st->icmp6s[ICMP6S_OUT_RATE_LIMITED], 2 * ICMP6_BURST);
	/* a second later the bucket is full again */
	link_run(l, link_now(l) + 1000000);
	cr_assert_eq(exchange(n) > 0, 1);
}

Test(ip6, multicast_is_ignored_without_counting_an_error)
{
	size_t n = good_echo();
	struct in6_addr all_routers;

	inet_pton(AF_INET6, "ff02::2", &all_routers);
	memcpy(pkt + 24, &all_routers, 16);
	cr_assert_eq(exchange(n), 0);
	cr_assert_eq(st->ifs.ierrors, 0);
	cr_assert_eq(st->ip6s[IP6S_IN_ADDR_ERRORS], 0);
}

Test(ip6, v6_routes_longest_prefix_wins)
{
	struct in6_addr far, gw2, net;
	const struct route6 *r;

	inet_pton(AF_INET6, "2001:db8::1", &far);
	cr_assert_not_null(r = route6_lookup(st, &far));
	cr_assert_eq(r->prefix, 0, "the default route");
	cr_assert(in6_eq(&r->gw, &host));
	inet_pton(AF_INET6, "2001:db8::", &net);
	inet_pton(AF_INET6, "fd77::5", &gw2);
	cr_assert_eq(route6_add(st, &net, 32, &gw2), 0);
	cr_assert_eq(route6_lookup(st, &far)->prefix, 32);
	cr_assert_eq(route6_lookup(st, &other)->prefix, 64, "connected");
	cr_assert_eq(route6_del(st, &net, 32), 0);
	cr_assert_eq(route6_lookup(st, &far)->prefix, 0);
	cr_assert_eq(route6_del(st, &(struct in6_addr){ 0 }, 0), 0);
	cr_assert_null(route6_lookup(st, &far));
	cr_assert_eq(ip6_route_ok(st, &far), -ENETUNREACH);
}

Test(ip6, wire_round_trips_to_the_byte)
{
	struct ip6hdr h = { .tclass = 0xab, .flow = 0xcdef1, .plen = 8, .nxt = 17, .hlim = 3,
			    .src = host, .dst = me }, g;
	struct ip6frag f = { .nxt = 6, .off = 1448, .more = 1, .id = 0xdeadbeef }, f2;
	uint8_t b[48] = { 0 }, b2[48] = { 0 };

	ip6_emit(b, &h);
	cr_assert_eq(ip6_parse_hdr(b, sizeof b, &g), IP6V_OK);
	ip6_emit(b2, &g);
	cr_assert_arr_eq(b, b2, IP6_HLEN);
	cr_assert_eq(b[0], 0x6a);
	cr_assert_eq(g.flow, 0xcdef1);
	cr_assert_eq(g.tclass, 0xab);
	ip6_frag_emit(b, &f);
	cr_assert_eq(ip6_frag_parse(b, 8, &f2), 0);
	cr_assert(f2.nxt == 6 && f2.off == 1448 && f2.more == 1 && f2.id == 0xdeadbeef);
	ip6_frag_emit(b2, &f2);
	cr_assert_arr_eq(b, b2, 8);
	cr_assert_eq(ip6_frag_parse(b, 7, &f2), -1, "short");
	cr_assert_eq(ip6_ext_parse(b, 7, &(struct ip6ext){ 0 }), -1, "short");
}

Test(ip6, icmp6_checksum_covers_the_pseudo_header)
{
	uint8_t m[16] = { 0 };
	struct icmp6hdr h;

	icmp6_emit(m, sizeof m, &(struct icmp6hdr){ ICMP6_ECHO_REQUEST, 0, 42 }, &host, &me);
	cr_assert_eq(icmp6_parse(m, sizeof m, &host, &me, &h), 0);
	cr_assert_eq(h.word, 42);
	cr_assert_eq(icmp6_parse(m, sizeof m, &host, &other, &h), -1, "other destination");
	cr_assert_eq(icmp6_parse(m, 7, &host, &me, &h), -1, "short");
}

/* ---- fragments ---- */

static uint8_t whole[4096];

/* An echo request of n payload bytes in whole; returns its ICMPv6 length. */
static size_t big_echo(size_t payload)
{
	return echo_at(whole, 0x77, 1, payload);
}

/* Send bytes [off, off + n) of the ICMPv6 message in whole as a fragment. */
static void send_frag(size_t off, size_t n, int more)
{
	uint8_t f[IP6_FRAG_HLEN + 2048];
	size_t len;

	ip6_frag_emit(f, &(struct ip6frag){ .nxt = IP6_NH_ICMP, .off = (uint16_t)off,
					   .more = more, .id = 0xabcd });
	memcpy(f + IP6_FRAG_HLEN, whole + off, n);
	len = link_build_ip6(pkt, &host, &me, IP6_NH_FRAGMENT, f, IP6_FRAG_HLEN + n);
	cr_assert_eq(link_inject(l, LINK_A, pkt, len), 0);
}

/* The echo reply came back in fragments no larger than the MTU; check
 * they carry the request's payload, in order, and say where they go. */
static void assert_fragmented_reply(size_t icmplen)
{
	static uint8_t got[4096];
	size_t total = 0, n;
	int frags = 0, last = 0;

	link_run(l, link_now(l) + 10 * LINK_DELAY_US);
	while ((n = link_recv(l, LINK_A, reply, sizeof reply)) > 0) {
		struct ip6hdr h;
		struct ip6frag f;

		cr_assert_leq(n, 1500, "fragment of %zu bytes", n);
		cr_assert_eq(ip6_parse_hdr(reply, n, &h), IP6V_OK);
		cr_assert_eq(h.nxt, IP6_NH_FRAGMENT);
		cr_assert_eq(ip6_frag_parse(reply + IP6_HLEN, n - IP6_HLEN, &f), 0);
		cr_assert_eq(f.nxt, IP6_NH_ICMP);
		cr_assert_eq(f.off, total, "in order");
		memcpy(got + total, reply + IP6_HLEN + IP6_FRAG_HLEN, n - IP6_HLEN - IP6_FRAG_HLEN);
		total += n - IP6_HLEN - IP6_FRAG_HLEN;
		last = !f.more;
		frags++;
	}
	cr_assert_gt(frags, 1);
	cr_assert(last, "the last fragment says so");
	cr_assert_eq(total, icmplen);
	cr_assert_eq(got[0], ICMP6_ECHO_REPLY);
	cr_assert_arr_eq(got + ICMP6_HLEN, whole + ICMP6_HLEN, icmplen - ICMP6_HLEN);
	cr_assert_eq(st->ip6s[IP6S_REASM_OKS], 1);
	cr_assert_eq(reasm_mem(st), 0, "nothing held once whole");
}

Test(ip6, fragments_in_order_are_reassembled)
{
	size_t n = big_echo(3000);

	send_frag(0, 1232, 1);
	send_frag(1232, 1232, 1);
	send_frag(2464, n - 2464, 0);
	assert_fragmented_reply(n);
}

Test(ip6, fragments_out_of_order_are_reassembled)
{
	size_t n = big_echo(3000);

	send_frag(2464, n - 2464, 0);
	send_frag(0, 1232, 1);
	send_frag(1232, 1232, 1);
	assert_fragmented_reply(n);
}

Test(ip6, a_duplicate_fragment_changes_nothing)
{
	size_t n = big_echo(3000);

	send_frag(0, 1232, 1);
	send_frag(0, 1232, 1);
	send_frag(1232, 1232, 1);
	send_frag(2464, n - 2464, 0);
	assert_fragmented_reply(n);
}

Test(ip6, overlapping_fragments_drop_the_whole_datagram)
{
	size_t n = big_echo(3000);

	send_frag(0, 1232, 1);
	send_frag(1224, 1232, 1);	/* overlaps the first by 8 bytes */
	send_frag(1232, 1232, 1);
	send_frag(2464, n - 2464, 0);
	link_run(l, link_now(l) + 10 * LINK_DELAY_US);
	cr_assert_eq(link_pending(l, LINK_A), 0, "no reply");
	cr_assert_eq(st->ip6s[IP6S_REASM_OKS], 0);
	cr_assert_geq(st->ip6s[IP6S_REASM_FAILS], 1);
	cr_assert_eq(st->icmp6s[ICMP6S_IN_ECHOS], 0);
}

Test(ip6, incomplete_datagram_times_out_and_memory_is_released)
{
	struct icmp6hdr m;
	size_t n;

	big_echo(3000);
	send_frag(0, 1232, 1);
	link_run(l, link_now(l) + 10 * LINK_DELAY_US);
	cr_assert_gt(reasm_mem(st), 0, "the first fragment is held");
	link_run(l, link_now(l) + REASM6_TIMEOUT_US + 1000);
	cr_assert_eq(reasm_mem(st), 0);
	cr_assert_eq(st->ip6s[IP6S_REASM_TIMEOUT], 1);
	n = link_recv(l, LINK_A, reply, sizeof reply);
	m = icmp6_reply(n);
	cr_assert_eq(m.type, ICMP6_TIME_EXCEEDED);
	cr_assert_eq(m.code, ICMP6_TIME_EXCEED_REASM);
}

Test(ip6, a_nested_fragment_is_dropped)
{
	uint8_t f[64];
	size_t n;

	/* an outer datagram in two fragments whose payload is itself a
	 * fragment: once whole, its fragment header is refused */
	ip6_frag_emit(whole, &(struct ip6frag){ .nxt = IP6_NH_ICMP, .more = 1, .id = 5 });
	memset(whole + IP6_FRAG_HLEN, 0, 16);
	for (size_t off = 0; off < 24; off += 16) {
		size_t len = off == 0 ? 16 : 8;
		ip6_frag_emit(f, &(struct ip6frag){ .nxt = IP6_NH_FRAGMENT, .off = (uint16_t)off,
						   .more = off == 0, .id = 0xabcd });
		memcpy(f + IP6_FRAG_HLEN, whole + off, len);
		n = link_build_ip6(pkt, &host, &me, IP6_NH_FRAGMENT, f, IP6_FRAG_HLEN + len);
		cr_assert_eq(link_inject(l, LINK_A, pkt, n), 0);
	}
	link_run(l, link_now(l) + 10 * LINK_DELAY_US);
	cr_assert_eq(st->ip6s[IP6S_REASM_OKS], 1, "the outer datagram");
	cr_assert_eq(st->ip6s[IP6S_IN_HDR_ERRORS], 1, "the inner fragment");
	cr_assert_eq(reasm_mem(st), 0);
}
