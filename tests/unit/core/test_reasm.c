/*
 * IPv4 reassembly: fragments from a tap to a UDP socket of the stack, in
 * order, out of order, duplicated, overlapping, contradictory, malformed,
 * incomplete (the timeout frees them), and more than the limits allow.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "icmp.h"
#include "ip.h"
#include "fixture.h"
#include "link.h"
#include "reasm.h"
#include "sock.h"
#include "stack.h"

enum { TAP = 0x0a4d0001, ME = 0x0a4d0002, PORT = 7, DATA = 2993, TOTAL = 8 + DATA };

static struct stack *st;
static int fd;
static uint8_t dg[TOTAL];	/* the UDP datagram being fragmented (odd length) */

static void setup(void)
{
	struct stack_config cfg = { .addr = ME, .prefix = 24, .mtu = 1500, .seed = 3 };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(PORT) };

	l = link_new(&cfg, NULL);
	cr_assert_not_null(l);
	st = link_stack(l, LINK_A);
	fd = sock_socket(st, AF_INET, SOCK_DGRAM, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(sock_bind(st, fd, (struct sockaddr *)&sin, sizeof sin), 0);
}

TestSuite(reasm, .init = setup, .fini = teardown);

/* The datagram: UDP to PORT, DATA bytes of pattern, checksum if sum. */
static void make_dgram(uint16_t dport, int sum)
{
	put16(dg, 1000);
	put16(dg + 2, dport);
	put16(dg + 4, TOTAL);
	put16(dg + 6, 0);
	for (size_t i = 8; i < TOTAL; i++)
		dg[i] = (uint8_t)(i * 13 + 5);
	if (sum)
		put16(dg + 6, cksum_fold(cksum_add(cksum_pseudo(TAP, ME, IP_PROTO_UDP, TOTAL),
						   dg, TOTAL)));
}

/* Put the fragment [off, off + len) of payload p on the wire. */
static void send_piece(uint16_t id, const uint8_t *p, size_t off, size_t len, int more)
{
	static uint8_t pkt[IP_MAXPACKET];
	size_t n = link_build_ip(pkt, TAP, ME, IP_PROTO_UDP, p + off, len);

	put16(pkt + 4, id);
	put16(pkt + 6, (uint16_t)(off / 8) | (more ? IP_MF : 0));
	put16(pkt + 10, 0);
	put16(pkt + 10, cksum(pkt, IP_HLEN));
	cr_assert_eq(link_inject(l, LINK_B, pkt, n), 0);
}

static void frag(uint16_t id, size_t off, size_t len, int more)
{
	send_piece(id, dg, off, len, more);
}

/* The next datagram on the socket must be dg's payload. */
static void expect_dgram(void)
{
	static uint8_t got[TOTAL + 100];

	cr_assert_eq(sock_recvfrom(st, fd, got, sizeof got, 0, NULL, NULL), DATA);
	cr_assert_eq(memcmp(got, dg + 8, DATA), 0, "payload differs");
}

static void expect_nothing(void)
{
	uint8_t got[16];

	cr_assert_eq(sock_recvfrom(st, fd, got, sizeof got, 0, NULL, NULL), -EAGAIN);
}

/* The three fragments of dg for an MTU of 1500. */
static void frag0(uint16_t id) { frag(id, 0, 1480, 1); }
static void frag1(uint16_t id) { frag(id, 1480, 1480, 1); }
static void frag2(uint16_t id) { frag(id, 2960, TOTAL - 2960, 0); }

Test(reasm, in_order)
{
	make_dgram(PORT, 1);
	frag0(1);
	frag1(1);
	frag2(1);
	run_ms(10);
	expect_dgram();
	expect_nothing();
	cr_assert_eq(st->ips[IPS_REASM_REQDS], 3);
	cr_assert_eq(st->ips[IPS_REASM_OKS], 1);
	cr_assert_eq(st->ips[IPS_REASM_FAILS], 0);
	cr_assert_eq(reasm_mem(st), 0);
}

Test(reasm, out_of_order)
{
	make_dgram(PORT, 1);
	frag2(2);
	frag0(2);
	frag1(2);
	run_ms(10);
	expect_dgram();
	cr_assert_eq(st->ips[IPS_REASM_OKS], 1);
	cr_assert_eq(reasm_mem(st), 0);
}

Test(reasm, duplicates_change_nothing)
{
	make_dgram(PORT, 1);
	frag0(3);
	frag0(3);
	frag2(3);
	frag2(3);
	frag1(3);
	run_ms(10);
	expect_dgram();
	expect_nothing();
	cr_assert_eq(st->ips[IPS_REASM_OKS], 1);
	cr_assert_eq(st->ips[IPS_REASM_FAILS], 0);

	/* a late copy starts a datagram of its own, which never completes */
	frag1(3);
	run_ms(10);
	expect_nothing();
	cr_assert_gt(reasm_mem(st), 0);
	run_ms(31000);
	cr_assert_eq(reasm_mem(st), 0);
	cr_assert_eq(st->ips[IPS_REASM_FAILS], 1);
}

