/* Receiving in place (tcp_place.c): b's arrivals are read as the driver
 * reads its TUN, the payload into the room b's stack offers; a sends
 * super-packets, as the kernel hands a TUN. Every byte is checked. */
#include <criterion/criterion.h>

#include <netcore/netcore.h>

#include "fixture.h"
#include "sock.h"

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
	int c, s;
	uint64_t first;

	make_pair(80, &c, &s);
	cr_assert_eq(pump(a, c, b, s, 2 << 20, 10000), 2 << 20);
	first = tcp_stat(b, "InPlaceSegs");
	cr_assert_gt(first, 0);
	cr_assert_eq(sock_close(a, c), 0);
	cr_assert_eq(sock_close(b, s), 0);
	run_ms(200 * 1000);	/* past Time_wait: the control blocks are freed */
	cr_assert_eq(tcp_stat(b, "CurrEstab"), 0);
	make_pair(80, &c, &s);
	cr_assert_eq(pump(a, c, b, s, 2 << 20, 10000), 2 << 20);
	cr_assert_gt(tcp_stat(b, "InPlaceSegs"), first);
}
