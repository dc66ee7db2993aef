/* ICMP: echo replies, protocol unreachable, and two stacks pinging. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "icmp.h"
#include "ip.h"
#include "fixture.h"
#include "link.h"
#include "stack.h"

enum { HOST = 0x0a4d0001, ME = 0x0a4d0002, BCAST = 0x0a4d00ff };

static struct stack *st;
static uint8_t pkt[2048], reply[2048];

/* ---- one stack (end B) and a tap (end A) playing the host ---- */

static void tap_setup(void)
{
	struct stack_config cfg = { .addr = ME, .prefix = 24, .gw = HOST, .mtu = 1500, .seed = 1 };

	l = link_new(NULL, &cfg);
	cr_assert_not_null(l);
	st = link_stack(l, LINK_B);
}

TestSuite(icmp, .init = tap_setup, .fini = teardown);

/* An echo request from the tap to dst; returns the packet length. */
static size_t echo_request(uint32_t dst, uint16_t id, uint16_t seq, size_t payload)
{
	uint8_t m[1024];

	m[0] = ICMP_ECHO;
	m[1] = 0;
	put16(m + 2, 0);
	put16(m + 4, id);
	put16(m + 6, seq);
	for (size_t i = 0; i < payload; i++)
		m[8 + i] = (uint8_t)(i * 7 + 3);
	put16(m + 2, cksum(m, 8 + payload));
	return link_build_ip(pkt, HOST, dst, IP_PROTO_ICMP, m, 8 + payload);
}

/* Send len bytes of pkt from the tap, run 10 ms, take what came back. */
static size_t exchange(size_t len)
{
	cr_assert_eq(link_inject(l, LINK_A, pkt, len), 0);
	link_run(l, link_now(l) + 10 * LINK_DELAY_US);
	return link_recv(l, LINK_A, reply, sizeof reply);
}

static void assert_valid_ip(const uint8_t *p, size_t len, uint32_t src, uint32_t dst)
{
	cr_assert_geq(len, IP_HLEN);
	cr_assert_eq(p[0], 0x45);
	cr_assert_eq(get16(p + 2), len, "total length");
	cr_assert_eq(cksum(p, IP_HLEN), 0, "IP header checksum");
	cr_assert_eq(p[9], IP_PROTO_ICMP);
	cr_assert_gt(p[8], 0, "TTL");
	cr_assert_eq(get32(p + 12), src);
	cr_assert_eq(get32(p + 16), dst);
	cr_assert_eq(cksum(p + IP_HLEN, len - IP_HLEN), 0, "ICMP checksum");
}

Test(icmp, echo_reply_mirrors_the_request)
{
	size_t len = echo_request(ME, 0x1234, 7, 57), n;	/* odd: checksum padding */

	n = exchange(len);
	cr_assert_eq(n, len);
	assert_valid_ip(reply, n, ME, HOST);
	cr_assert_eq(reply[IP_HLEN], ICMP_ECHOREPLY);
	cr_assert_eq(reply[IP_HLEN + 1], 0);
	cr_assert_eq(get16(reply + IP_HLEN + 4), 0x1234, "id");
	cr_assert_eq(get16(reply + IP_HLEN + 6), 7, "seq");
	cr_assert_arr_eq(reply + IP_HLEN + 8, pkt + IP_HLEN + 8, 57, "payload");
	cr_assert_eq(link_pending(l, LINK_A), 0, "exactly one reply");
	cr_assert_eq(st->icmps[ICMPS_IN_ECHOS], 1);
	cr_assert_eq(st->icmps[ICMPS_OUT_ECHO_REPS], 1);
	cr_assert_eq(st->ifs.opackets, 1);
	cr_assert_eq(st->ifs.obytes, len);
}

Test(icmp, echo_of_a_large_payload)
{
	size_t len = echo_request(ME, 1, 65535, 1000), n;

	n = exchange(len);
	cr_assert_eq(n, len);
	assert_valid_ip(reply, n, ME, HOST);
	cr_assert_eq(get16(reply + IP_HLEN + 6), 65535);
	cr_assert_arr_eq(reply + IP_HLEN + 8, pkt + IP_HLEN + 8, 1000);
}

/* Every address of the interface answers, from itself; a removed one
 * no longer does. */
Test(icmp, echo_at_every_address)
{
	uint32_t second = 0x0a4d0902;	/* 10.77.9.2 */
	size_t n;

	cr_assert_eq(ifaddr_add(st, second, 24, 0), 0);
	n = exchange(echo_request(second, 9, 1, 16));
	cr_assert_gt(n, 0, "a reply at the second address");
	assert_valid_ip(reply, n, second, HOST);
	n = exchange(echo_request(ME, 9, 2, 16));
	assert_valid_ip(reply, n, ME, HOST);
	cr_assert_eq(ifaddr_del(st, second, 24), 0);
	cr_assert_eq(exchange(echo_request(second, 9, 3, 16)), 0, "no reply once removed");
	cr_assert_eq(st->ips[IPS_IN_ADDR_ERRORS], 1);
}

Test(icmp, bad_checksum_gets_no_reply)
{
	size_t len = echo_request(ME, 1, 1, 16);

	pkt[IP_HLEN + 8] ^= 0x40;
	cr_assert_eq(exchange(len), 0);
	cr_assert_eq(st->icmps[ICMPS_IN_ERRORS], 1);
	cr_assert_eq(st->icmps[ICMPS_OUT_MSGS], 0);
}

Test(icmp, no_reply_to_a_broadcast_echo)
{
	cr_assert_eq(exchange(echo_request(BCAST, 1, 1, 8)), 0);
	cr_assert_eq(st->icmps[ICMPS_IN_ECHOS], 1);
}

