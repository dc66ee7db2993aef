/* Chunked byte queues: order, offsets, out-of-order writes, the pool and
 * the stack-wide bound on buffer memory. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "stack.h"

static struct stack st;
static uint8_t data[3 * CHUNK_SIZE + 100];

static void setup(void)
{
	memset(&st, 0, sizeof st);
	buf_set_budget(&st, 0);
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 7 + i / 251);
}

static void teardown(void)
{
	chunk_pool_free(&st);
}

TestSuite(buf, .init = setup, .fini = teardown);

Test(buf, append_copyout_drop_across_chunks)
{
	struct bufq q = { 0 };
	uint8_t out[sizeof data];

	cr_assert_eq(bufq_append(&st, &q, data, 1000), 1000);
	cr_assert_eq(bufq_append(&st, &q, data + 1000, sizeof data - 1000), sizeof data - 1000);
	cr_assert_eq(q.len, sizeof data);
	cr_assert_eq(bufq_copyout(&q, 0, out, sizeof out), sizeof data);
	cr_assert_arr_eq(out, data, sizeof data);

	bufq_drop(&st, &q, CHUNK_SIZE + 5);
	cr_assert_eq(q.len, sizeof data - CHUNK_SIZE - 5);
	cr_assert_eq(bufq_copyout(&q, 10, out, 100), 100);
	cr_assert_arr_eq(out, data + CHUNK_SIZE + 15, 100);
	bufq_clear(&st, &q);
	cr_assert_eq(q.len, 0);
	cr_assert_null(q.head, "an empty queue holds no chunk");
}

Test(buf, iov_describes_the_bytes_in_place)
{
	struct bufq q = { 0 };
	struct iovec iov[8];
	size_t total = 0, at = 0;
	int n;

	bufq_append(&st, &q, data, sizeof data);
	n = bufq_iov(&q, 50, 2 * CHUNK_SIZE, iov, 8, &total);
	cr_assert_eq(total, 2 * CHUNK_SIZE);
	cr_assert_geq(n, 2);
	for (int i = 0; i < n; i++) {
		cr_assert_arr_eq(iov[i].iov_base, data + 50 + at, iov[i].iov_len);
		at += iov[i].iov_len;
	}
	cr_assert_eq(at, total);
	bufq_clear(&st, &q);
}

/* Each chunk's bytes start on a page and cover four pages, so that a
 * read's answer spliced a page to a pipe slot carries a whole 1 MiB. */
Test(buf, chunks_start_on_a_page)
{
	struct bufq q = { 0 };
	struct iovec iov[8];
	size_t total = 0;
	int n;

	bufq_append(&st, &q, data, sizeof data);
	n = bufq_iov(&q, 0, sizeof data, iov, 8, &total);
	cr_assert_eq(n, 4);
	for (int i = 0; i < n; i++) {
		uintptr_t a = (uintptr_t)iov[i].iov_base;

		cr_assert_eq(a % 4096, 0, "piece %d at %#lx", i, (unsigned long)a);
		cr_assert_eq((a + iov[i].iov_len - 1) / 4096 - a / 4096, i < 3 ? 3 : 0);
	}
	bufq_clear(&st, &q);
}

/* While a link still reads sent bytes in place (the driver's TUN writer),
 * a chunk given back is not handed out again until two ages have passed:
 * its bytes stay as they were, and it is out of the budget's count. */
