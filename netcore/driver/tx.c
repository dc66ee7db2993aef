/*
 * The TUN writer: a thread that writes a pass's packets while the loop
 * goes on. In an upload through /net the loop's thread did everything
 * in turn: it read the next FUSE WRITE (the kernel copying a MiB from the
 * writer), queued it, answered it, then wrote the segments to the TUN
 * (the kernel copying each super-packet into an skb, 40% of its time),
 * and only then read the next request. Now, while the stack sends bulk
 * (loop.c follow_flow), the packets a pass makes wait in a batch, and at
 * the end of the pass this thread writes them while the loop reads the
 * next request and the ACKs: the copies overlap, on two CPUs.
 *
 * Only bytes cross over, never the stack's state. A packet's headers are
 * copied into the batch; its payload stays where the core left it, in
 * the send buffer's chunks. The stack may take ACKs meanwhile and give
 * those chunks back, so while the writer is on the core holds given-back
 * chunks out of reuse (buf.c chunks_hold) and lets them go one pass later
 * (chunks_age), when every batch that may point into them is written.
 * Two batches take turns: the loop fills one while the writer writes the
 * other, and packets leave in the order the stack made them (a packet
 * the batch cannot take, or one sent from another thread, waits for the
 * batches before it). A small batch (ACKs, a request's answer) the loop
 * writes itself at the pass's end: a thread's wake-up would only delay it.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "driver.h"
#include "stack.h"

enum {
	TX_BATCH = 64,		/* packets in a batch */
	TX_HDR = 128,		/* a packet's headers, copied */
	TX_MIN = 128 * 1024,	/* bytes in a batch worth a hand-over */
	TX_SPIN_US = 50,	/* the loop's wait for the writer before it sleeps */
};

struct txpkt {
	struct virtio_net_hdr vh;
	uint8_t hdr[TX_HDR];
	struct iovec iov[1 + TX_IOV];	/* vh, hdr, the payload's pieces */
	int cnt;
	size_t len;
};

struct batch {
	struct txpkt pkt[TX_BATCH];
	int n;
	size_t bytes;
};

struct tx {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t go, done;
	atomic_int busy;	/* the writer has a batch */
	int stop;
	struct batch *fill, *out;	/* the loop's, the writer's */
	unsigned failed;	/* the writer's refused writes, for the loop to count */
	struct batch b[2];
};

/* The count of writes the kernel refused. */
static unsigned write_batch(int fd, struct batch *b)
{
	unsigned failed = 0;

	for (int i = 0; i < b->n; i++)
		failed += tun_put(fd, b->pkt[i].iov, b->pkt[i].cnt, b->pkt[i].len) < 0;
	b->n = 0;
	b->bytes = 0;
	return failed;
}

static void *writer(void *arg)
{
	struct nc_stack *s = arg;
	struct tx *t = s->tx;

	pthread_mutex_lock(&t->lock);
	for (;;) {
		while (!atomic_load(&t->busy) && !t->stop)
			pthread_cond_wait(&t->go, &t->lock);
		if (!atomic_load(&t->busy))
			break;
		pthread_mutex_unlock(&t->lock);
		t->failed = write_batch(s->tunfd, t->out);
		pthread_mutex_lock(&t->lock);
		atomic_store(&t->busy, 0);
		pthread_cond_signal(&t->done);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

static void tx_free(struct tx *t)
{
	pthread_cond_destroy(&t->done);
	pthread_cond_destroy(&t->go);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

/* The thread takes no signals: they stay the program's (the daemon reads
 * its own from a signalfd). */
static int start(struct nc_stack *s)
{
	struct tx *t = calloc(1, sizeof *t);
	sigset_t all, was;
	int err;

	if (t == NULL)
		return -1;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->go, NULL);
	pthread_cond_init(&t->done, NULL);
	t->fill = &t->b[0];
	t->out = &t->b[1];
	s->tx = t;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &was);
	err = pthread_create(&t->thread, NULL, writer, s);
	pthread_sigmask(SIG_SETMASK, &was, NULL);
	if (err == 0)
		pthread_setname_np(t->thread, "netcore-tx");	/* as ps -T shows it */
	if (err != 0) {
		s->tx = NULL;
		tx_free(t);
		return -1;
	}
	return 0;
}

void tx_wait(struct nc_stack *s)
{
	struct tx *t = s->tx;
	uint64_t t0;

	if (t == NULL || !atomic_load(&t->busy))
		return;
	t0 = clock_now();
	while (atomic_load(&t->busy) && clock_now() - t0 < TX_SPIN_US)
		sched_yield();
	pthread_mutex_lock(&t->lock);
	while (atomic_load(&t->busy))
		pthread_cond_wait(&t->done, &t->lock);
	pthread_mutex_unlock(&t->lock);
	s->core->ifs.oerrors += t->failed;
	t->failed = 0;
}

/* Write the loop's batch here, after the writer's. */
static void flush(struct nc_stack *s)
{
	tx_wait(s);
	s->core->ifs.oerrors += write_batch(s->tunfd, s->tx->fill);
}

void tx_follow(struct nc_stack *s, int on)
{
	if (on == s->tx_on)
		return;
	if (on) {
		if (s->tx == NULL && !s->tx_failed && start(s) < 0)
			s->tx_failed = 1;	/* no thread to be had: the loop writes */
		if (s->tx == NULL)
			return;
		chunks_hold(s->core, 1);
		s->tx_on = 1;
		return;
	}
	flush(s);	/* empty at a pass's end; not if the loop stopped early */
	chunks_hold(s->core, 0);
	chunks_age(s->core);
	chunks_age(s->core);
	s->tx_on = 0;
}

int tx_add(struct nc_stack *s, const struct virtio_net_hdr *vh, const struct iovec *pieces,
	   int cnt, size_t len)
{
	struct batch *b;
	struct txpkt *p;

	if (!s->tx_on)
		return -1;
	b = s->tx->fill;
	if (!loop_is_current(s) || pieces[0].iov_len > TX_HDR || b->n == TX_BATCH) {
		flush(s);	/* the batches first: packets leave in order */
		return -1;
	}
	p = &b->pkt[b->n++];
	p->vh = *vh;
	memcpy(p->hdr, pieces[0].iov_base, pieces[0].iov_len);
	p->iov[0] = (struct iovec){ &p->vh, sizeof p->vh };
	p->iov[1] = (struct iovec){ p->hdr, pieces[0].iov_len };
	memcpy(p->iov + 2, pieces + 1, sizeof p->iov[0] * (size_t)(cnt - 1));
	p->cnt = 1 + cnt;
	p->len = len;
	b->bytes += len;
	return 0;
}

void tx_kick(struct nc_stack *s)
{
	struct tx *t = s->tx;
	struct batch *b;

	if (!s->tx_on)
		return;
	tx_wait(s);
	chunks_age(s->core);	/* the passes before are written */
	b = t->fill;
	if (b->n == 0)
		return;
	if (b->bytes < TX_MIN) {
		flush(s);
		return;
	}
	t->fill = t->out;
	t->out = b;
	pthread_mutex_lock(&t->lock);
	atomic_store(&t->busy, 1);
	pthread_cond_signal(&t->go);
	pthread_mutex_unlock(&t->lock);
}

void tx_close(struct nc_stack *s)
{
	struct tx *t = s->tx;

	if (t == NULL)
		return;
	tx_follow(s, 0);
	pthread_mutex_lock(&t->lock);
	t->stop = 1;
	pthread_cond_signal(&t->go);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	tx_free(t);
	s->tx = NULL;
}