Test(icmp, unknown_protocol_is_unreachable)
{
	uint8_t data[40];
	size_t len, n;

	memset(data, 0xab, sizeof data);
	len = link_build_ip(pkt, HOST, ME, 253, data, sizeof data);
	n = exchange(len);
	cr_assert_gt(n, 0, "an ICMP error comes back");
	assert_valid_ip(reply, n, ME, HOST);
	cr_assert_eq(reply[IP_HLEN], ICMP_UNREACH);
	cr_assert_eq(reply[IP_HLEN + 1], ICMP_UNREACH_PROTOCOL);
	/* it quotes at least the header and 8 bytes of what we sent */
	cr_assert_geq(n, 2 * IP_HLEN + 8 + 8);
	cr_assert_arr_eq(reply + IP_HLEN + 8, pkt, IP_HLEN + 8);
	cr_assert_eq(st->ips[IPS_IN_UNKNOWN_PROTO], 1);
	cr_assert_eq(st->icmps[ICMPS_OUT_DEST_UNREACHS], 1);
}

Test(icmp, no_unreachable_for_a_broadcast)
{
	uint8_t data[8] = { 0 };

	cr_assert_eq(exchange(link_build_ip(pkt, HOST, BCAST, 253, data, sizeof data)), 0);
	cr_assert_eq(st->icmps[ICMPS_OUT_DEST_UNREACHS], 0);
}

/* ---- two stacks back to back ---- */

enum { PING_A = 0x0a4d0001, PING_B = 0x0a4d0002 };

static void pair_setup(void)
{
	struct stack_config a = { .addr = PING_A, .prefix = 24, .mtu = 1500, .seed = 1 };
	struct stack_config b = { .addr = PING_B, .prefix = 24, .mtu = 1500, .seed = 2 };

	l = link_new(&a, &b);
	cr_assert_not_null(l);
}

TestSuite(ping, .init = pair_setup, .fini = teardown);

/* The sequence numbers of the echo replies seen on the wire, B to A. */
static uint16_t seen[256];
static int nseen;

static int watch_replies(void *arg, int dir, const uint8_t *p, size_t len)
{
	(void)arg;
	if (dir == LINK_B_TO_A && len >= IP_HLEN + 8 && p[9] == IP_PROTO_ICMP &&
	    p[IP_HLEN] == ICMP_ECHOREPLY && nseen < 256)
		seen[nseen++] = get16(p + IP_HLEN + 6);
	return LINK_PASS;
}

/* n pings from end `from` to addr, one every 10 ms; returns replies. */
static uint64_t ping(int from, uint32_t addr, int n)
{
	struct stack *s = link_stack(l, from);
	const char payload[] = "slashnet ping";

	for (int i = 0; i < n; i++) {
		cr_assert_eq(icmp_send_echo(s, addr, 42, (uint16_t)i, payload, sizeof payload, 0, 0), 0);
		link_run(l, link_now(l) + 10 * LINK_DELAY_US);
	}
	return s->icmps[ICMPS_IN_ECHO_REPS];
}

Test(ping, both_ways)
{
	nseen = 0;
	link_set_filter(l, watch_replies, NULL);
	cr_assert_eq(ping(LINK_A, PING_B, 3), 3);
	cr_assert_eq(nseen, 3);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(seen[i], i);
	cr_assert_eq(ping(LINK_B, PING_A, 5), 5);
	cr_assert_eq(link_stack(l, LINK_B)->icmps[ICMPS_IN_ECHOS], 3);
	cr_assert_eq(link_stack(l, LINK_A)->icmps[ICMPS_IN_ECHOS], 5);
	cr_assert_eq(link_counters(l, LINK_A_TO_B)->delivered, 3 + 5);
}

Test(ping, half_lost_and_counted)
{
	const struct link_counters *ab = link_counters(l, LINK_A_TO_B);
	const struct link_counters *ba = link_counters(l, LINK_B_TO_A);
	const struct link_impair half = { .drop = 0.5 };
	uint64_t replies, lost;

	link_set_seed(l, 2024);
	link_set_impair(l, LINK_A_TO_B, &half);
	link_set_impair(l, LINK_B_TO_A, &half);
	replies = ping(LINK_A, PING_B, 40);
	lost = 40 - replies;

	cr_assert(replies > 0 && replies < 40, "%llu of 40 replies", (unsigned long long)replies);
	/* a lost ping lost its request or its reply, never both */
	cr_assert_eq(ab->dropped + ba->dropped, lost);
	cr_assert_eq(link_stack(l, LINK_B)->icmps[ICMPS_IN_ECHOS], ab->delivered);
	cr_assert_eq(ba->sent, ab->delivered, "B answers every request it gets");
	cr_assert_eq(replies, ba->delivered);
}

static int drop_seq_3(void *arg, int dir, const uint8_t *p, size_t len)
{
	(void)arg;
	if (dir == LINK_A_TO_B && len >= IP_HLEN + 8 && p[IP_HLEN] == ICMP_ECHO &&
	    get16(p + IP_HLEN + 6) == 3)
		return LINK_DROP;
	return LINK_PASS;
}

Test(ping, scripted_loss_of_one_request)
{
	link_set_filter(l, drop_seq_3, NULL);
	cr_assert_eq(ping(LINK_A, PING_B, 6), 5);
	cr_assert_eq(link_counters(l, LINK_A_TO_B)->dropped, 1);
}

Test(ping, no_route_off_link)
{
	struct stack *a = link_stack(l, LINK_A);

	cr_assert_eq(icmp_send_echo(a, 0x0a4e0001, 1, 1, "x", 1, 0, 0), -ENETUNREACH);
	cr_assert_eq(a->ips[IPS_OUT_NO_ROUTES], 1);
	cr_assert_eq(link_counters(l, LINK_A_TO_B)->sent, 0);
}
