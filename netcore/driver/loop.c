/*
 * The one event loop: epoll over the TUN, a timerfd set to the core's
 * next deadline, an eventfd other threads use to wake it, and the file
 * descriptors users hand in with nc_loop_watch (api.c; the FUSE session).
 * It holds the stack lock while it works and lets go while it waits.
 */
#include <errno.h>
#include <malloc.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "driver.h"
#include "ip.h"
#include "stack.h"

enum { TUN_BATCH = 64, LONE_MAX = 1024, MAX_EVENTS = 32, POLL_REACH = 4 };

uint64_t clock_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int loop_add_fd(struct nc_stack *s, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev);
}

int loop_init(struct nc_stack *s)
{
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	s->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	s->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	s->armed = UINT64_MAX;
	s->last_gap = UINT64_MAX;
	s->rxbuf = malloc(IP_MAXPACKET);
	if (s->epfd < 0 || s->timerfd < 0 || s->evfd < 0 || s->rxbuf == NULL)
		return -1;
	if (loop_add_fd(s, s->tunfd) < 0 || loop_add_fd(s, s->timerfd) < 0 ||
	    loop_add_fd(s, s->evfd) < 0)
		return -1;
	return 0;
}

void loop_fini(struct nc_stack *s)
{
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->timerfd >= 0)
		close(s->timerfd);
	if (s->evfd >= 0)
		close(s->evfd);
	free(s->rxbuf);
	free(s->watches);
}

void loop_poke(struct nc_stack *s)
{
	uint64_t one = 1;

	if (write(s->evfd, &one, sizeof one) < 0 && errno != EAGAIN)
		s->core->ifs.oerrors++;
}

/* Keep the timerfd no later than the core's next deadline. A deadline
 * that moved later (an RTO pushed on by each ACK, a timer cancelled)
 * leaves the timerfd as it is: it fires early once, and the loop arms it
 * again then. That spares a timerfd_settime per segment sent or acked. */
static void arm_timer(struct nc_stack *s)
{
	uint64_t d = stack_deadline(s->core);
	struct itimerspec its = { 0 };

	if (d >= s->armed)
		return;
	if (d == 0)
		d = 1;	/* an all-zero it_value would disarm */
	its.it_value.tv_sec = (time_t)(d / 1000000);
	its.it_value.tv_nsec = (long)(d % 1000000) * 1000;
	timerfd_settime(s->timerfd, TFD_TIMER_ABSTIME, &its, NULL);
	s->armed = d;
}

/* One read resets a timerfd's or an eventfd's count. */
static void drain(int fd)
{
	uint64_t v;
	ssize_t n = read(fd, &v, sizeof v);

	(void)n;	/* EAGAIN: someone read it already */
}

/* Hand one packet to the core: where it lies when the core's guess of
 * its connection held (stack_rx_room), else whole from s->rxbuf. */
static void input_packet(struct nc_stack *s, uint64_t now, const struct rxroom *room,
			 struct rxpkt *p)
{
	if (p->placed > 0) {
		if (p->csum_ok && p->hdr + p->placed == p->len &&
		    stack_input_placed(s->core, now, s->rxbuf, p->len) == 0)
			return;
		tun_unplace(s, room, p);
	}
	if (s->pcap)
		pcap_write(s->pcap, s->rxbuf, p->len);
	if (p->csum_ok)
		stack_input_csum_ok(s->core, now, s->rxbuf, p->len);
	else
		stack_input(s->core, now, s->rxbuf, p->len);
}

/* Read a batch of packets; the readers see them as one batch of events.
 * Each packet is stamped with the time it was read: a batch takes tens
 * of µs, and an ACK read at its end answers segments sent meanwhile, so
 * one time for all would measure round trips of 0 µs (and BBR's path,
 * whose propagation time is the least round trip, would have none).
 * A short packet after a pass that read none (a SYN, an ACK, one small
 * message of a request and its answer) nearly always comes alone: it is
 * read alone, sparing the read that would find nothing. If more wait,
 * epoll says so at once and the next pass reads them all. -1 with errno
 * when the TUN itself failed (the device was deleted). */
