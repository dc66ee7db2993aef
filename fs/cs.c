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
	int dns_h[2];		/* the A and AAAA lookups under way, 0 if none */
	int dns_err;		/* how the first that failed failed */
	struct addrs got;	/* the addresses so far */
	struct gaicb gcb;	/* through the host, when there is no --dns */
	struct addrinfo hints;
	char name[DNS_NAME_MAX + 1];
};

static const uint16_t qtypes[2] = { DNS_T_A, DNS_T_AAAA };


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

static void add_addr(struct addrs *as, const struct in6_addr *a)
{
	union addr *u;

	if (as->n >= CS_MAX_ADDRS)
		return;
	u = &as->a[as->n++];
	memset(u, 0, sizeof *u);
	u->v6.sin6_family = AF_INET6;
	u->v6.sin6_addr = *a;
	if (IN6_IS_ADDR_V4MAPPED(a))
		addr_as(u, AF_INET);
}

static void add_answer(struct addrs *as, const struct dns_answer *ans)
{
	for (int i = 0; i < ans->n; i++)
		add_addr(as, &ans->addr[i]);
}

/* RFC 6724, simplified: IPv6 addresses first when the stack has an IPv6
 * default route, else IPv4 first; each family in the order it came. */
static void order(struct addrs *as)
{
	struct nc_ifinfo ii;
	struct addrs o = { 0 };
	int v6_first = nc_ifinfo(fs.st, &ii) == 0 && !IN6_IS_ADDR_UNSPECIFIED(&ii.gw6);

	for (int pass = 0; pass < 2; pass++) {
		int want = (pass == 0) == v6_first ? AF_INET6 : AF_INET;

		for (int i = 0; i < as->n; i++)
			if (as->a[i].sa.sa_family == want)
				o.a[o.n++] = as->a[i];
	}
	*as = o;
}

/* The end of a lookup with what it found: every address, or err. */
static void deliver(struct lookup *l, int err)
{
	unlink_lookup(l);
	order(&l->got);
	if (l->done)
		l->done(l->arg, l->got.n > 0 ? 0 : err, &l->got);
	free(l);
}

/* One of the two DNS lookups of l (i: 0 A, 1 AAAA) ended. */
static void dns_took(struct lookup *l, int i, int err, const struct dns_answer *ans)
{
	l->dns_h[i] = 0;
	if (err == 0)
		add_answer(&l->got, ans);
	else if (l->dns_err == 0)
		l->dns_err = err == -ETIMEDOUT || err == -EIO ? -err : ENOENT;
	if (l->dns_h[0] == 0 && l->dns_h[1] == 0)
		deliver(l, l->dns_err ? l->dns_err : ENOENT);
}

static void dns_done_a(void *arg, int err, const struct dns_answer *ans)
{
	dns_took(arg, 0, err, ans);
}

static void dns_done_aaaa(void *arg, int err, const struct dns_answer *ans)
{
	dns_took(arg, 1, err, ans);
}

int cs_init(void)
{
	if (fs.dns.sa.sa_family == AF_UNSPEC)
		return 0;
	/* Query ids and source ports a spoofer must not guess (RFC 5452):
	 * both drawn from the kernel's generator, anew for each lookup. */
	dns = dns_new(0, 0, 0);
	pump = dns_pump_new(fs.st, &fs.dns.sa, dns_sock_event, NULL);
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
	return getaddrinfo_a(GAI_NOWAIT, list, 1, &sev) == 0 ? EINPROGRESS : EAGAIN;
}

/* The signal of a finished getaddrinfo_a: ptr is its lookup. */
void cs_signalled(void *ptr)
{
	struct lookup *l = ptr;
	struct addrinfo *ai;

	if (gai_error(&l->gcb) == 0) {
		for (ai = l->gcb.ar_result; ai; ai = ai->ai_next) {
			if (ai->ai_family == AF_INET6)
				add_addr(&l->got, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr);
			else if (ai->ai_family == AF_INET && l->got.n < CS_MAX_ADDRS)
				memcpy(&l->got.a[l->got.n++], ai->ai_addr, sizeof(struct sockaddr_in));
		}
		freeaddrinfo(l->gcb.ar_result);
	}
	for (int i = 0; i < l->got.n; i++)
		addr_set_port(&l->got.a[i], 0);
	deliver(l, ENOENT);
}

