/* Receiving in place (tcp_place.c): b's arrivals are read as the driver
 * reads its TUN, the payload into the room b's stack offers; a sends
 * super-packets, as the kernel hands a TUN. Every byte is checked. */
#include <criterion/criterion.h>

#include <netcore/netcore.h>

#include "fixture.h"
#include "peer.h"
#include "sock.h"
#include "tcp.h"

static void placing(void)
{
	two_stacks();
	a->tso = 1;
	link_set_placing(l, LINK_B, 1);
}

TestSuite(tcp_place, .init = placing, .fini = teardown);

Test(tcp_place, a_download_is_taken_where_it_was_read)
{
	int c, s;

	make_pair(80, &c, &s);
	cr_assert_eq(pump(a, c, b, s, 8 << 20, 10000), 8 << 20);
	/* 8 MiB in super-packets of up to 64 KiB: over a hundred */
	cr_assert_gt(tcp_stat(b, "InPlaceSegs"), 100, "in place: %llu",
		     (unsigned long long)tcp_stat(b, "InPlaceSegs"));
	cr_assert_eq(tcp_stat(a, "InPlaceSegs"), 0, "a read nothing in place");
}

/* Without the driver's way of reading, the same download copies. */
Test(tcp_place, a_download_read_whole_is_copied)
{
	int c, s;

	link_set_placing(l, LINK_B, 0);
	make_pair(80, &c, &s);
	cr_assert_eq(pump(a, c, b, s, 4 << 20, 10000), 4 << 20);
	cr_assert_eq(tcp_stat(b, "InPlaceSegs"), 0);
	cr_assert_eq(tcp_stat(b, "InPlaceMissed"), 0);
}

/* Loss, duplicates and reordering: out-of-order data lives past the
 * queue's end, where the room would be, so no guess is made while a
 * connection has some; after recovery the guesses resume. */
Test(tcp_place, a_download_over_a_bad_link)
{
	struct link_impair imp = { .drop = 0.01, .dup = 0.01, .reorder = 0.01 };
	int c, s;

	make_pair(80, &c, &s);
	link_set_impair(l, LINK_A_TO_B, &imp);
	link_set_impair(l, LINK_B_TO_A, &imp);
	cr_assert_eq(pump(a, c, b, s, 4 << 20, 3600 * 1000), 4 << 20);
	cr_assert_gt(link_counters(l, LINK_A_TO_B)->dropped, 0);
	cr_assert_gt(tcp_stat(b, "InPlaceSegs"), 0);
}

/* Two downloads at once: a packet of the one read into the other's room
 * is missed, made whole and taken as any other. */
Test(tcp_place, two_downloads_at_once)
{
	static struct flow f[2];
	int c0, s0, c1, s1;

	make_pair(80, &c0, &s0);
	make_pair(81, &c1, &s1);
	f[0] = (struct flow){ .sa = a, .fa = c0, .sb = b, .fb = s0, .n = 4 << 20 };
	f[1] = (struct flow){ .sa = a, .fa = c1, .sb = b, .fb = s1, .n = 4 << 20 };
	pump_flows(f, 2, 20000);
	cr_assert_eq(f[0].got, 4 << 20);
	cr_assert_eq(f[1].got, 4 << 20);
	cr_assert_gt(tcp_stat(b, "InPlaceSegs"), 0);
	cr_assert_gt(tcp_stat(b, "InPlaceMissed"), 0);
}

/* The connection guessed for goes, and the next download is guessed for
 * in its turn (ASan would see a guess that outlived its connection). */
Test(tcp_place, a_closed_connection_is_no_guess)
{
	struct iovec room[8];
	size_t hdr;
	int c, s;
	uint64_t first;

	make_pair(80, &c, &s);
	cr_assert_eq(pump(a, c, b, s, 2 << 20, 10000), 2 << 20);
	first = tcp_stat(b, "InPlaceSegs");
	cr_assert_gt(first, 0);
	cr_assert_eq(sock_close(a, c), 0);
	cr_assert_eq(sock_close(b, s), 0);
	run_ms(200 * 1000);	/* virtual: past Time_wait, the control blocks freed */
	cr_assert_eq(tcp_stat(b, "CurrEstab"), 0);
	cr_assert_eq(tcp_stat(b, "CurrTimeWait"), 0);
	cr_assert_eq(tcp_count(b), 0, "b's control blocks are gone");
	cr_assert_eq(stack_rx_room(b, room, 8, &hdr), 0, "no guess for a connection gone");
	make_pair(80, &c, &s);
	cr_assert_eq(pump(a, c, b, s, 2 << 20, 10000), 2 << 20);
	cr_assert_gt(tcp_stat(b, "InPlaceSegs"), first);
}

/* Two scripted peers with the same ISN, apart only in their address or
 * only in their port: a segment of the one at the other's next sequence
 * number, read into the other's room, is not the other's, and goes in
 * whole. */
static void connect_peer(struct peer *p, uint32_t addr, uint16_t port, uint64_t ms)
{
	peer_init(p, l, LINK_B, addr, port, A_ADDR, 80);
	peer_send(p, ms, "S 0:0(0) win 65535 <mss 1460,sackOK,nop,wscale 7>");
	peer_expect(p, ms + 1, "S. 0:0(0) ack 1");
	peer_send(p, ms + 2, ". 1:1(0) ack 1 win 512");
}

/* n bytes from s, the peer's letters from relative sequence number 1 on. */
static void read_letters(int s, size_t n)
{
	static uint8_t buf[65536];
	size_t got = 0;

	while (got < n) {
		ssize_t r = sock_recvfrom(a, s, buf, sizeof buf, 0, NULL, NULL);
		cr_assert_gt(r, 0, "recv: %zd after %zu bytes", r, got);
		for (ssize_t i = 0; i < r; i++)
			cr_assert_eq(buf[i], 'a' + (1 + got + (size_t)i) % 26, "byte %zu", got + (size_t)i);
		got += (size_t)r;
	}
}

static void twins(uint32_t addr2, uint16_t port2)
{
	struct peer p1, p2;
	int lfd = listen_on(a, 80, 4), s1, s2;

	link_set_placing(l, LINK_A, 1);
	connect_peer(&p1, TAP_ADDR, 4000, 0);
	connect_peer(&p2, addr2, port2, 10);
	peer_run(&p2, 20);
	s1 = sock_accept(a, lfd, NULL, NULL);
	s2 = sock_accept(a, lfd, NULL, NULL);
	cr_assert(s1 >= 0 && s2 >= 0);
	peer_send(&p1, 30, ". 1:20001(20000) ack 1");		/* the guess: p1's */
	peer_send(&p2, 31, ". 1:20001(20000) ack 1");		/* missed; now p2's */
	peer_send(&p1, 32, ". 20001:40001(20000) ack 1");	/* at p2's next seq */
	peer_run(&p1, 40);
	read_letters(s1, 40000);
	read_letters(s2, 20000);
	cr_assert_eq(tcp_stat(a, "InPlaceMissed"), 2);
	cr_assert_eq(tcp_stat(a, "InPlaceSegs"), 0);
}

TestSuite(tcp_place_peer, .init = stack_and_tap, .fini = teardown);

Test(tcp_place_peer, the_guess_is_its_peer_not_any_address)
{
	twins(TAP_ADDR + 3, 4000);
}

Test(tcp_place_peer, the_guess_is_its_peer_not_any_port)
{
	twins(TAP_ADDR, 4001);
}
