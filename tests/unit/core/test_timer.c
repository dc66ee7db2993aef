/* The timer heap: order, re-arming, stopping, and firing by time. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "stack.h"
#include "timer.h"

static struct stack st;
static int fired[64], nfired;

static void record(struct stack *s, struct timer *t)
{
	(void)s;
	fired[nfired++] = (int)t->when;
}

static void setup(void)
{
	memset(&st, 0, sizeof st);
	nfired = 0;
}

static void teardown(void)
{
	timers_free(&st.timers);
}

TestSuite(timer, .init = setup, .fini = teardown);

Test(timer, fires_in_deadline_order)
{
	struct timer t[32];
	unsigned seed = 7;

	for (int i = 0; i < 32; i++) {
		cr_assert_eq(timer_init(&st, &t[i], record), 0);
		seed = seed * 1103515245 + 12345;
		timer_set(&st, &t[i], 1 + (seed >> 16) % 1000);
	}
	cr_assert_eq(st.timers.n, 32);
	timers_run(&st, 1000);
	cr_assert_eq(nfired, 32);
	for (int i = 1; i < 32; i++)
		cr_assert_leq(fired[i - 1], fired[i], "timer %d fired out of order", i);
	cr_assert_eq(timers_next(&st.timers), UINT64_MAX);
}

Test(timer, only_due_timers_fire)
{
	struct timer a, b;

	cr_assert_eq(timer_init(&st, &a, record), 0);
	cr_assert_eq(timer_init(&st, &b, record), 0);
	timer_set(&st, &a, 100);
	timer_set(&st, &b, 200);
	timers_run(&st, 150);
	cr_assert_eq(nfired, 1);
	cr_assert_eq(fired[0], 100);
	cr_assert(!timer_armed(&a));
	cr_assert(timer_armed(&b));
	cr_assert_eq(timers_next(&st.timers), 200);
}

Test(timer, rearm_and_stop)
{
	struct timer t[8];

	for (int i = 0; i < 8; i++) {
		cr_assert_eq(timer_init(&st, &t[i], record), 0);
		timer_set(&st, &t[i], 100 + (uint64_t)i);
	}
	timer_set(&st, &t[7], 50);	/* earlier */
	timer_set(&st, &t[0], 500);	/* later */
	timer_stop(&st, &t[3]);
	timer_stop(&st, &t[3]);		/* stopping twice is harmless */
	cr_assert_eq(timers_next(&st.timers), 50);
	timers_run(&st, 1000);
	cr_assert_eq(nfired, 7);
	cr_assert_eq(fired[0], 50);
	cr_assert_eq(fired[6], 500);
	for (int i = 1; i < 7; i++)
		cr_assert_leq(fired[i - 1], fired[i]);
}

/* Room is kept from timer_init to timer_fini: arming every initialised
 * timer at once needs no allocation, and what is given back is reused. */
Test(timer, room_is_kept_per_timer)
{
	static struct timer t[200];

	for (int i = 0; i < 200; i++)
		cr_assert_eq(timer_init(&st, &t[i], record), 0);
	cr_assert_eq(st.timers.reserved, 200);
	cr_assert_geq(st.timers.cap, 200);
	for (int i = 0; i < 200; i++)
		timer_set(&st, &t[i], 1000 - (uint64_t)i);
	cr_assert_eq(st.timers.n, 200);
	cr_assert_eq(timers_next(&st.timers), 801);
	for (int i = 0; i < 200; i++)
		timer_fini(&st, &t[i]);
	cr_assert_eq(st.timers.reserved, 0);
	cr_assert_eq(st.timers.n, 0);
	cr_assert_eq(timers_next(&st.timers), UINT64_MAX);
}
