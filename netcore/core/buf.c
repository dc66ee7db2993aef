/*
 * Byte queues in chunks (see buf.h). A queue is a list of fixed-size
 * chunks; byte i of the queue lives at offset off + i of the list. Bytes
 * written past the end (out-of-order data) sit in the same chunks and
 * join the queue when bufq_extend() is told the gap is filled.
 *
 * Chunks come from a per-stack free list, so a connection in steady state
 * takes and gives back chunks without calling malloc.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "stack.h"

enum {
	POOL_MAX = 128,		/* free chunks kept per stack: 2 MiB */
	CHUNK_ALIGN = 4096,	/* a page; glibc lays such chunks 16 KiB apart */
};

struct chunkpool {
	struct chunk *free;
	unsigned n;		/* on the free list */
	unsigned used;		/* held by queues */
	/* Given back while the link may still read them (chunks_hold):
	 * [0] since the last chunks_age, [1] in the age before. */
	struct chunk *held[2];
	int holding;
};

static struct chunkpool *pool(struct stack *st)
{
	if (st->pool == NULL)
		st->pool = calloc(1, sizeof *st->pool);
	return st->pool;
}

/* A chunk, or NULL when memory runs out or the stack's bound is reached:
 * then a queue takes fewer bytes, and TCP's peer sends them again. */
static struct chunk *chunk_get(struct stack *st)
{
	struct chunkpool *p = pool(st);
	struct chunk *c;

	if (p == NULL || p->used >= st->chunks_max)
		return NULL;
	if (p->free != NULL) {
		c = p->free;
		p->free = c->next;
		p->n--;
	} else {
		void *mem;

		/* not aligned_alloc: C11 wants its size a multiple of the
		 * alignment, and AddressSanitizer holds it to that */
		if (posix_memalign(&mem, CHUNK_ALIGN, sizeof *c) != 0)
			return NULL;
		c = mem;
	}
	p->used++;
	c->next = NULL;
	return c;
}

/* To the free list, or to malloc past POOL_MAX. */
static void chunk_release(struct chunkpool *p, struct chunk *c)
{
	if (p->n >= POOL_MAX) {
		free(c);
		return;
	}
	c->next = p->free;
	p->free = c;
	p->n++;
}

static void chunk_put(struct stack *st, struct chunk *c)
{
	struct chunkpool *p = st->pool;	/* there since chunk_get */

	p->used--;
	if (p->holding) {
		c->next = p->held[0];
		p->held[0] = c;
		return;
	}
	chunk_release(p, c);
}

void chunks_hold(struct stack *st, int on)
{
	if (pool(st) != NULL)
		st->pool->holding = on;
}

void chunks_age(struct stack *st)
{
	struct chunkpool *p = st->pool;

	if (p == NULL)
		return;
	while (p->held[1] != NULL) {
		struct chunk *c = p->held[1];

		p->held[1] = c->next;
		chunk_release(p, c);
	}
	p->held[1] = p->held[0];
	p->held[0] = NULL;
}

unsigned chunks_used(const struct stack *st)
{
	return st->pool ? st->pool->used : 0;
}

void buf_set_budget(struct stack *st, size_t bytes)
{
	size_t n = (bytes ? bytes : (size_t)BUF_DEF_MIB << 20) / sizeof(struct chunk);

	st->chunks_max = n < BUF_MIN_CHUNKS ? BUF_MIN_CHUNKS : n > UINT32_MAX ? UINT32_MAX : (unsigned)n;
}

/* Pressure from three quarters of the budget on: then receive windows
 * stop growing (tcp_output.c), so that peers slow down before the bound
 * makes the stack drop what they send. */
int buf_pressure(const struct stack *st)
{
	return chunks_used(st) >= st->chunks_max / 4 * 3;
}

void chunk_pool_free(struct stack *st)
{
	struct chunkpool *p = st->pool;

	if (p == NULL)
		return;
	p->holding = 0;
	chunks_age(st);
	chunks_age(st);
	while (p->free != NULL) {
		struct chunk *c = p->free;
		p->free = c->next;
		free(c);
	}
	free(p);
	st->pool = NULL;
}

/* Make room for at least want bytes past off; returns the room there is. */
static size_t grow(struct stack *st, struct bufq *q, size_t want)
{
	while (q->room < want) {
		struct chunk *c = chunk_get(st);
		if (c == NULL)
			break;
		if (q->tail == NULL) {
			q->head = c;
			q->off = 0;
		} else {
			q->tail->next = c;
		}
		q->tail = c;
		q->room += CHUNK_SIZE;
	}
	return q->room;
}

/* The chunk holding queue byte pos (< room), and pos's offset in it. The
 * tail is found at once; anything else from the mark, when pos is at or
 * past it, or from head (a queue of megabytes is hundreds of chunks). */
static struct chunk *locate(struct bufq *q, size_t pos, size_t *at)
{
	struct chunk *c = q->head;
	size_t i = q->off + pos, base = 0;

