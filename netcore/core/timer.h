/*
 * Timers as data: a binary min-heap of deadlines. A timer fires when the
 * stack's time passes its deadline; nothing here knows a clock. Each
 * timer keeps its room in the heap from timer_init to timer_fini, so
 * arming one cannot fail: running out of memory is reported where its
 * owner (a connection, the reassembly state) is created.
 */
#ifndef NETCORE_TIMER_H
#define NETCORE_TIMER_H

#include <stdint.h>

struct stack;

struct timer {
	uint64_t when;		/* µs */
	int slot;		/* index in the heap, -1 when stopped */
	void (*fn)(struct stack *st, struct timer *t);
};

struct timers {
	struct timer **heap;
	int n, cap;
	int reserved;		/* timers initialised: the heap has room for all */
};

/* Ready t (stopped) and keep room for it: 0, or -ENOMEM. */
int timer_init(struct stack *st, struct timer *t, void (*fn)(struct stack *, struct timer *));
/* Stop t and give its room back. */
void timer_fini(struct stack *st, struct timer *t);
/* (Re)arm t for time when. */
void timer_set(struct stack *st, struct timer *t, uint64_t when);
void timer_stop(struct stack *st, struct timer *t);
static inline int timer_armed(const struct timer *t) { return t->slot >= 0; }
/* Fire every timer with when <= now, earliest first. */
void timers_run(struct stack *st, uint64_t now);
uint64_t timers_next(const struct timers *ts);
void timers_free(struct timers *ts);

#endif
