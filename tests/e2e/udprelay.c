/*
 * udprelay NET PORT HOST!HPORT: a UDP relay on the stack, over /net.
 *
 * A conversation announced on *!PORT in `headers` mode takes the
 * datagrams of one client at a time (the last sender seen); a second
 * conversation, connected to HOST!HPORT, carries them on, and the
 * server's answers go back to that client behind the header it last
 * sent. Each data file is opened ONCE, read-write, and used by two
 * threads at once: one reads it while another writes it (slashnet(4):
 * a write never waits for a read that waits for data). Threads "up"
 * read the announced conversation and write the connected one; thread
 * "down" reads the connected one and writes the announced one.
 *
 * Prints "ready" once both conversations are set up; at SIGTERM prints
 * "up N", "down N" (datagrams relayed each way) and "errors N", then
 * exits. An ECONNREFUSED (the server's port closed for a moment, as
 * between two iperf3 tests) is counted and the relay goes on; any other
 * failure ends it with a message and exit status 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { HDR = 52, MAXDG = 65536 + HDR };	/* Plan 9's UDP header */

static const char *net;
static int lfd, cfd;			/* the two data files */
static atomic_ulong up_n, down_n, errors_n;

/* The last client's header, for the answers; set once one has come. */
static pthread_mutex_t peer_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t peer_came = PTHREAD_COND_INITIALIZER;
static unsigned char peer[HDR];
static int have_peer;

static void die(const char *what)
{
	fprintf(stderr, "udprelay: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* A new UDP conversation set up with CMDS (NULL-ended): its number. The
 * ctl file stays open for the relay's life (closing it ends the call). */
static int conv(const char **cmds)
{
	char path[4096], buf[32];
	int ctl;
	ssize_t r;

	snprintf(path, sizeof path, "%s/udp/clone", net);
	ctl = open(path, O_RDWR);
	if (ctl < 0)
		die(path);
	r = read(ctl, buf, sizeof buf - 1);
	if (r <= 0)
		die("read clone");
	buf[r] = 0;
	for (; *cmds != NULL; cmds++)
		if (write(ctl, *cmds, strlen(*cmds)) < 0)
			die(*cmds);
	return atoi(buf);
}

static int open_data(int n)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof path, "%s/udp/%d/data", net, n);
	fd = open(path, O_RDWR);
	if (fd < 0)
		die(path);
	return fd;
}

/* read(2) or write(2) that counts and ignores ECONNREFUSED. */
static ssize_t xread(int fd, void *b, size_t n)
{
	ssize_t r;

	while ((r = read(fd, b, n)) < 0 && (errno == ECONNREFUSED || errno == EINTR))
		errors_n += errno == ECONNREFUSED;
	if (r < 0)
		die("read");
	return r;
}

static void xwrite(int fd, const void *b, size_t n)
{
	ssize_t r;

	while ((r = write(fd, b, n)) < 0 && (errno == ECONNREFUSED || errno == EINTR))
		errors_n += errno == ECONNREFUSED;
	if (r < 0)
		die("write");
}

/* The up direction is two threads, a reader and a writer with a ring of
 * datagrams between them, so that a read of the announced conversation
 * and a write of the connected one are under way at once: one thread
 * doing both in turn waits out two FUSE round trips a datagram, which on
 * a 2-core VM is ~100 Mbit/s of 1448-byte datagrams at best. */
enum { RING = 32 };

static struct {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	unsigned head, tail;	/* head - tail datagrams wait */
	size_t len[RING];
	unsigned char dg[RING][MAXDG];
} ring = { .lock = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER };

static void *up_read(void *arg)
{
	ssize_t r;

	(void)arg;
	for (;;) {
		unsigned char *dg;

		pthread_mutex_lock(&ring.lock);
		while (ring.head - ring.tail == RING)
			pthread_cond_wait(&ring.changed, &ring.lock);
		dg = ring.dg[ring.head % RING];
		pthread_mutex_unlock(&ring.lock);
		r = xread(lfd, dg, MAXDG);
		if (r < HDR) {
			errors_n++;
			continue;
		}
		pthread_mutex_lock(&peer_lock);
		memcpy(peer, dg, HDR);
		have_peer = 1;
		pthread_cond_signal(&peer_came);
		pthread_mutex_unlock(&peer_lock);
		pthread_mutex_lock(&ring.lock);
		ring.len[ring.head % RING] = (size_t)r;
		ring.head++;
		pthread_cond_broadcast(&ring.changed);
		pthread_mutex_unlock(&ring.lock);
	}
	return NULL;
}

static void *up_write(void *arg)
{
	(void)arg;
	for (;;) {
		unsigned slot;

		pthread_mutex_lock(&ring.lock);
		while (ring.head == ring.tail)
			pthread_cond_wait(&ring.changed, &ring.lock);
		slot = ring.tail % RING;
		pthread_mutex_unlock(&ring.lock);
		xwrite(cfd, ring.dg[slot] + HDR, ring.len[slot] - HDR);
		up_n++;
		pthread_mutex_lock(&ring.lock);
		ring.tail++;
		pthread_cond_broadcast(&ring.changed);
		pthread_mutex_unlock(&ring.lock);
	}
	return NULL;
}

static void *down(void *arg)
{
	static unsigned char dg[MAXDG];
	ssize_t r;

	(void)arg;
	for (;;) {
		r = xread(cfd, dg + HDR, sizeof dg - HDR);
		pthread_mutex_lock(&peer_lock);
		while (!have_peer)
			pthread_cond_wait(&peer_came, &peer_lock);
		memcpy(dg, peer, HDR);
		pthread_mutex_unlock(&peer_lock);
		xwrite(lfd, dg, HDR + r);
		down_n++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	char announce[64], connect[300];
	const char *lcmds[] = { announce, "headers", NULL };
	const char *ccmds[] = { connect, NULL };
	pthread_t t;
	sigset_t set;
	int sig;

	if (argc != 4) {
		fprintf(stderr, "usage: udprelay NET PORT HOST!HPORT\n");
		return 2;
	}
	net = argv[1];
	snprintf(announce, sizeof announce, "announce *!%s", argv[2]);
	snprintf(connect, sizeof connect, "connect %s", argv[3]);
	/* SIGTERM is taken by sigwait below, never by the copying threads */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	lfd = open_data(conv(lcmds));
	cfd = open_data(conv(ccmds));
	if (pthread_create(&t, NULL, up_read, NULL) != 0 ||
	    pthread_create(&t, NULL, up_write, NULL) != 0 ||
	    pthread_create(&t, NULL, down, NULL) != 0)
		die("pthread_create");
	printf("ready\n");
	fflush(stdout);
	sigwait(&set, &sig);
	printf("up %lu\ndown %lu\nerrors %lu\n", (unsigned long)up_n,
	       (unsigned long)down_n, (unsigned long)errors_n);
	fflush(stdout);
	_exit(0);
}