	if (pos + CHUNK_SIZE >= q->room) {
		*at = CHUNK_SIZE - (q->room - pos);
		return q->tail;
	}
	if (q->mark != NULL && q->mark_at <= i) {
		c = q->mark;
		base = q->mark_at;
	}
	for (; i - base >= CHUNK_SIZE; base += CHUNK_SIZE)
		c = c->next;
	if (q->mark == NULL || base > q->mark_at) {
		q->mark = c;
		q->mark_at = (uint32_t)base;
	}
	*at = i - base;
	return c;
}

size_t bufq_write_at(struct stack *st, struct bufq *q, size_t off, const void *src, size_t n)
{
	const uint8_t *s = src;
	struct chunk *c;
	size_t room, at, done = 0;

	room = grow(st, q, off + n);
	if (off >= room)
		return 0;
	if (n > room - off)
		n = room - off;
	c = locate(q, off, &at);
	while (done < n) {
		size_t k = CHUNK_SIZE - at < n - done ? CHUNK_SIZE - at : n - done;
		memcpy(c->data + at, s + done, k);
		done += k;
		c = c->next;
		at = 0;
	}
	return done;
}

void bufq_extend(struct bufq *q, size_t n)
{
	q->len += n;
}

size_t bufq_append(struct stack *st, struct bufq *q, const void *src, size_t n)
{
	n = bufq_write_at(st, q, q->len, src, n);
	bufq_extend(q, n);
	return n;
}

size_t bufq_copyout(struct bufq *q, size_t off, void *dst, size_t n)
{
	uint8_t *d = dst;
	struct chunk *c;
	size_t at, done = 0;

	if (off >= q->len)
		return 0;
	if (n > q->len - off)
		n = q->len - off;
	c = locate(q, off, &at);
	while (done < n) {
		size_t k = CHUNK_SIZE - at < n - done ? CHUNK_SIZE - at : n - done;
		memcpy(d + done, c->data + at, k);
		done += k;
		c = c->next;
		at = 0;
	}
	return done;
}

/* n bytes from queue byte off (< room) as at most max iovecs. */
static int describe(struct bufq *q, size_t off, size_t n, struct iovec *iov, int max,
		    size_t *total)
{
	struct chunk *c;
	size_t at, done = 0;
	int cnt = 0;

	if (n > 0) {
		c = locate(q, off, &at);
		while (done < n && cnt < max) {
			size_t k = CHUNK_SIZE - at < n - done ? CHUNK_SIZE - at : n - done;
			iov[cnt].iov_base = c->data + at;
			iov[cnt].iov_len = k;
			cnt++;
			done += k;
			c = c->next;
			at = 0;
		}
	}
	if (total != NULL)
		*total = done;
	return cnt;
}

int bufq_iov(struct bufq *q, size_t off, size_t n, struct iovec *iov, int max,
	     size_t *total)
{
	if (off >= q->len)
		n = 0;
	else if (n > q->len - off)
		n = q->len - off;
	return describe(q, off, n, iov, max, total);
}

int bufq_room_iov(struct stack *st, struct bufq *q, size_t n, struct iovec *iov, int max)
{
	size_t room = grow(st, q, q->len + n);

	if (room <= q->len)
		return 0;
	return describe(q, q->len, room - q->len < n ? room - q->len : n, iov, max, NULL);
}

void bufq_drop(struct stack *st, struct bufq *q, size_t n)
{
	if (n > q->len)
		n = q->len;
	q->len -= n;
	q->room -= n;
	q->off += n;
	while (q->head != NULL && q->off >= CHUNK_SIZE) {
		struct chunk *c = q->head;
		q->head = c->next;
		q->off -= CHUNK_SIZE;
		if (q->mark == c)
			q->mark = NULL;
		else if (q->mark != NULL)
			q->mark_at -= CHUNK_SIZE;
		chunk_put(st, c);
	}
	if (q->head == NULL) {
		q->tail = NULL;
		q->off = 0;
		q->room = 0;
	}
}

void bufq_trim(struct stack *st, struct bufq *q)
{
	struct chunk *last, *c;
	size_t at, kept;

	if (q->len == 0) {
		bufq_clear(st, q);
		return;
	}
	last = locate(q, q->len - 1, &at);
	kept = (q->off + q->len + CHUNK_SIZE - 1) / CHUNK_SIZE * CHUNK_SIZE;
	while ((c = last->next) != NULL) {
		last->next = c->next;
		chunk_put(st, c);
	}
	q->tail = last;
	q->room = (uint32_t)(kept - q->off);
	if (q->mark != NULL && q->mark_at >= kept)
		q->mark = NULL;
}

void bufq_clear(struct stack *st, struct bufq *q)
{
	while (q->head != NULL) {
		struct chunk *c = q->head;
		q->head = c->next;
		chunk_put(st, c);
	}
	q->tail = q->mark = NULL;
	q->off = q->len = q->room = 0;
}
