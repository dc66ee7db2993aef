/*
 * cs (SPEC.md §6): name to address translation. A write of
 * "proto!host!service" (proto tcp, udp, icmp, or net for tcp and udp)
 * translates it; reads then return one line per protocol, as
 * "/MOUNTPOINT/tcp/clone 10.77.0.1!80". An untranslatable name fails the
 * write with ENOENT.
 *
 * Host names come from /etc/hosts, then from DNS: over the stack's own UDP
 * to --dns ADDR (dns.c) when given, otherwise from the host's resolver,
 * asked with getaddrinfo_a, which reports through a real-time signal on
 * the daemon's signalfd. Either way the loop never waits for an answer:
 * the write is parked until it comes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "conv.h"
#include "cs.h"
#include "dns.h"
#include "log.h"

struct lookup {
	struct lookup *next;
	resolve_fn done;	/* NULL once cancelled */
	void *arg;
	int dns_h;		/* the DNS lookup, 0 if through the host */
	struct gaicb gcb;
	struct addrinfo hints;
	char name[DNS_NAME_MAX + 1];
};

static struct dns *dns;
static struct dns_pump *pump;
static int dns_timer = -1;
static struct lookup *lookups;	/* in flight */

int cs_signo(void)
{
	return SIGRTMIN + 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void unlink_lookup(struct lookup *l)
{
	for (struct lookup **pp = &lookups; *pp; pp = &(*pp)->next) {
		if (*pp == l) {
			*pp = l->next;
			return;
		}
	}
}

/* ---- DNS over the stack ---- */

/* Send what is due, take what came, and wake up at the next deadline. */
static void dns_pump(void)
{
	struct itimerspec its = { 0 };
	uint64_t d;

	dns_pump_run(pump, dns, now_ms());
	d = dns_deadline(dns);
	if (d != UINT64_MAX) {
		d = d ? d : 1;
		its.it_value.tv_sec = (time_t)(d / 1000);
		its.it_value.tv_nsec = (long)(d % 1000) * 1000000;
	}
	timerfd_settime(dns_timer, TFD_TIMER_ABSTIME, &its, NULL);
}

static void dns_sock_event(void *arg, int s, short revents)
{
	(void)arg;
	(void)s;
	(void)revents;
	dns_pump();
}

static void dns_timer_ready(void *arg)
{
	uint64_t n;

	(void)arg;
	if (read(dns_timer, &n, sizeof n) < 0 && errno != EAGAIN)
		logmsg(LOG_WARNING, "dns timer: %s", strerror(errno));
	dns_pump();
}

static void dns_done(void *arg, int err, const struct dns_answer *ans)
{
	struct lookup *l = arg;

	unlink_lookup(l);
	union addr a = { .v4 = { .sin_family = AF_INET } };

	if (err == 0 && ans->n > 0) {
		a.v4.sin_addr = ans->addr[0];
		l->done(l->arg, 0, &a);
	} else {
		l->done(l->arg, err == -ETIMEDOUT || err == -EIO ? -err : ENOENT, &a);
	}
	free(l);
}

int cs_init(void)
{
	if (fs.dns.s_addr == 0)
		return 0;
	/* Query ids and source ports a spoofer must not guess (RFC 5452):
	 * both drawn from the kernel's generator, anew for each lookup. */
	dns = dns_new(0, 0, 0);
	pump = dns_pump_new(fs.st, fs.dns, dns_sock_event, NULL);
	dns_timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (dns == NULL || pump == NULL || dns_timer < 0 ||
	    nc_loop_watch(fs.st, dns_timer, dns_timer_ready, NULL) < 0) {
		logmsg(LOG_ERR, "--dns: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- the host's resolver ---- */

static int host_lookup(struct lookup *l)
{
	struct gaicb *list[1] = { &l->gcb };
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = cs_signo() };

	sev.sigev_value.sival_ptr = l;
	l->hints.ai_family = fs.no_ipv6 ? AF_INET : AF_UNSPEC;
	l->hints.ai_socktype = SOCK_STREAM;
	l->gcb.ar_name = l->name;
	l->gcb.ar_request = &l->hints;
	return getaddrinfo_a(GAI_NOWAIT, list, 1, &sev) == 0 ? 0 : EAGAIN;
}

/* The signal of a finished getaddrinfo_a: ptr is its lookup. */
void cs_signalled(void *ptr)
{
	struct lookup *l = ptr;
	union addr a = { .v4 = { .sin_family = AF_INET } };
	struct addrinfo *ai;
	int err = ENOENT;

	/* the resolver's first address (its RFC 6724 order) */
	if (gai_error(&l->gcb) == 0) {
		for (ai = l->gcb.ar_result; ai && err; ai = ai->ai_next) {
			if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6) {
				memcpy(&a, ai->ai_addr, ai->ai_addrlen);
				addr_set_port(&a, 0);
				err = 0;
			}
		}
		freeaddrinfo(l->gcb.ar_result);
	}
	unlink_lookup(l);
	if (l->done)
		l->done(l->arg, err, &a);
	free(l);
}

/* ---- either ---- */

int resolve(const char *name, union addr *a, resolve_fn done, void *arg, struct lookup **lp)
{
	struct dns_answer ans;
	struct lookup *l;
	int err = addr_host(name, a), h;

	if (err != ENOENT)
		return err;	/* a dotted quad, *, /etc/hosts, or malformed */
	if (strlen(name) > DNS_NAME_MAX || (l = calloc(1, sizeof *l)) == NULL)
		return ENOENT;
	strcpy(l->name, name);
	l->done = done;
	l->arg = arg;
	if (dns) {
		h = dns_lookup(dns, now_ms(), name, &ans, dns_done, l);
		if (h == 0 && ans.n > 0) {
			memset(a, 0, sizeof *a);
			a->v4.sin_family = AF_INET;
			a->v4.sin_addr = ans.addr[0];
		}
		if (h <= 0) {
			free(l);
			return h == 0 && ans.n > 0 ? 0 : ENOENT;
		}
		l->dns_h = h;
		dns_pump();
	} else if ((err = host_lookup(l)) != 0) {
		free(l);
		return err;
	}
	l->next = lookups;
	lookups = l;
	*lp = l;
	return EINPROGRESS;
}

void resolve_cancel(struct lookup *l)
{
	if (l->dns_h) {
		dns_cancel(dns, l->dns_h);
	} else {
		l->done = NULL;		/* the signal will still come */
		if (gai_cancel(&l->gcb) != EAI_CANCELED)
			return;
	}
	unlink_lookup(l);
	free(l);
}

/* At exit: end every lookup, answering its waiter. A host lookup that
 * a resolver thread still works on is left to it: the process ends. */
void cs_fini(void)
{
	struct lookup *l;

	while ((l = lookups) != NULL) {
		lookups = l->next;
		if (l->dns_h)
			dns_cancel(dns, l->dns_h);
		else if (gai_cancel(&l->gcb) != EAI_CANCELED)
			continue;
		l->done(l->arg, ECONNRESET, &(union addr){ .v4 = { .sin_family = AF_INET } });
		free(l);
	}
	dns_pump_free(pump);
	if (dns)
		dns_free(dns);
	if (dns_timer >= 0)
		close(dns_timer);
}

/* ---- the cs file ---- */

/* What a cs write asks, kept while its name is looked up (its ctx). */
struct csreq {
	char proto[8], service[64];
	int any;		/* host "*" */
};

static int is_v6(const union addr *a)
{
	return a->sa.sa_family == AF_INET6 && !IN6_IS_ADDR_V4MAPPED(&a->v6.sin6_addr);
}

/* The answer lines for host address a; ENOENT if the service is unknown
 * to every protocol asked. */
static int answer(struct ofile *of, const char *proto, const char *service, const union addr *a,
		  int any)
{
	static const char *const both[] = { "tcp", "udp" };
	char ip[ADDR_TEXT], *text = NULL;
	size_t len = 0;
	int lines = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		return ENOMEM;
	addr_text(a, 0, ip);
	for (int i = 0; i < 2; i++) {
		const char *p = strcmp(proto, "net") == 0 ? both[i] : proto;
		uint16_t port;

		if (strcmp(p, "icmp") == 0) {	/* the echo of the address's family */
			fprintf(f, "%s/%s/clone %s\n", fs.mountpoint,
				is_v6(a) ? "icmpv6" : "icmp", any ? "*" : ip);
			lines++;
		} else if (addr_port(service, p, &port) == 0) {
			fprintf(f, "%s/%s/clone %s!%u\n", fs.mountpoint, p, any ? "*" : ip, port);
			lines++;
		}
		if (p == proto)
			break;
	}
	fclose(f);
	if (lines == 0) {
		free(text);
		return ENOENT;
	}
	free(of->text);
	of->text = text;
	of->len = len;
	of->pos = 0;
	return 0;
}

/* As in Plan 9, each read returns the next line, whatever the offset. */
void cs_read(fuse_req_t req, struct ofile *of, size_t size)
{
	const char *line = of->text + of->pos, *nl;
	size_t n = of->len - of->pos;

	if (n > 0 && (nl = memchr(line, '\n', n)) != NULL)
		n = (size_t)(nl - line) + 1;
	if (n > size)
		n = size;
	of->pos += n;
	fuse_reply_buf(req, line, n);
}

/* Answer the write p with the lines for a, or with err. */
static void cs_reply(struct pending *p, int err, const union addr *a)
{
	struct csreq *q = p->ctx;

	if (err != 0 && err != EINTR && err != ENOMEM)
		err = ENOENT;	/* untranslatable, whatever the reason */
	if (err == 0)
		err = answer(p->of, q->proto, q->service, a, q->any);
	if (err) {
		p->of->len = p->of->pos = 0;	/* no answer to read */
		fuse_reply_err(p->req, err);
	} else {
		fuse_reply_write(p->req, p->len);
	}
}

static void cs_resolved(void *arg, int err, const union addr *a)
{
	struct pending *p = arg;

	p->l = NULL;		/* over: nothing to cancel */
	cs_reply(p, err, a);
	pend_done(p);
}

void resolve_cancel_pending(struct pending *p)
{
	if (p->l)
		resolve_cancel(p->l);
}

/* Split "proto!host!service" in line into q and *host; EINVAL if it is
 * not one. */
static int cs_parse(char *line, struct csreq *q, char **host)
{
	char *service;

	*host = strchr(line, '!');
	service = *host ? strchr(*host + 1, '!') : NULL;
	if (*host)
		*(*host)++ = 0;
	if (service)
		*service++ = 0;
	if (*host == NULL || strlen(line) >= sizeof q->proto ||
	    (service ? strlen(service) >= sizeof q->service : strcmp(line, "icmp") != 0) ||
	    (strcmp(line, "tcp") && strcmp(line, "udp") && strcmp(line, "icmp") &&
	     strcmp(line, "net")))
		return EINVAL;
	strcpy(q->proto, line);
	strcpy(q->service, service ? service : "");
	q->any = strcmp(*host, "*") == 0;
	return 0;
}

/* "proto!host!service"; the service may be left out for icmp. A name
 * to look up parks the write (PEND_CS) until the answer comes. */
void cs_write(fuse_req_t req, struct ofile *of, const char *buf, size_t len)
{
	char line[256], *host;
	union addr a = { .v4 = { .sin_family = AF_INET } };
	struct pending *p = pend_new(req, PEND_CS);
	struct csreq *q = calloc(1, sizeof *q);
	size_t n = len;
	int err;

	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	err = p == NULL || q == NULL ? ENOMEM : n >= sizeof line ? EINVAL : 0;
	if (err == 0) {
		memcpy(line, buf, n);
		line[n] = 0;
		err = cs_parse(line, q, &host);
	}
	if (err) {
		free(p);
		free(q);
		fuse_reply_err(req, err);
		return;
	}
	p->ctx = q;
	p->of = of;
	p->len = len;
	err = q->any ? 0 : resolve(host, &a, cs_resolved, p, &p->l);
	if (err != EINPROGRESS) {
		cs_reply(p, err, &a);
		free(q);
		free(p);
		return;
	}
	p->cancel = resolve_cancel_pending;
	pend_park(NULL, p);
}