/* ---- either ---- */

/* Start the DNS lookups of l: 0 with l->got when the cache had every
 * answer, EINPROGRESS when some are under way. */
static int dns_start(struct lookup *l)
{
	static const dns_done_fn done[2] = { dns_done_a, dns_done_aaaa };
	struct dns_answer ans;

	for (int i = 0; i < (fs.no_ipv6 ? 1 : 2); i++) {
		int h = dns_lookup(dns, now_ms(), l->name, qtypes[i], &ans, done[i], l);

		if (h > 0)
			l->dns_h[i] = h;
		else if (h == 0)
			add_answer(&l->got, &ans);
	}
	if (l->dns_h[0] || l->dns_h[1]) {
		dns_pump();
		return EINPROGRESS;
	}
	return 0;
}

int resolve(const char *name, struct addrs *as, resolve_fn done, void *arg, struct lookup **lp)
{
	struct lookup *l;
	int err;

	memset(as, 0, sizeof *as);
	err = addr_host(name, &as->a[0]);
	if (err != ENOENT) {	/* a literal, *, /etc/hosts, or malformed */
		as->n = err == 0;
		return err;
	}
	if (strlen(name) > DNS_NAME_MAX || (l = calloc(1, sizeof *l)) == NULL)
		return ENOENT;
	strcpy(l->name, name);
	l->done = done;
	l->arg = arg;
	err = dns ? dns_start(l) : host_lookup(l);
	if (err != EINPROGRESS) {	/* answered from the cache, or failed */
		order(&l->got);
		*as = l->got;
		free(l);
		return err ? err : as->n > 0 ? 0 : ENOENT;
	}
	l->next = lookups;
	lookups = l;
	*lp = l;
	return EINPROGRESS;
}

/* Stop l's lookups: 1 if done, 0 for a host lookup a resolver thread
 * still works on (its signal will come). */
static int stop(struct lookup *l)
{
	if (dns) {
		for (int i = 0; i < 2; i++)
			if (l->dns_h[i])
				dns_cancel(dns, l->dns_h[i]);
		return 1;
	}
	return gai_cancel(&l->gcb) == EAI_CANCELED;
}