Test(reasm, two_datagrams_interleaved)
{
	make_dgram(PORT, 1);
	frag0(10);
	frag0(11);
	frag2(11);
	frag1(10);
	frag2(10);
	frag1(11);
	run_ms(10);
	expect_dgram();
	expect_dgram();
	cr_assert_eq(st->ips[IPS_REASM_OKS], 2);
	cr_assert_eq(reasm_mem(st), 0);
}

Test(reasm, overlaps_first_wins)
{
	static uint8_t other[TOTAL];

	make_dgram(PORT, 1);
	memcpy(other, dg, TOTAL);
	memset(other + 1200, 0xee, 400);	/* what the overlap would bring */
	frag(4, 0, 1600, 1);
	send_piece(4, other, 1200, 1200, 1);	/* [1200, 2400) over [1200, 1600) */
	send_piece(4, other, 1000, 800, 1);	/* entirely inside what came */
	frag(4, 2400, TOTAL - 2400, 0);
	run_ms(10);
	expect_dgram();	/* checksum and bytes of the first arrivals */
	cr_assert_eq(st->ips[IPS_REASM_OKS], 1);
	cr_assert_eq(reasm_mem(st), 0);
}

Test(reasm, overlap_at_the_end_of_the_last_fragment)
{
	make_dgram(PORT, 1);
	frag(5, 2400, TOTAL - 2400, 0);		/* the end first: 3001 */
	frag(5, 2000, 1000, 1);			/* [2000, 3000): inside, agrees */
	frag(5, 0, 2400, 1);
	run_ms(10);
	expect_dgram();
	cr_assert_eq(st->ips[IPS_REASM_FAILS], 0);
}

Test(reasm, fragment_past_the_known_end_drops_the_datagram)
{
	static uint8_t longer[TOTAL + 100];

	make_dgram(PORT, 1);
	memcpy(longer, dg, TOTAL);
	frag2(6);				/* the datagram ends at 3001 */
	send_piece(6, longer, 2960, 80, 1);	/* says there is more past 3001 */
	frag0(6);
	frag1(6);
	run_ms(10);
	expect_nothing();
	cr_assert_eq(st->ips[IPS_REASM_OKS], 0);
	cr_assert_geq(st->ips[IPS_REASM_FAILS], 1);
	run_ms(31000);
	cr_assert_eq(reasm_mem(st), 0);
}

Test(reasm, last_fragment_shorter_than_what_came_drops_the_datagram)
{
	make_dgram(PORT, 1);
	frag1(7);			/* up to 2960 */
	frag(7, 1480, 800, 0);		/* "ends at 2280" */
	run_ms(10);
	cr_assert_eq(st->ips[IPS_REASM_FAILS], 1);
	cr_assert_eq(reasm_mem(st), 0);
	expect_nothing();
}

Test(reasm, two_different_ends_drop_the_datagram)
{
	make_dgram(PORT, 1);
	frag2(8);
	frag(8, 2960, 16, 0);
	run_ms(10);
	cr_assert_eq(st->ips[IPS_REASM_FAILS], 1);
	cr_assert_eq(reasm_mem(st), 0);
}

Test(reasm, malformed_fragments_are_dropped)
{
	static uint8_t big[2 * IP_MAXPACKET];

	make_dgram(PORT, 1);
	frag(9, 0, 1001, 1);			/* not a multiple of 8 before the end */
	send_piece(9, big, 8189 * 8, 100, 0);	/* past 65535 bytes: ping of death */
	send_piece(9, big, 8, 0, 1);		/* empty */
	run_ms(10);
	cr_assert_eq(st->ips[IPS_REASM_REQDS], 3);
	cr_assert_eq(st->ips[IPS_REASM_FAILS], 3);
	cr_assert_eq(reasm_mem(st), 0);
	expect_nothing();
}

Test(reasm, largest_datagram_reassembles)
{
	static uint8_t big[IP_MAXPACKET];
	static uint8_t got[IP_MAXPACKET];
	size_t total = IP_MAXPACKET - IP_HLEN, off;

	put16(big, 1000);
	put16(big + 2, PORT);
	put16(big + 4, (uint16_t)total);
	put16(big + 6, 0);
	for (size_t i = 8; i < total; i++)
		big[i] = (uint8_t)(i * 7);
	for (off = 0; off + 1480 < total; off += 1480)
		send_piece(12, big, off, 1480, 1);
	send_piece(12, big, off, total - off, 0);
	run_ms(100);
	cr_assert_eq(sock_recvfrom(st, fd, got, sizeof got, 0, NULL, NULL), total - 8);
	cr_assert_eq(memcmp(got, big + 8, total - 8), 0);
}

