/*
 * Helpers shared by the TCP unit tests: two stacks on the test link (or
 * one and a tap), sockets through the core API (sock_*), the state of a
 * connection, and a bulk transfer pump with a checkable byte pattern.
 */
#ifndef TESTS_TCP_UTIL_H
#define TESTS_TCP_UTIL_H

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

extern struct link *l;
extern struct stack *a, *b;

void tcp_two_stacks(void);
void tcp_stack_and_tap(void);
void tcp_teardown(void);

void run_ms(uint64_t ms);
int tcp_sock(struct stack *st);
int listen_on(struct stack *st, uint16_t port, int backlog);
int connect_to(struct stack *st, int fd, uint32_t addr, uint16_t port);
int bind_to(struct stack *st, int fd, uint32_t addr, uint16_t port);
int state_of(struct stack *st, int fd);
int so_error(struct stack *st, int fd);
uint64_t tcp_stat(struct stack *st, const char *name);
/* A connected pair: *c on a (connected to b's port), *s accepted on b. */
void make_pair(uint16_t port, int *c, int *s);
/* Move n bytes of a pattern from (sa, fa) to (sb, fb), reading as it
 * comes; returns the bytes received intact, stops after max_ms. */
size_t pump(struct stack *sa, int fa, struct stack *sb, int fb, size_t n, uint64_t max_ms);

#endif
