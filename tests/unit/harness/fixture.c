/* The unit tests' fixture (see fixture.h). */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <netcore/netcore.h>

#include "sock.h"
#include "fixture.h"

struct link *l;
struct stack *a, *b;

void two_stacks(void)
{
	struct stack_config ca = { .addr = A_ADDR, .prefix = 24, .mtu = 1500, .seed = 11 };
	struct stack_config cb = { .addr = B_ADDR, .prefix = 24, .mtu = 1500, .seed = 22 };

	l = link_new(&ca, &cb);
	cr_assert_not_null(l);
	a = link_stack(l, LINK_A);
	b = link_stack(l, LINK_B);
}

void stack_and_tap(void)
{
	struct stack_config ca = { .addr = A_ADDR, .prefix = 24, .mtu = 1500, .seed = 11 };

	l = link_new(&ca, NULL);
	cr_assert_not_null(l);
	a = link_stack(l, LINK_A);
	b = NULL;
}

enum { LEAK_WAIT_US = 3600ull * 1000000 };	/* orphans give up within minutes */

static void close_all(struct stack *st)
{
	for (int fd = 0; st != NULL && sock_count(st) > 0; fd++)
		if (sock_get(st, fd) != NULL)
			cr_assert_eq(sock_close(st, fd), 0);
}

static int let_go(void *arg)
{
	struct link *link = arg;

	for (int end = LINK_A; end <= LINK_B; end++)
		if (link_stack(link, end) != NULL && stack_mem(link_stack(link, end)) > 0)
			return 0;
	return 1;
}

/* Criterion does not count a failed assertion in a .fini: a leak ends
 * the test's process instead, which it reports as a crash. */
void leak_check(struct stack *st, char name)
{
	if (st == NULL || stack_mem(st) == 0)
		return;
	fprintf(stderr, "leak: stack %c still holds %zu things (sockets, tcbs, chunks, "
		"reassembly bytes, timers)\n", name, stack_mem(st));
	abort();
}

void fixture_free(struct link *link)
{
	close_all(link_stack(link, LINK_A));
	close_all(link_stack(link, LINK_B));
	link_run_until(link, let_go, link, LEAK_WAIT_US);
	for (int end = LINK_A; end <= LINK_B; end++)
		leak_check(link_stack(link, end), 'A' + end);
	link_free(link);
}

void teardown(void)
{
	fixture_free(l);
	l = NULL;
}

void run_ms(uint64_t ms)
{
	link_run(l, link_now(l) + ms * 1000);
}

ssize_t send_str(struct stack *st, int fd, const char *s)
{
	return sock_sendto(st, fd, s, strlen(s), 0, NULL, 0);
}

int set_int(struct stack *st, int fd, int level, int name, int v)
{
	return sock_setopt(st, fd, level, name, &v, sizeof v);
}

int drop_all(void *arg, int dir, const uint8_t *pkt, size_t len)
{
	(void)arg, (void)dir, (void)pkt, (void)len;
	return LINK_DROP;
}

int tcp_sock(struct stack *st)
{
	int fd = sock_socket(st, AF_INET, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0, "socket: %d", fd);
	return fd;
}

struct sockaddr_in sin_of(uint32_t addr, uint16_t port)
{
	return (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(port),
				     .sin_addr.s_addr = htonl(addr) };
}

int bind_to(struct stack *st, int fd, uint32_t addr, uint16_t port)
{
	struct sockaddr_in sin = sin_of(addr, port);

	return sock_bind(st, fd, (struct sockaddr *)&sin, sizeof sin);
}

int listen_on(struct stack *st, uint16_t port, int backlog)
{
	int fd = tcp_sock(st);

	cr_assert_eq(bind_to(st, fd, 0, port), 0);
	cr_assert_eq(sock_listen(st, fd, backlog), 0);
	return fd;
}

int connect_to(struct stack *st, int fd, uint32_t addr, uint16_t port)
{
	struct sockaddr_in sin = sin_of(addr, port);

	return sock_connect(st, fd, (struct sockaddr *)&sin, sizeof sin);
}

int state_of(struct stack *st, int fd)
{
	struct nc_tcp_info ti;
	socklen_t len = sizeof ti;

	cr_assert_eq(sock_getopt(st, fd, IPPROTO_TCP, NC_TCP_INFO, &ti, &len), 0);
	return ti.state;
}

int so_error(struct stack *st, int fd)
{
	int e = -1;
	socklen_t len = sizeof e;

	cr_assert_eq(sock_getopt(st, fd, SOL_SOCKET, SO_ERROR, &e, &len), 0);
	return e;
}

uint64_t tcp_stat(struct stack *st, const char *name)
{
	return stack_counter(st, IPPROTO_TCP, name);
}

void make_pair(uint16_t port, int *c, int *s)
{
	int lfd = listen_on(b, port, 8);

	*c = tcp_sock(a);
	cr_assert_eq(connect_to(a, *c, B_ADDR, port), -EINPROGRESS);
	run_ms(10);
	cr_assert_eq(state_of(a, *c), NC_TCP_ESTABLISHED);
	*s = sock_accept(b, lfd, NULL, NULL);
	cr_assert_geq(*s, 0, "accept: %d", *s);
	cr_assert_eq(state_of(b, *s), NC_TCP_ESTABLISHED);
	cr_assert_eq(sock_close(b, lfd), 0);
}

static uint8_t pattern(size_t i)
{
	uint32_t x = (uint32_t)i * 2654435761u;

	return (uint8_t)(x >> 24 ^ i >> 12);
}

/* Send what fa's stack takes of the flow's pattern, read what came to
 * fb, checking each byte. */
static void flow_step(struct flow *f)
{
	static uint8_t in[65536];

	while (f->sent < f->n) {
		ssize_t r;
		if (f->sent == f->base + f->have) {	/* the next piece of the pattern */
			f->base = f->sent;
			f->have = f->n - f->sent < sizeof f->out ? f->n - f->sent : sizeof f->out;
			for (size_t i = 0; i < f->have; i++)
				f->out[i] = pattern(f->base + i);
		}
		r = sock_sendto(f->sa, f->fa, f->out + (f->sent - f->base),
				f->base + f->have - f->sent, 0, NULL, 0);
		if (r == -EAGAIN)
			break;
		cr_assert_gt(r, 0, "send: %zd", r);
		f->sent += (size_t)r;
	}
	for (;;) {
		ssize_t r = sock_recvfrom(f->sb, f->fb, in, sizeof in, 0, NULL, NULL);
		if (r == -EAGAIN)
			break;
		cr_assert_gt(r, 0, "recv: %zd after %zu bytes", r, f->got);
		for (ssize_t i = 0; i < r; i++)
			if (in[i] != pattern(f->got + (size_t)i))
				cr_assert_fail("byte %zu differs", f->got + (size_t)i);
		f->got += (size_t)r;
	}
}

void pump_flows(struct flow *f, int n, uint64_t max_ms)
{
	uint64_t end = link_now(l) + max_ms * 1000;

	for (;;) {
		int done = 1;
		for (int i = 0; i < n; i++) {
			flow_step(&f[i]);
			done &= f[i].got == f[i].n;
		}
		if (done || link_now(l) >= end)
			return;
		run_ms(1);
	}
}

size_t pump(struct stack *sa, int fa, struct stack *sb, int fb, size_t n, uint64_t max_ms)
{
	static struct flow f;

	f = (struct flow){ .sa = sa, .fa = fa, .sb = sb, .fb = fb, .n = n };
	pump_flows(&f, 1, max_ms);
	return f.got;
}