void resolve_cancel(struct lookup *l)
{
	l->done = NULL;
	if (!stop(l))
		return;
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
		if (!stop(l))
			continue;
		l->got.n = 0;
		if (l->done)
			l->done(l->arg, ECONNRESET, &l->got);
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

/* The answer lines of address a to f; how many. */
static int lines_of(FILE *f, const char *proto, const char *service, const union addr *a,
		    int any)
{
	static const char *const both[] = { "tcp", "udp" };
	char ip[ADDR_TEXT];
	int lines = 0;

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
	return lines;
}

/* The answer lines, for every address of as in turn; ENOENT if the
 * service is unknown to every protocol asked. */
static int answer(struct ofile *of, const char *proto, const char *service,
		  const struct addrs *as, int any)
{
	char *text = NULL;
	size_t len = 0;
	int lines = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		return ENOMEM;
	for (int i = 0; i < (any ? 1 : as->n); i++)
		lines += lines_of(f, proto, service, &as->a[i], any);
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

/* Answer the write p with the lines for as, or with err. */
static void cs_reply(struct pending *p, int err, const struct addrs *as)
{
	struct csreq *q = p->ctx;

	if (err != 0 && err != EINTR && err != ENOMEM)
		err = ENOENT;	/* untranslatable, whatever the reason */
	if (err == 0)
		err = answer(p->of, q->proto, q->service, as, q->any);
	if (err) {
		p->of->len = p->of->pos = 0;	/* no answer to read */
		fuse_reply_err(p->req, err);
	} else {
		fuse_reply_write(p->req, p->len);
	}
}

static void cs_resolved(void *arg, int err, const struct addrs *as)
{
	struct pending *p = arg;

	p->l = NULL;		/* over: nothing to cancel */
	cs_reply(p, err, as);
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
	struct addrs as = { 0 };
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
	err = q->any ? 0 : resolve(host, &as, cs_resolved, p, &p->l);
	if (err != EINPROGRESS) {
		cs_reply(p, err, &as);
		free(q);
		free(p);
		return;
	}
	p->cancel = resolve_cancel_pending;
	pend_park(NULL, p);
}

/* ---- dns: 9front's query file ---- */

/*
 * Write "name type", then read the answers, a line each, as
 * "name ip\taddress". The resolver is cs's (/etc/hosts, then --dns or
 * the host's), which finds IPv4 addresses only: type ip is answered, the
 * other types of 9front's dns (ipv6 ptr mx txt cname ns soa srv any) are
 * refused with EOPNOTSUPP, an unknown one with EINVAL.
 */
struct dnsq {
	char name[DNS_NAME_MAX + 1];
	int v6;		/* asked for "ipv6", not "ip" */
};

/* The query types answered (ip, ipv6: 0), known others (EOPNOTSUPP). */
static int dns_type(const char *type)
{
	static const char *const others[] = {
		"ptr", "mx", "txt", "cname", "ns", "soa", "srv", "any", "all",
	};

	if (strcmp(type, "ip") == 0 || strcmp(type, "ipv6") == 0)
		return 0;
	for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
		if (strcmp(type, others[i]) == 0)
			return EOPNOTSUPP;
	return EINVAL;
}

static int is_v4(const union addr *a)
{
	return a->sa.sa_family == AF_INET || IN6_IS_ADDR_V4MAPPED(&a->v6.sin6_addr);
}

/* A line per address of the family asked; none is ENOENT. */
static int dns_answer(FILE *f, const struct dnsq *q, const struct addrs *as)
{
	char text[ADDR_TEXT];
	int n = 0;

	for (int i = 0; i < as->n; i++) {
		if (is_v4(&as->a[i]) == q->v6)
			continue;
		fprintf(f, "%s %s\t%s\n", q->name, q->v6 ? "ipv6" : "ip",
			addr_text(&as->a[i], 0, text));
		n++;
	}
	return n ? 0 : ENOENT;
}

static void dns_query_reply(struct pending *p, int err, const struct addrs *as)
{
	struct dnsq *q = p->ctx;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (err != 0 && err != EINTR && err != ENOMEM && err != ETIMEDOUT)
		err = ENOENT;	/* no such name, or no address */
	if (err == 0 && (f = open_memstream(&text, &len)) != NULL) {
		err = dns_answer(f, q, as);
		if (fclose(f) && err == 0)
			err = ENOMEM;
	} else if (err == 0) {
		err = ENOMEM;
	}
	free(p->of->text);
	p->of->text = err ? NULL : text;
	p->of->len = err ? 0 : len;
	p->of->pos = 0;
	if (err) {
		free(text);
		fuse_reply_err(p->req, err);
	} else {
		fuse_reply_write(p->req, p->len);
	}
}

static void dns_query_resolved(void *arg, int err, const struct addrs *as)
{
	struct pending *p = arg;

	p->l = NULL;
	dns_query_reply(p, err, as);
	pend_done(p);
}

void dns_query_write(fuse_req_t req, struct ofile *of, const char *buf, size_t len)
{
	char line[DNS_NAME_MAX + 16], name[DNS_NAME_MAX + 1], type[16], extra;
	struct addrs as = { 0 };
	struct pending *p;
	size_t n = len;
	int err;

	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	err = n >= sizeof line ? EINVAL : 0;
	if (err == 0) {
		memcpy(line, buf, n);
		line[n] = 0;
		err = sscanf(line, "%253s %15s %c", name, type, &extra) != 2 ? EINVAL :
		      dns_type(type);
	}
	p = err ? NULL : pend_new(req, PEND_CS);
	if (p == NULL || (p->ctx = calloc(1, sizeof(struct dnsq))) == NULL) {
		free(p);
		fuse_reply_err(req, err ? err : ENOMEM);
		return;
	}
	strcpy(((struct dnsq *)p->ctx)->name, name);
	((struct dnsq *)p->ctx)->v6 = strcmp(type, "ipv6") == 0;
	p->of = of;
	p->len = len;
	err = resolve(name, &as, dns_query_resolved, p, &p->l);
	if (err != EINPROGRESS) {
		dns_query_reply(p, err, &as);
		free(p->ctx);
		free(p);
		return;
	}
	p->cancel = resolve_cancel_pending;
	pend_park(NULL, p);
}
