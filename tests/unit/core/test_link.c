/* The test link itself, tap to tap: delay, order, impairment, seeds. */
#include <criterion/criterion.h>
#include <string.h>

#include "fixture.h"
#include "link.h"

static void setup(void)
{
	l = link_new(NULL, NULL);
	cr_assert_not_null(l);
}

TestSuite(link, .init = setup, .fini = teardown);

static void send_byte(int end, uint8_t v)
{
	cr_assert_eq(link_inject(l, end, &v, 1), 0);
}

/* The one-byte packets waiting at end, in arrival order, into out. */
static int drain(int end, uint8_t *out, int max)
{
	int n = 0;
	uint8_t b;

	while (n < max && link_recv(l, end, &b, 1) == 1)
		out[n++] = b;
	return n;
}

static int b_has_one(void *arg)
{
	(void)arg;
	return link_pending(l, LINK_B) > 0;
}

Test(link, delivers_after_the_delay)
{
	uint8_t pkt[3] = { 1, 2, 3 }, buf[8];

	cr_assert_eq(link_inject(l, LINK_A, pkt, sizeof pkt), 0);
	link_run(l, LINK_DELAY_US - 1);
	cr_assert_eq(link_pending(l, LINK_B), 0);
	link_run(l, LINK_DELAY_US);
	cr_assert_eq(link_pending(l, LINK_B), 1);
	cr_assert_eq(link_pending(l, LINK_A), 0);
	cr_assert_eq(link_recv(l, LINK_B, buf, sizeof buf), 3);
	cr_assert_arr_eq(buf, pkt, 3);
	cr_assert_eq(link_recv(l, LINK_B, buf, sizeof buf), 0);
	cr_assert_eq(link_counters(l, LINK_A_TO_B)->delivered, 1);
}

Test(link, run_until_stops_at_the_event)
{
	link_set_delay(l, 2500);
	send_byte(LINK_A, 7);
	cr_assert_eq(link_run_until(l, b_has_one, NULL, 10000), 1);
	cr_assert_eq(link_now(l), 2500);
}

Test(link, run_until_gives_up_after_max)
{
	cr_assert_eq(link_run_until(l, b_has_one, NULL, 5000), 0);
	cr_assert_eq(link_now(l), 5000);
}

Test(link, keeps_sending_order)
{
	uint8_t got[8];

	for (uint8_t i = 0; i < 8; i++)
		send_byte(LINK_B, i);
	link_run(l, 10 * LINK_DELAY_US);
	cr_assert_eq(drain(LINK_A, got, 8), 8);
	for (uint8_t i = 0; i < 8; i++)
		cr_assert_eq(got[i], i);
}

Test(link, recv_reports_the_full_length)
{
	uint8_t pkt[100] = { 0 }, buf[10];

	link_inject(l, LINK_A, pkt, sizeof pkt);
	link_run(l, LINK_DELAY_US);
	cr_assert_eq(link_recv(l, LINK_B, buf, sizeof buf), 100);
}

static int drop_odd(void *arg, int dir, const uint8_t *pkt, size_t len)
{
	int *calls = arg;

	(*calls)++;
	cr_assert_eq(dir, LINK_A_TO_B);
	cr_assert_eq(len, 1);
	return pkt[0] % 2 ? LINK_DROP : pkt[0] == 4 ? LINK_DUP : LINK_PASS;
}

Test(link, filter_drops_and_duplicates_exactly)
{
	uint8_t got[16];
	int calls = 0, n;
	const struct link_counters *c = link_counters(l, LINK_A_TO_B);

	link_set_filter(l, drop_odd, &calls);
	for (uint8_t i = 0; i < 6; i++)
		send_byte(LINK_A, i);
	link_run(l, 10 * LINK_DELAY_US);
	n = drain(LINK_B, got, 16);
	cr_assert_eq(calls, 6);
	cr_assert_eq(n, 4);
	cr_assert_arr_eq(got, ((uint8_t[]){ 0, 2, 4, 4 }), 4);
	cr_assert_eq(c->sent, 6);
	cr_assert_eq(c->dropped, 3);
	cr_assert_eq(c->duplicated, 1);
	cr_assert_eq(c->delivered, 4);
}

