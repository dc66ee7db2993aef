/*
 * A binary min-heap of timers, ordered by deadline. Each timer knows its
 * slot, so stopping or re-arming one is O(log n) and a stack with ten
 * thousand connections finds its next deadline at the root.
 */
#include <errno.h>
#include <stdlib.h>

#include "stack.h"
#include "timer.h"

int timer_init(struct stack *st, struct timer *t, void (*fn)(struct stack *, struct timer *))
{
	struct timers *ts = &st->timers;

	t->when = 0;
	t->slot = -1;
	t->fn = fn;
	if (ts->reserved == ts->cap) {
		int cap = ts->cap ? 2 * ts->cap : 64;
		struct timer **heap = realloc(ts->heap, (size_t)cap * sizeof *heap);
		if (heap == NULL)
			return -ENOMEM;
		ts->heap = heap;
		ts->cap = cap;
	}
	ts->reserved++;
	return 0;
}

void timer_fini(struct stack *st, struct timer *t)
{
	timer_stop(st, t);
	st->timers.reserved--;
}

static void place(struct timers *ts, int i, struct timer *t)
{
	ts->heap[i] = t;
	t->slot = i;
}

static void sift_up(struct timers *ts, int i)
{
	struct timer *t = ts->heap[i];

	while (i > 0) {
		int parent = (i - 1) / 2;
		if (ts->heap[parent]->when <= t->when)
			break;
		place(ts, i, ts->heap[parent]);
		i = parent;
	}
	place(ts, i, t);
}

static void sift_down(struct timers *ts, int i)
{
	struct timer *t = ts->heap[i];

	for (;;) {
		int child = 2 * i + 1;
		if (child >= ts->n)
			break;
		if (child + 1 < ts->n && ts->heap[child + 1]->when < ts->heap[child]->when)
			child++;
		if (t->when <= ts->heap[child]->when)
			break;
		place(ts, i, ts->heap[child]);
		i = child;
	}
	place(ts, i, t);
}

/* Never more timers armed than initialised: there is always room. */
void timer_set(struct stack *st, struct timer *t, uint64_t when)
{
	struct timers *ts = &st->timers;

	if (t->slot >= 0) {
		uint64_t old = t->when;
		t->when = when;
		if (when < old)
			sift_up(ts, t->slot);
		else
			sift_down(ts, t->slot);
		return;
	}
	t->when = when;
	place(ts, ts->n++, t);
	sift_up(ts, t->slot);
}

void timer_stop(struct stack *st, struct timer *t)
{
	struct timers *ts = &st->timers;
	int i = t->slot;

	if (i < 0)
		return;
	t->slot = -1;
	if (--ts->n == i)
		return;
	place(ts, i, ts->heap[ts->n]);
	sift_down(ts, i);
	sift_up(ts, ts->heap[i]->slot);
}

void timers_run(struct stack *st, uint64_t now)
{
	struct timers *ts = &st->timers;

	while (ts->n > 0 && ts->heap[0]->when <= now) {
		struct timer *t = ts->heap[0];
		timer_stop(st, t);
		t->fn(st, t);
	}
}

uint64_t timers_next(const struct timers *ts)
{
	return ts->n > 0 ? ts->heap[0]->when : UINT64_MAX;
}

void timers_free(struct timers *ts)
{
	free(ts->heap);
	ts->heap = NULL;
	ts->n = ts->cap = ts->reserved = 0;
}
