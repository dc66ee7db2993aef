/*
 * lwipget: the lwIP contender of the bench suite (tests/bench/run.sh).
 * lwIP 2.1.3 as Debian ships it (liblwip-dev), its Unix port's TAP driver
 * (tapif) on an existing TAP, and a raw-API client that connects and
 * reads everything until the far end closes.
 *
 *   lwipget TAP CIDR GW HOST PORT
 *
 * Prints "BYTES T0 T1 CPU" (epoch seconds from the connect to the end,
 * CPU the process's user+system seconds), as ncbench's api does.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lwip/init.h"
#include "lwip/mem.h"
#include "lwip/netif.h"
#include "lwip/tcp.h"
#include "lwip/tcpip.h"
#include "netif/tapif.h"

#include "stopwatch.h"

/*
 * Debian's liblwip disagrees with itself on the size of a pool pbuf: the
 * pool hands out 616-byte elements (sized for a 536-byte MSS), but the
 * pbuf code fills them as 1536-byte buffers, past their end. With
 * MEMP_MEM_MALLOC every pool element comes from mem_malloc(), which the
 * library calls through the PLT: this definition takes precedence, and
 * gives those requests room for a whole frame (1536 + the 24-byte pbuf).
 */
enum { DEBIAN_POOL_ELEMENT = 616, WHOLE_FRAME_ELEMENT = 1560 };

void *mem_malloc(mem_size_t size)
{
	return malloc(size == DEBIAN_POOL_ELEMENT ? WHOLE_FRAME_ELEMENT : size);
}

static sem_t done;
static long long received;
static double t_end;
static int failed;

/* The callbacks run on lwIP's tcpip thread. */
static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	(void)arg;
	if (p == NULL || err != ERR_OK) {
		t_end = stopwatch_now();
		if (p != NULL)
			pbuf_free(p);
		tcp_close(pcb);
		sem_post(&done);
		return ERR_OK;
	}
	received += p->tot_len;
	tcp_recved(pcb, p->tot_len);
	pbuf_free(p);
	return ERR_OK;
}

static void on_err(void *arg, err_t err)
{
	(void)arg;
	fprintf(stderr, "lwipget: connection failed: lwIP error %d\n", err);
	failed = 1;
	sem_post(&done);
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	(void)arg;
	(void)pcb;
	return err;
}

/* "a.b.c.d/N" into an address and a netmask. */
static int parse_cidr(const char *s, ip4_addr_t *addr, ip4_addr_t *mask)
{
	char a[32];
	int prefix;

	if (sscanf(s, "%31[0-9.]/%d", a, &prefix) != 2 || prefix < 1 || prefix > 32 ||
	    !ip4addr_aton(a, addr))
		return -1;
	ip4_addr_set_u32(mask, htonl(~0u << (32 - prefix)));
	return 0;
}

static struct netif tap;

/* Bring the TAP up as lwIP's default interface and call HOST PORT. */
static int start(char **av, double *t0)
{
	ip4_addr_t addr, mask, gw;
	ip_addr_t dst;
	struct tcp_pcb *pcb;
	int r = -1;

	if (parse_cidr(av[1], &addr, &mask) < 0 || !ip4addr_aton(av[2], &gw) ||
	    !ipaddr_aton(av[3], &dst))
		return -1;
	setenv("PRECONFIGURED_TAPIF", av[0], 1);	/* attach; run no ifconfig */
	LOCK_TCPIP_CORE();
	if (netif_add(&tap, &addr, &mask, &gw, NULL, tapif_init, tcpip_input) != NULL) {
		netif_set_default(&tap);
		netif_set_up(&tap);
		*t0 = stopwatch_now();
		pcb = tcp_new();
		if (pcb != NULL) {
			tcp_recv(pcb, on_recv);
			tcp_err(pcb, on_err);
			r = tcp_connect(pcb, &dst, (u16_t)atoi(av[4]), on_connected) == ERR_OK ? 0 : -1;
		}
	}
	UNLOCK_TCPIP_CORE();
	return r;
}

int main(int argc, char **argv)
{
	struct timespec limit;
	double t0 = 0;

	if (argc != 6) {
		fprintf(stderr, "usage: lwipget TAP CIDR GW HOST PORT\n");
		return 1;
	}
	sem_init(&done, 0, 0);
	tcpip_init(NULL, NULL);
	if (start(argv + 1, &t0) < 0) {
		fprintf(stderr, "lwipget: cannot set up %s or call %s!%s\n", argv[1], argv[4],
			argv[5]);
		return 1;
	}
	clock_gettime(CLOCK_REALTIME, &limit);
	limit.tv_sec += 120;
	while (sem_timedwait(&done, &limit) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "lwipget: no end within 120 s (%lld bytes)\n", received);
			return 1;
		}
	}
	if (failed)
		return 1;
	printf("%lld %.6f %.6f %.3f\n", received, t0, t_end, stopwatch_cpu());
	return 0;
}
