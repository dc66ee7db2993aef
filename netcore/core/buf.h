/*
 * Byte queues for socket buffers: bytes live in fixed-size chunks taken
 * from a per-stack pool, so an idle socket holds no buffer memory and the
 * steady state allocates nothing (DESIGN rules 5, 6).
 *
 * A queue also takes bytes beyond its end (bufq_write_at), for TCP's
 * out-of-order data: they become part of the queue once bufq_extend()
 * says the gap before them is filled.
 */
#ifndef NETCORE_BUF_H
#define NETCORE_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct stack;

/* Data bytes in one chunk: with its next pointer and malloc's 16-byte
 * header a chunk takes 16 KiB. It starts on a page (chunk_get), so its
 * bytes lie on four pages, not five: a read's answer is spliced to FUSE
 * a page to a pipe slot, and the daemon's 1 MiB pipe then carries
 * 1 MiB, not 816 KiB (fs/reply.c). */
enum { CHUNK_SIZE = 16384 - 24 };

/* The budget of every socket buffer of a stack together (the config's
 * buf_max): by default 256 MiB; never less than a few chunks. */
enum { BUF_DEF_MIB = 256, BUF_MIN_CHUNKS = 16 };

struct chunk {
	uint8_t data[CHUNK_SIZE];	/* first: on the page's start */
	struct chunk *next;
};

struct bufq {
	struct chunk *head, *tail;
	/* The farthest chunk found so far, where a search for a byte at or
	 * past it starts: appends, and a sender reading on at the edge of
	 * its flight, take a step or two instead of walking from head. */
	struct chunk *mark;
	uint32_t mark_at;	/* mark's first byte: its offset from head's */
	uint32_t off;		/* first byte's offset in head */
	uint32_t len;		/* bytes in the queue */
	uint32_t room;		/* bytes allocated past off in the chunk list */
};

/* Append; returns how many bytes fit (fewer only if memory runs out). */
size_t bufq_append(struct stack *st, struct bufq *q, const void *src, size_t n);
/* Copy n bytes starting off bytes into the queue, without consuming. */
size_t bufq_copyout(struct bufq *q, size_t off, void *dst, size_t n);
/* Describe up to n bytes from off as at most max iovecs; returns count. */
int bufq_iov(struct bufq *q, size_t off, size_t n, struct iovec *iov, int max,
	     size_t *total);
/* Room for up to n bytes past the end (chunks taken as for a write), as
 * at most max iovecs; returns the count, 0 when there is no room. Bytes
 * written there join the queue with bufq_extend. */
int bufq_room_iov(struct stack *st, struct bufq *q, size_t n, struct iovec *iov, int max);
/* Drop n bytes from the front, giving emptied chunks back to the pool. */
void bufq_drop(struct stack *st, struct bufq *q, size_t n);
/* Write bytes at off >= len (out of order); returns bytes written. */
size_t bufq_write_at(struct stack *st, struct bufq *q, size_t off, const void *src, size_t n);
/* n bytes written by bufq_write_at right after the end join the queue. */
void bufq_extend(struct bufq *q, size_t n);
/* Give back the chunks past the last byte: room taken for bytes that did
 * not come (never on a queue holding bytes past its end). */
void bufq_trim(struct stack *st, struct bufq *q);
void bufq_clear(struct stack *st, struct bufq *q);

/* The pool: chunks freed are kept (up to a bound) for reuse. */
void chunk_pool_free(struct stack *st);
/* While a link writes packets after the stack has gone on (the driver's
 * TUN writer), their payload still lies in chunks the stack may give
 * back meanwhile. chunks_hold(1) keeps chunks given back out of reuse;
 * chunks_age, called once the link has written every packet made before
 * the last chunks_age, lets go of those given back before that. Held
 * chunks are out of the budget's count, as given back. */
void chunks_hold(struct stack *st, int on);
void chunks_age(struct stack *st);
/* Chunks held by queues now. */
unsigned chunks_used(const struct stack *st);
/* Set the budget, bytes (0: the default). */
void buf_set_budget(struct stack *st, size_t bytes);
/* Is most of the budget in use? */
int buf_pressure(const struct stack *st);

#endif