Test(link, extra_delay_per_direction)
{
	link_set_impair(l, LINK_B_TO_A, &(struct link_impair){ .extra_us = 4000 });
	send_byte(LINK_A, 1);
	send_byte(LINK_B, 2);
	link_run(l, LINK_DELAY_US);
	cr_assert_eq(link_pending(l, LINK_B), 1);
	cr_assert_eq(link_pending(l, LINK_A), 0);
	link_run(l, LINK_DELAY_US + 4000);
	cr_assert_eq(link_pending(l, LINK_A), 1);
}

Test(link, reorder_lets_later_packets_overtake)
{
	uint8_t got[2];

	link_set_impair(l, LINK_A_TO_B, &(struct link_impair){ .reorder = 1.0 });
	send_byte(LINK_A, 1);
	link_set_impair(l, LINK_A_TO_B, &(struct link_impair){ 0 });
	send_byte(LINK_A, 2);
	link_run(l, 10 * LINK_DELAY_US);
	cr_assert_eq(drain(LINK_B, got, 2), 2);
	cr_assert_eq(got[0], 2);
	cr_assert_eq(got[1], 1);
	cr_assert_eq(link_counters(l, LINK_A_TO_B)->reordered, 1);
}

/* Send n packets with 50% loss under seed; the bitmap of what arrived. */
static uint64_t lossy_run(uint64_t seed, int n)
{
	uint64_t arrived = 0;
	uint8_t b;

	link_free(l);
	l = link_new(NULL, NULL);
	link_set_seed(l, seed);
	link_set_impair(l, LINK_A_TO_B, &(struct link_impair){ .drop = 0.5 });
	for (int i = 0; i < n; i++)
		send_byte(LINK_A, (uint8_t)i);
	link_run(l, 10 * LINK_DELAY_US);
	while (link_recv(l, LINK_B, &b, 1) == 1)
		arrived |= 1ULL << b;
	return arrived;
}

Test(link, random_loss_is_reproducible_and_counted)
{
	uint64_t first = lossy_run(42, 64);
	const struct link_counters *c = link_counters(l, LINK_A_TO_B);
	int got = __builtin_popcountll(first);

	cr_assert_eq(c->sent, 64);
	cr_assert_eq(c->dropped + c->delivered, 64);
	cr_assert_eq(c->delivered, (uint64_t)got);
	/* 50% of 64: far from none and from all (binomial, p < 1e-6 outside) */
	cr_assert(got > 12 && got < 52, "%d of 64 arrived", got);
	cr_assert_eq(lossy_run(42, 64), first, "same seed, same losses");
	cr_assert_neq(lossy_run(43, 64), first, "another seed, other losses");
}

Test(link, duplicate_probability_one_doubles)
{
	link_set_impair(l, LINK_A_TO_B, &(struct link_impair){ .dup = 1.0 });
	for (int i = 0; i < 5; i++)
		send_byte(LINK_A, (uint8_t)i);
	link_run(l, 10 * LINK_DELAY_US);
	cr_assert_eq(link_pending(l, LINK_B), 10);
	cr_assert_eq(link_counters(l, LINK_A_TO_B)->duplicated, 5);
}

Test(link, unread_packets_are_freed)
{
	/* Left in flight and in the inbox: link_free (teardown) frees both,
	 * which the leak checker of the sanitizer build verifies. */
	send_byte(LINK_A, 1);
	link_run(l, LINK_DELAY_US);
	send_byte(LINK_A, 2);
	cr_assert_eq(link_pending(l, LINK_B), 1);
}

Test(link, inject_refused_on_a_stack_end)
{
	struct stack_config cfg = { .addr = 0x0a4d0002, .prefix = 24, .mtu = 1500 };
	struct link *s = link_new(&cfg, NULL);
	uint8_t b = 0;

	cr_assert_not_null(s);
	cr_assert_not_null(link_stack(s, LINK_A));
	cr_assert_null(link_stack(s, LINK_B));
	cr_assert_eq(link_inject(s, LINK_A, &b, 1), -1);
	cr_assert_eq(link_inject(s, LINK_B, &b, 1), 0);
	fixture_free(s);
}