static int read_tun(struct nc_stack *s, uint64_t now)
{
	struct rxroom room = { .n = 0 };
	struct rxpkt p;

	for (int i = 0; i < TUN_BATCH; i++) {
		if (s->pcap == NULL)	/* a capture wants packets whole */
			room.n = stack_rx_room(s->core, room.iov, ROOM_IOV, &room.hdr);
		if (tun_read(s, &room, &p) < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		if (p.len == 0)
			continue;
		if (i > 0)
			now = clock_now();
		input_packet(s, now, &room, &p);
		if (i == 0 && !s->tun_busy && p.len < LONE_MAX)
			break;
	}
	return 0;
}

/* Serve one ready descriptor; -1 with errno when the TUN failed. */
static int dispatch(struct nc_stack *s, int fd, uint64_t now)
{
	if (fd == s->tunfd)
		return read_tun(s, now);
	if (fd == s->timerfd || fd == s->evfd) {
		drain(fd);
		if (fd == s->timerfd)
			s->armed = UINT64_MAX;
		return 0;
	}
	for (int i = 0; i < s->nwatch; i++) {
		if (s->watches[i].fd == fd) {
			s->watches[i].ready(s->watches[i].arg);
			break;
		}
	}
	return 0;
}

/*
 * Wait for events, the stack unlocked. A wake-up costs more here than
 * the wait it ends (an interrupt between CPUs, tens of µs on a virtual
 * machine), and in a ping-pong, or the FUSE round trips of a connection,
 * the next event follows the last pass by a few µs. So the loop polls
 * for busy_poll_us before it sleeps while
 *  - events come close together: the last wait was at most POLL_REACH
 *    times that (a wait that ended in sleep includes the wake-up, so a
 *    bound of busy_poll_us itself, once missed, would never be met
 *    again); a quiet stack, or one whose events are far apart, never
 *    polls;
 *  - and its passes are short: a moving average (s->work) of at most
 *    half busy_poll_us. A request and its answer take ~10 µs; a bulk
 *    transfer's passes, copying packets and replies of 64 KiB to 1 MiB,
 *    ~100 µs, and polling between them would take the CPU from the
 *    readers and the kernel's own work that share it.
 */
/* work: µs the pass before took. */
static int wait_events(struct nc_stack *s, struct epoll_event *evs, uint64_t work)
{
	uint64_t idle = clock_now(), poll = s->cfg.busy_poll_us;
	int n = 0;

	s->work += ((int64_t)work - s->work) / 8;
	if (poll > 0 && s->last_gap <= POLL_REACH * poll && (uint64_t)s->work <= poll / 2) {
		while ((n = epoll_wait(s->epfd, evs, MAX_EVENTS, 0)) == 0 &&
		       clock_now() - idle < poll)
			sched_yield();	/* a reader or relay waiting for this CPU goes first */
	}
	if (n == 0)
		n = epoll_wait(s->epfd, evs, MAX_EVENTS, -1);
	s->last_gap = clock_now() - idle;
	return n;
}

/*
 * The TUN's NAPI thread (tun.c) on while the stack moves bulk: a moving
 * average of FLOW_ON bytes read or written a pass or more (a download
 * reads 64 KiB super-packets, several a pass; an upload writes them),
 * off again below FLOW_OFF. A request and its answer move hundreds of
 * bytes: the thread's wake-up would add to their round trips and gain
 * them nothing. The gap between the two bounds keeps the switch still:
 * passes grow shorter once the thread takes the kernel's work off them.
 * The TUN writer (tx.c) follows the bytes written alone, by the same
 * bounds: an upload's segments, not a download's ACKs. Neither with a
 * loop thread of the library's own: its program's blocking reader
 * already makes three busy threads of a download (DESIGN).
 */
enum { FLOW_ON = 64 * 1024, FLOW_OFF = 16 * 1024 };

/*
 * A blocking reader and the library's loop thread share a CPU while a
 * bulk download runs (DESIGN, "A blocking reader waits where the loop
 * runs"). They take turns anyway, over the stack lock: the loop places
 * a batch, the reader copies it out. On one CPU the reader's wake-up is
 * a switch, not an interrupt to another CPU, and the bytes it copies
 * are still in that CPU's cache; the sender and the kernel's forwarding
 * have the other CPUs to themselves. Apart, the scheduler wakes the
 * reader wherever a CPU is idle, and on two CPUs all three share them.
 *
 * The reader keeps, for the call that waits, to the CPU it is on, one
 * of its own; the loop thread goes there, and back to its own set when
 * the flow ends. It moves at most once per LOOP_MOVE_US, so readers of
 * two flows on two CPUs do not toss it between them every pass.
 */
enum { LOOP_MOVE_US = 10000 };

/* The calling thread to the one CPU cpu: 0, or an error number. */
static int keep_to(int cpu)
{
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	return pthread_setaffinity_np(pthread_self(), sizeof one, &one);
}

int reader_stay(struct nc_stack *s, cpu_set_t *was)
{
	int cpu;

	if (!s->has_thread || loop_is_current(s) || s->flow < FLOW_ON ||
	    pthread_getaffinity_np(pthread_self(), sizeof *was, was) != 0 ||
	    (cpu = sched_getcpu()) < 0 || keep_to(cpu) != 0)
		return 0;
	s->reader_cpu = cpu;
	return 1;
}

void reader_return(const cpu_set_t *was)
{
	pthread_setaffinity_np(pthread_self(), sizeof *was, was);
}

/* The loop thread to the reader's CPU (cpu >= 0), or back to its own set. */
static void loop_keep_to(struct nc_stack *s, int cpu, uint64_t now)
{
	if (cpu < 0)
		pthread_setaffinity_np(pthread_self(), sizeof s->loop_cpus, &s->loop_cpus);
	else if (keep_to(cpu) != 0)
		return;
	s->loop_cpu = cpu;
	s->loop_moved = now;
}

static void follow_reader(struct nc_stack *s, uint64_t now)
{
	if (s->flow >= FLOW_ON && s->reader_cpu >= 0 && s->reader_cpu != s->loop_cpu &&
	    now - s->loop_moved >= LOOP_MOVE_US)
		loop_keep_to(s, s->reader_cpu, now);
	else if (s->flow < FLOW_OFF && s->loop_cpu >= 0) {
		loop_keep_to(s, -1, now);
		s->reader_cpu = -1;
	}
}

static void follow_flow(struct nc_stack *s, uint64_t now)
{
	s->flow += ((int64_t)s->pass_bytes - s->flow) / 8;
	s->out_flow += ((int64_t)s->pass_out - s->out_flow) / 8;
	s->pass_bytes = 0;
	s->pass_out = 0;
	if (s->has_thread) {
		follow_reader(s, now);
		return;
	}
	tun_set_threaded(s, s->threaded ? s->flow >= FLOW_OFF : s->flow >= FLOW_ON);
	tx_follow(s, s->tx_on ? s->out_flow >= FLOW_OFF : s->out_flow >= FLOW_ON);
}

/*
 * A burst of connections leaves the heap full of holes (each socket, its
 * TCP state, a conversation above it) that malloc keeps for reuse. Once
 * the stack's connections have fallen to half their peak, the free pages
 * go back to the system, so a stack that served a burst does not stay
 * at its high-water mark. Counted in connections, not bytes: the data in
 * flight comes and goes with every transfer, and trimming after each
 * would cost more than it gives back.
 */
static void give_back(struct nc_stack *s)
{
	size_t n = stack_conns(s->core);

	if (n > s->conns_peak) {
		s->conns_peak = n;
	} else if (s->conns_peak >= 64 && n <= s->conns_peak / 2) {
		malloc_trim(0);
		s->conns_peak = n;
	}
}

/*
 * Raise the calling thread loop_boost nice levels (a thread's own on
 * Linux) while it runs the loop: 1 if raised, from *was. The kernel's
 * network processing runs before any program; a stack in a program
 * shares the CPUs with its readers and peers, and would wait behind
 * them (DESIGN, "The loop runs above its programs"). Without the right
 * (CAP_SYS_NICE) the thread runs as it was.
 */
static int boost(const struct nc_stack *s, int *was)
{
	id_t tid = (id_t)gettid();

	if (s->cfg.loop_boost == 0)
		return 0;
	errno = 0;
	*was = getpriority(PRIO_PROCESS, tid);
	return errno == 0 && setpriority(PRIO_PROCESS, tid, *was - s->cfg.loop_boost) == 0;
}

int loop_is_current(const struct nc_stack *s)
{
	return s->in_loop && pthread_equal(s->loop_thread, pthread_self());
}

/*
 * A blocking connect on a program's thread, beside the library's loop
 * thread: the SYN's write runs the host's forwarding and the far end's
 * answer inside the system call, so the SYN-ACK is nearly always queued
 * on the TUN when the write returns. Read here, once, under the stack
 * lock (the loop reads the TUN under it too, so nothing comes out of
 * order), it spares two wake-ups across CPUs, the loop's and then the
 * caller's, tens of µs each on a virtual machine. Not once the program
 * has set a log or event callback: the header runs those on the loop,
 * and a packet read here may be any connection's.
 */
void loop_input_now(struct nc_stack *s)
{
	if (!s->has_thread || loop_is_current(s) || s->log || s->event_cbs || s->stopping)
		return;
	stack_flush(s->core);	/* the SYN goes out */
	read_tun(s, clock_now());	/* a failed TUN: the loop sees it too, and stops */
}

/* Until nc_stop: 0. A failed TUN (deleted under us) or epoll: -1 with
 * errno, since the stack has no network left. */
int loop_run(struct nc_stack *s)
{
	struct epoll_event evs[MAX_EVENTS];
	uint64_t now;
	int err = 0, was = 0, boosted = boost(s, &was);

	pthread_mutex_lock(&s->lock);
	s->loop_thread = pthread_self();
	s->in_loop = 1;
	s->loop_cpu = -1;
	if (pthread_getaffinity_np(pthread_self(), sizeof s->loop_cpus, &s->loop_cpus) != 0)
		for (int i = 0; i < CPU_SETSIZE; i++)	/* all: the kernel keeps to its own */
			CPU_SET(i, &s->loop_cpus);
	now = clock_now();
	while (!s->stopping && !err) {
		int n;

		arm_timer(s);
		pthread_mutex_unlock(&s->lock);
		n = wait_events(s, evs, clock_now() - now);
		pthread_mutex_lock(&s->lock);
		if (n < 0 && errno != EINTR)
			err = errno;
		now = clock_now();
		for (int i = 0; i < n && !err; i++)
			if (dispatch(s, evs[i].data.fd, now) < 0)
				err = errno;
		s->tun_busy = 0;
		for (int i = 0; i < n; i++)
			s->tun_busy |= evs[i].data.fd == s->tunfd;
		stack_poll(s->core, clock_now());
		tx_kick(s);
		follow_flow(s, now);
		give_back(s);
		if (s->pcap)
			fflush(s->pcap);
	}
	tx_follow(s, 0);
	if (s->loop_cpu >= 0)
		loop_keep_to(s, -1, now);
	s->in_loop = 0;
	if (err) {	/* threads blocked in the API must not wait for it */
		s->stopping = 1;
		pthread_cond_broadcast(&s->cond);
	}
	pthread_mutex_unlock(&s->lock);
	if (boosted)
		setpriority(PRIO_PROCESS, (id_t)gettid(), was);
	errno = err;
	return err ? -1 : 0;
}

void loop_del_fd(struct nc_stack *s, int fd)
{
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
}
