/*
 * The unit tests' fixture: two stacks on the test link (or one and a
 * tap), the teardown that checks the stacks let go of everything (as
 * lwIP's tests do), sockets through the core API (sock_*), the state of
 * a connection, and a bulk transfer pump with a checkable byte pattern.
 */
#ifndef TESTS_FIXTURE_H
#define TESTS_FIXTURE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "link.h"
#include "stack.h"

enum {
	A_ADDR = 0x0a4d0002,	/* 10.77.0.2 */
	B_ADDR = 0x0a4d0003,	/* 10.77.0.3 */
	TAP_ADDR = 0x0a4d0001,	/* the tap, in scripted-peer tests */
};

struct sockaddr_in;

extern struct link *l;
extern struct stack *a, *b;	/* b is NULL with a tap */

/* a (A_ADDR) and b (B_ADDR) back to back, or a and a tap at end B. */
void two_stacks(void);
void stack_and_tap(void);
/* Close every socket, let the protocols finish (TIME_WAIT, orphans giving
 * up), check each stack holds nothing (stack_mem), free the link. */
void fixture_free(struct link *link);
/* Ends the test (a crash, for Criterion) if st holds anything. */
void leak_check(struct stack *st, char name);
/* fixture_free(l), for .fini */
void teardown(void);

void run_ms(uint64_t ms);
struct sockaddr_in sin_of(uint32_t addr, uint16_t port);
int connect_to(struct stack *st, int fd, uint32_t addr, uint16_t port);
int bind_to(struct stack *st, int fd, uint32_t addr, uint16_t port);
ssize_t send_str(struct stack *st, int fd, const char *s);
int set_int(struct stack *st, int fd, int level, int name, int v);
/* A link filter that drops every packet. */
int drop_all(void *arg, int dir, const uint8_t *pkt, size_t len);

int tcp_sock(struct stack *st);
int listen_on(struct stack *st, uint16_t port, int backlog);
int state_of(struct stack *st, int fd);
int so_error(struct stack *st, int fd);
uint64_t tcp_stat(struct stack *st, const char *name);
/* A connected pair: *c on a (connected to b's port), *s accepted on b. */
void make_pair(uint16_t port, int *c, int *s);
/* Move n bytes of a pattern from (sa, fa) to (sb, fb), reading as it
 * comes; returns the bytes received intact, stops after max_ms. */
size_t pump(struct stack *sa, int fa, struct stack *sb, int fb, size_t n, uint64_t max_ms);
/* The same for several flows at once, each its own pattern's n bytes,
 * until each has them or max_ms pass. */
struct flow {
	struct stack *sa, *sb;
	int fa, fb;
	size_t n, sent, got;
	size_t base, have;		/* out holds pattern bytes base.. */
	uint8_t out[65536];
};
void pump_flows(struct flow *f, int n, uint64_t max_ms);

#endif