Test(buf, held_chunks_keep_their_bytes_until_two_ages)
{
	struct bufq q = { 0 }, other = { 0 };
	struct iovec iov[1];
	size_t got;
	uint8_t *sent;

	chunks_hold(&st, 1);
	bufq_append(&st, &q, data, CHUNK_SIZE);
	bufq_iov(&q, 0, CHUNK_SIZE, iov, 1, &got);
	sent = iov[0].iov_base;
	bufq_drop(&st, &q, CHUNK_SIZE);	/* acked while the link may still read it */
	cr_assert_eq(chunks_used(&st), 0);
	for (int age = 0; age < 2; age++) {
		bufq_append(&st, &other, data + 200, CHUNK_SIZE);
		bufq_iov(&other, 0, 1, iov, 1, &got);
		cr_assert_neq(iov[0].iov_base, sent, "reused after %d ages", age);
		cr_assert_arr_eq(sent, data, CHUNK_SIZE);
		bufq_clear(&st, &other);
		chunks_age(&st);
	}
	bufq_append(&st, &other, data + 200, 100);
	bufq_iov(&other, 0, 1, iov, 1, &got);
	cr_assert_eq(iov[0].iov_base, sent, "back in the pool after two ages");
	bufq_clear(&st, &other);
	chunks_hold(&st, 0);
}

Test(buf, out_of_order_bytes_join_when_the_gap_fills)
{
	struct bufq q = { 0 };
	uint8_t out[300];

	bufq_append(&st, &q, data, 100);
	cr_assert_eq(bufq_write_at(&st, &q, 200, data + 200, 100), 100);
	cr_assert_eq(q.len, 100, "bytes past a gap are not in the queue yet");
	cr_assert_eq(bufq_write_at(&st, &q, 100, data + 100, 100), 100);
	bufq_extend(&q, 200);
	cr_assert_eq(q.len, 300);
	bufq_copyout(&q, 0, out, 300);
	cr_assert_arr_eq(out, data, 300);
	bufq_clear(&st, &q);
}

/* All queues of a stack together stay under the bound: an append past it
 * takes fewer bytes, and memory given back makes room again. */
Test(buf, the_stack_bound_limits_every_queue_together)
{
	enum { NQ = 64 };
	static struct bufq q[NQ];
	static uint8_t block[1 << 20];
	size_t total = 0, got;

	memset(q, 0, sizeof q);
	for (int i = 0; i < NQ; i++)
		for (int k = 0; k < 8; k++)
			total += bufq_append(&st, &q[i], block, sizeof block);
	cr_assert_lt(total, (size_t)NQ * 8 * sizeof block, "the bound took effect");
	cr_assert_geq(total, 200u << 20, "but only near 256 MiB");
	bufq_append(&st, &q[0], block, CHUNK_SIZE);	/* fills its last chunk */
	got = bufq_append(&st, &q[0], block, CHUNK_SIZE);
	cr_assert_eq(got, 0, "no new chunk past the bound");
	bufq_clear(&st, &q[1]);
	got = bufq_append(&st, &q[0], block, CHUNK_SIZE);
	cr_assert_eq(got, CHUNK_SIZE, "freed chunks make room again");
	for (int i = 0; i < NQ; i++)
		bufq_clear(&st, &q[i]);
}

/* A budget set smaller holds as well, and pressure comes at three
 * quarters of it. */
Test(buf, a_smaller_budget_holds)
{
	static struct bufq q[4];
	static uint8_t block[1 << 20];
	size_t total = 0;

	buf_set_budget(&st, 40 * sizeof(struct chunk));
	total += bufq_append(&st, &q[0], block, 29 * CHUNK_SIZE);
	cr_assert(!buf_pressure(&st));
	total += bufq_append(&st, &q[1], block, CHUNK_SIZE);
	cr_assert(buf_pressure(&st));
	for (int i = 0; i < 4; i++)
		total += bufq_append(&st, &q[i], block, sizeof block);
	cr_assert_eq(total, 40 * CHUNK_SIZE);
	cr_assert_eq(chunks_used(&st), 40);
	for (int i = 0; i < 4; i++)
		bufq_clear(&st, &q[i]);
}

/* A queue of many chunks, used as TCP uses its queues: appends, bytes
 * written past a gap and the gap filled, reads at any offset (as a sender
 * reads at the edge of its flight, and again at the front to resend) and
 * drops from the front, checked byte for byte against a flat copy. The
 * searches that start from the queue's mark must find the same bytes as
 * a walk from its head would. */
