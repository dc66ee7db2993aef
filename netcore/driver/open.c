/*
 * Opening and closing a stack: the configuration, the TUN, the host side,
 * the packet capture, the core itself and the loop thread, and undoing
 * all of it. What cannot be opened is said once, in nc_error().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "driver.h"
#include "ip.h"
#include "stack.h"
#include "tcp.h"

static __thread char open_error[256];

const char *nc_error(void)
{
	return open_error;
}

void nc_config_init_size(struct nc_config *cfg, size_t size)
{
	struct nc_config d;

	memset(&d, 0, sizeof d);
	d.tun = "sn0";
	inet_pton(AF_INET, "10.77.0.2", &d.addr);
	d.prefix = 24;
	inet_pton(AF_INET, "10.77.0.1", &d.gw);
	d.mtu = 1500;
	d.msl_ms = 30000;
	inet_pton(AF_INET6, "fd77::2", &d.addr6);
	d.prefix6 = 64;
	inet_pton(AF_INET6, "fd77::1", &d.gw6);
	if (size > sizeof d)
		size = sizeof d;	/* a newer caller: its extra fields stay 0 */
	memcpy(cfg, &d, size);
	if (size >= sizeof cfg->size)
		cfg->size = size;
}

/* "address/N" of family af, N at most max (the default without "/N"). */
static int parse_cidr(int af, const char *s, void *addr, int *prefix, long max)
{
	char buf[64], *slash, *end;
	long p = max;

	if (s == NULL || strlen(s) >= sizeof buf)
		goto bad;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash) {
		*slash++ = 0;
		errno = 0;
		p = strtol(slash, &end, 10);
		if (*slash == 0 || *end != 0 || errno || p < 0 || p > max)
			goto bad;
	}
	if (inet_pton(af, buf, addr) != 1)
		goto bad;
	*prefix = (int)p;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

int nc_parse_cidr(const char *s, struct in_addr *addr, int *prefix)
{
	return parse_cidr(AF_INET, s, addr, prefix, 32);
}

int nc_parse_cidr6(const char *s, struct in6_addr *addr, int *prefix)
{
	return parse_cidr(AF_INET6, s, addr, prefix, 128);
}

static void wake_waiters(void *arg)
{
	struct nc_stack *s = arg;

	pthread_cond_broadcast(&s->cond);
}

static void output(void *arg, const uint8_t *pkt, size_t len, unsigned gso)
{
	tun_write(arg, pkt, len, gso);
}

static void output_iov(void *arg, const struct iovec *iov, int cnt, size_t len, unsigned gso)
{
	tun_writev(arg, iov, cnt, len, gso);
}

static int fail(struct nc_stack *s, int err, const char *fmt, const char *what)
{
	snprintf(open_error, sizeof open_error, fmt, what, strerror(err));
	errno = err;
	(void)s;
	return -1;
}

static int open_driver(struct nc_stack *s, const struct nc_config *cfg)
{
	char errbuf[200] = "cannot configure the TUN: out of memory";

	s->tunfd = tun_open(cfg->tun, !cfg->no_ipv6, s->tun, &s->created_tun);
	if (s->tunfd < 0)
		return fail(s, errno, "cannot open TUN %s: %s", cfg->tun);
	s->napi_fd = tun_threaded_open(s->tun);
	if (!cfg->no_config) {
		int r = nl_configure(s->tun, cfg, errbuf, sizeof errbuf);

		if (r < 0) {
			snprintf(open_error, sizeof open_error, "%s", errbuf);
			errno = -r;
			return -1;
		}
		s->configured = 1;
	}
	if (cfg->pcap) {
		s->pcap = pcap_open(cfg->pcap);
		if (s->pcap == NULL)
			return fail(s, errno, "cannot write pcap file %s: %s", cfg->pcap);
	}
	if (loop_init(s) < 0)
		return fail(s, errno, "cannot set up the event loop%s: %s", "");
	return 0;
}

static void *loop_main(void *arg)
{
	loop_run(arg);
	return NULL;
}

/* The congestion control algorithm cfg names, -1 if none. */
static int config_cc(const struct nc_config *cfg)
{
	return cfg->cc ? tcp_cc_find(cfg->cc, strlen(cfg->cc)) : TCP_CC_CUBIC;
}

/* The struct of soversion 0, the shortest a caller may pass. */
static const size_t config_size_0 = offsetof(struct nc_config, cc) + sizeof(const char *);

/* The caller's config into ours: a shorter one (a program built against
 * an older netcore.h) leaves the fields it lacks at their defaults. */