Test(reasm, incomplete_times_out_and_memory_is_released)
{
	uint64_t arrived;

	make_dgram(PORT, 1);
	frag0(13);
	frag1(13);
	arrived = link_now(l) + LINK_DELAY_US;
	run_ms(10);
	cr_assert_gt(reasm_mem(st), 0);
	link_run(l, arrived + REASM_TIMEOUT_US - 1000);
	cr_assert_gt(reasm_mem(st), 0, "kept until the timeout");
	cr_assert_eq(st->ips[IPS_REASM_FAILS], 0);
	link_run(l, arrived + REASM_TIMEOUT_US + 1000);
	cr_assert_eq(reasm_mem(st), 0);
	cr_assert_eq(st->ips[IPS_REASM_FAILS], 1);
	cr_assert_eq(stack_deadline(st), UINT64_MAX, "no timer left");

	/* the last fragment alone starts anew and cannot complete */
	frag2(13);
	run_ms(10);
	expect_nothing();
	run_ms(31000);
	cr_assert_eq(st->ips[IPS_REASM_FAILS], 2);
	cr_assert_eq(reasm_mem(st), 0);
}

Test(reasm, datagram_count_is_bounded)
{
	make_dgram(PORT, 1);
	for (int id = 0; id < 100; id++)
		frag(1000 + id, 0, 1480, 1);
	run_ms(10);
	cr_assert_eq(st->ips[IPS_REASM_FAILS], 100 - REASM_MAX_DGRAMS, "the oldest evicted");
	cr_assert_leq(reasm_mem(st), REASM_MAX_BYTES);
	/* the newest are still there: complete one */
	frag(1099, 1480, 1480, 1);
	frag(1099, 2960, TOTAL - 2960, 0);
	run_ms(10);
	expect_dgram();
}

Test(reasm, memory_is_bounded)
{
	static uint8_t big[IP_MAXPACKET];

	/* each of these asks for a 61 KB buffer: 20 of them pass 1 MiB */
	for (int id = 0; id < 20; id++) {
		send_piece(2000 + id, big, 60000, 1000, 1);
		run_ms(1);
		cr_assert_leq(reasm_mem(st), REASM_MAX_BYTES);
	}
	cr_assert_gt(st->ips[IPS_REASM_FAILS], 0);
	make_dgram(PORT, 1);
	frag0(14);
	frag1(14);
	frag2(14);
	run_ms(10);
	expect_dgram();
	run_ms(31000);
	cr_assert_eq(reasm_mem(st), 0);
}

Test(reasm, reassembled_to_a_closed_port_draws_an_unreachable)
{
	uint8_t got[1500];
	size_t n;

	make_dgram(4444, 1);
	frag0(15);
	frag1(15);
	frag2(15);
	run_ms(10);
	n = link_recv(l, LINK_B, got, sizeof got);
	cr_assert_gt(n, IP_HLEN + 8 + IP_HLEN + 8);
	cr_assert_eq(got[IP_HLEN], ICMP_UNREACH);
	cr_assert_eq(got[IP_HLEN + 1], ICMP_UNREACH_PORT);
	/* it quotes the whole datagram's header: offset 0, no MF */
	cr_assert_eq(get16(got + IP_HLEN + 8 + 6) & (IP_MF | IP_OFFMASK), 0);
	cr_assert_eq(get16(got + IP_HLEN + 8 + 2), IP_HLEN + TOTAL);
	cr_assert_eq(get16(got + IP_HLEN + 8 + IP_HLEN + 2), 4444);
}

/* RFC 1122 3.3.2: a timed-out datagram whose first fragment came is
 * reported with ICMP time exceeded (reassembly), quoting its header and
 * first 8 bytes; one that never had its first fragment is not. */
Test(reasm, timeout_with_the_first_fragment_sends_time_exceeded)
{
	uint8_t got[1500];
	size_t n;

	make_dgram(PORT, 1);
	frag0(21);
	frag2(22);		/* another datagram, without its first fragment */
	run_ms(31000);
	cr_assert_eq(st->ips[IPS_REASM_FAILS], 2);
	n = link_recv(l, LINK_B, got, sizeof got);
	cr_assert_eq(n, IP_HLEN + 8 + IP_HLEN + 8, "one ICMP message, got %zu bytes", n);
	cr_assert_eq(got[IP_HLEN], ICMP_TIMXCEED);
	cr_assert_eq(got[IP_HLEN + 1], ICMP_TIMXCEED_REASS);
	cr_assert_eq(cksum(got + IP_HLEN, n - IP_HLEN), 0);
	cr_assert_eq(get16(got + IP_HLEN + 8 + 4), 21, "it quotes datagram 21");
	cr_assert_eq(cksum(got + IP_HLEN + 8, IP_HLEN), 0, "a valid quoted header");
	cr_assert_eq(get16(got + IP_HLEN + 8 + IP_HLEN + 2), PORT, "and its first 8 bytes");
	cr_assert_eq(link_recv(l, LINK_B, got, sizeof got), 0, "nothing for datagram 22");
	cr_assert_eq(st->icmps[ICMPS_OUT_TIME_EXCDS], 1);
}