Test(buf, reads_and_writes_anywhere_in_a_long_queue)
{
	enum { MAX = 48 * CHUNK_SIZE, OPS = 4000 };
	static uint8_t ref[MAX], src[MAX], out[MAX];
	struct bufq q = { 0 };
	struct iovec iov[64];
	uint32_t x = 12345;
	size_t len = 0;

	for (size_t i = 0; i < MAX; i++)
		src[i] = (uint8_t)(i * 13 + i / 509);
	for (int op = 0; op < OPS; op++) {
		size_t k, off, gap, total, at = 0;
		int n;

		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		k = 1 + (x >> 8) % (3 * CHUNK_SIZE);
		off = len ? (x >> 4) % len : 0;
		switch (x % 5) {
		case 0:	/* append */
			if (len + k > MAX)
				k = MAX - len;
			cr_assert_eq(bufq_append(&st, &q, src + op % 97, k), k);
			memcpy(ref + len, src + op % 97, k);
			len += k;
			break;
		case 1:	/* past a gap, then the gap */
			gap = k / 3;
			if (len + k > MAX)
				break;
			cr_assert_eq(bufq_write_at(&st, &q, len + gap, src + gap, k - gap), k - gap);
			cr_assert_eq(bufq_write_at(&st, &q, len, src, gap), gap);
			bufq_extend(&q, k);
			memcpy(ref + len, src, k);
			len += k;
			break;
		case 2:	/* read at an offset */
			if (k > len - off)
				k = len - off;
			cr_assert_eq(bufq_copyout(&q, off, out, k), k);
			cr_assert_arr_eq(out, ref + off, k, "op %d: %zu bytes at %zu", op, k, off);
			break;
		case 3:	/* describe in place */
			n = bufq_iov(&q, off, k, iov, 64, &total);
			for (int i = 0; i < n; i++) {
				cr_assert_arr_eq(iov[i].iov_base, ref + off + at, iov[i].iov_len);
				at += iov[i].iov_len;
			}
			cr_assert_eq(at, total);
			break;
		case 4:	/* drop from the front */
			k = k < len ? k : len;
			bufq_drop(&st, &q, k);
			memmove(ref, ref + k, len - k);
			len -= k;
			break;
		}
		cr_assert_eq(q.len, len);
	}
	bufq_clear(&st, &q);
	cr_assert_eq(chunks_used(&st), 0);
}

Test(buf, room_not_written_goes_back_on_trim)
{
	struct bufq q = { 0 };
	struct iovec iov[8];
	uint8_t out[200];
	unsigned before;
	int n;

	bufq_append(&st, &q, data, CHUNK_SIZE + 100);
	bufq_drop(&st, &q, 50);
	before = chunks_used(&st);
	n = bufq_room_iov(&st, &q, 3 * CHUNK_SIZE, iov, 8);
	cr_assert_geq(n, 3);
	cr_assert_eq(chunks_used(&st), before + 3, "room for 3 chunks' bytes takes 3 more");
	memcpy(iov[0].iov_base, data + 500, 60);
	bufq_extend(&q, 60);
	bufq_trim(&st, &q);
	cr_assert_eq(chunks_used(&st), before, "the unwritten room went back");
	cr_assert_eq(q.len, CHUNK_SIZE + 50 + 60);
	cr_assert_eq(bufq_copyout(&q, CHUNK_SIZE + 40, out, 70), 70);
	cr_assert_arr_eq(out, data + CHUNK_SIZE + 90, 10);
	cr_assert_arr_eq(out + 10, data + 500, 60);
	/* appends go on after the trimmed tail */
	cr_assert_eq(bufq_append(&st, &q, data, 2 * CHUNK_SIZE), 2 * CHUNK_SIZE);
	cr_assert_eq(bufq_copyout(&q, CHUNK_SIZE + 110, out, 100), 100);
	cr_assert_arr_eq(out, data, 100);
	bufq_drop(&st, &q, q.len);
	bufq_room_iov(&st, &q, 100, iov, 8);
	bufq_trim(&st, &q);
	cr_assert_null(q.head, "an empty queue trimmed holds no chunk");
	cr_assert_eq(chunks_used(&st), 0);
}