static int import_config(struct nc_config *out, const struct nc_config *in)
{
	if (in->size < config_size_0 || in->size > sizeof *out) {
		snprintf(open_error, sizeof open_error,
			 "struct nc_config of unknown size %zu (fill it with nc_config_init)",
			 in->size);
		errno = EINVAL;
		return -1;
	}
	nc_config_init(out);
	memcpy(out, in, in->size);
	out->size = sizeof *out;
	return 0;
}

static int check_config(const struct nc_config *cfg)
{
	if (cfg->tun != NULL && config_cc(cfg) < 0) {
		snprintf(open_error, sizeof open_error,
			 "unknown congestion control '%s' (cubic, reno or newreno, bbr)", cfg->cc);
		errno = EINVAL;
		return -1;
	}
	if (cfg->tun == NULL || cfg->prefix < 0 || cfg->prefix > 32 || cfg->prefix6 < 0 ||
	    cfg->prefix6 > 128 || cfg->mtu < 576 ||
	    cfg->mtu > IP_MAXPACKET || cfg->loop_boost < 0 || cfg->loop_boost > 19) {
		snprintf(open_error, sizeof open_error, "invalid configuration");
		errno = EINVAL;
		return -1;
	}
	return 0;
}

struct nc_stack *nc_open(const struct nc_config *cfg)
{
	struct nc_stack *s = calloc(1, sizeof *s);
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;
	struct stack_config sc;
	uint64_t seed;

	open_error[0] = 0;
	if (s == NULL || import_config(&s->cfg, cfg) < 0 || check_config(&s->cfg) < 0) {
		free(s);
		return NULL;
	}
	cfg = &s->cfg;
	s->tunfd = s->epfd = s->timerfd = s->evfd = s->napi_fd = -1;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&s->lock, &ma);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);

	if (open_driver(s, cfg) < 0)
		goto fail;
	sc = (struct stack_config){
		.addr = ntohl(cfg->addr.s_addr), .prefix = cfg->prefix,
		.gw = ntohl(cfg->gw.s_addr), .mtu = cfg->mtu,
		.msl_ms = cfg->msl_ms,
		.no_timestamps = cfg->no_timestamps, .no_sack = cfg->no_sack,
		.buf_max = cfg->buf_max,
		.tso = 1,	/* tun_open asked the kernel for TSO4 */
		/* the kernel finishes TCP checksums; a capture wants them whole */
		.csum_offload = s->pcap == NULL,
		.output_iov = output_iov,
		.tcp_cc = config_cc(cfg),
	};
	if (!cfg->no_ipv6) {	/* an addr6 of :: leaves the core IPv4 only */
		sc.addr6 = cfg->addr6;
		sc.prefix6 = cfg->prefix6;
		sc.gw6 = cfg->gw6;
	}
	/* The keys a remote host must not guess (RFC 6528, RFC 6056) come
	 * from the kernel's generator, not from the time and the pid. */
	if (getrandom(&seed, sizeof seed, 0) != sizeof seed ||
	    getrandom(sc.secret, sizeof sc.secret, 0) != sizeof sc.secret) {
		fail(s, errno, "cannot draw random keys%s: %s", "");
		goto fail;
	}
	sc.seed = seed | 1;	/* xorshift needs a state other than 0 */
	s->csum_offload = sc.csum_offload;
	s->core = stack_new(&sc, output, s);
	if (s->core == NULL) {
		fail(s, ENOMEM, "cannot create the stack%s: %s", "");
		goto fail;
	}
	s->reader_cpu = -1;
	s->core->wake = wake_waiters;
	s->core->wake_arg = s;
	s->core->now = clock_now();
	if (!cfg->own_loop) {
		if (pthread_create(&s->thread, NULL, loop_main, s) != 0) {
			fail(s, EAGAIN, "cannot start the loop thread%s: %s", "");
			goto fail;
		}
		s->has_thread = 1;
	}
	return s;
fail:
	{
		int e = errno;
		nc_close_stack(s);
		errno = e;
	}
	return NULL;
}

void nc_close_stack(struct nc_stack *s)
{
	if (s == NULL)
		return;
	if (s->has_thread) {
		nc_stop(s);
		pthread_join(s->thread, NULL);
	}
	pthread_mutex_lock(&s->lock);
	tx_close(s);
	stack_free(s->core);	/* resets every connection through the TUN */
	s->core = NULL;
	pthread_mutex_unlock(&s->lock);
	loop_fini(s);
	if (s->configured && !s->created_tun)
		nl_unconfigure(s->tun, &s->cfg);
	tun_set_threaded(s, 0);	/* a TUN not ours is left as it was */
	if (s->napi_fd >= 0)
		close(s->napi_fd);
	if (s->tunfd >= 0)
		close(s->tunfd);	/* a TUN we created disappears with it */
	if (s->pcap)
		fclose(s->pcap);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
