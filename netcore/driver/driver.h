/*
 * The driver around the deterministic core (../core): opening a stack
 * (open.c), the public calls (api.c), the one event loop (loop.c), the
 * TUN device, host-side configuration and packet capture. This is the
 * only part of netcore that reads clocks and makes system calls.
 */
#ifndef NETCORE_DRIVER_H
#define NETCORE_DRIVER_H

#include <linux/virtio_net.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/uio.h>

#include <netcore/netcore.h>

struct stack;
struct tx;

struct watch {
	int fd;
	void (*ready)(void *arg);
	void *arg;
};

struct nc_stack {
	struct stack *core;
	struct nc_config cfg;
	char tun[IFNAMSIZ];
	int tunfd, epfd, timerfd, evfd;
	int created_tun;	/* the TUN is ours: it goes when we do */
	int configured;		/* we gave the host side its address */
	int csum_offload;	/* the core's TCP checksums are partial */
	FILE *pcap;

	/* Recursive: the loop holds it while it works, and the callbacks it
	 * runs may call the API again. Other threads take it per call. */
	pthread_mutex_t lock;
	pthread_cond_t cond;	/* broadcast after events; CLOCK_MONOTONIC */
	pthread_t thread, loop_thread;
	int has_thread, in_loop, stopping;
	uint64_t armed;		/* deadline the timerfd is set to */
	int tun_busy;		/* the last loop pass read packets */
	uint64_t last_gap;	/* µs the loop last waited for events */
	int64_t work;		/* µs a loop pass takes, moving average */
	size_t pass_bytes;	/* read from the TUN and written to it this pass */
	int64_t flow;		/* pass_bytes, moving average */
	int napi_fd, threaded;	/* the TUN's NAPI thread switch (tun.c) */
	size_t pass_out;	/* written to the TUN this pass */
	int64_t out_flow;	/* pass_out, moving average */
	struct tx *tx;		/* the TUN writer (tx.c), once started */
	int tx_on, tx_failed;	/* packets go to it; it could not be started */
	size_t conns_peak;	/* most connections since memory went back */
	int reader_cpu;		/* where a blocking reader of a bulk flow waits, -1: none */
	int loop_cpu;		/* the one CPU the loop thread keeps to, -1: its own set */
	cpu_set_t loop_cpus;	/* that set, given back when the flow ends */
	uint64_t loop_moved;	/* when the loop thread last moved, µs */

	struct watch *watches;
	int nwatch;
	int event_cbs;		/* nc_set_event_cb was given a callback, once */
	/* nc_set_log's callback, called from the core's log hook */
	void (*log)(void *arg, const struct nc_log_event *ev);
	void *log_arg;

	uint8_t *rxbuf;		/* one packet read from the TUN */
};

/* loop.c: a blocking reader of a bulk flow keeps to the CPU it waits on
 * (1, its own set in *was) or not (0); reader_return gives the set back. */
int reader_stay(struct nc_stack *s, cpu_set_t *was);
void reader_return(const cpu_set_t *was);

/* Microseconds on CLOCK_MONOTONIC. */
uint64_t clock_now(void);

/* tun.c: open (creating or attaching) a TUN; *created says which. With
 * ipv6 the kernel may hand it IPv6 TCP super-packets too (TSO6). */
int tun_open(const char *name, int ipv6, char *actual, int *created);
void tun_write(struct nc_stack *s, const uint8_t *pkt, size_t len, unsigned gso);
/* The same in cnt pieces (at most TX_IOV; the first holds the headers
 * whole, len bytes in all), for the core's stack_output_iov_fn. The
 * capture sees only whole packets: with one the core sends no pieces. */
enum { TX_IOV = 16 };
void tun_writev(struct nc_stack *s, const struct iovec *pieces, int cnt, size_t len, unsigned gso);
/* Write one packet of len bytes behind its virtio-net header (iov[0]),
 * in cnt pieces in all: 0, or -1 when the kernel did not take it whole. */
int tun_put(int fd, const struct iovec *iov, int cnt, size_t len);
/* Where the core guesses the next packet's payload goes (stack_rx_room):
 * its first hdr bytes go to s->rxbuf, the rest into iov (n 0: no guess,
 * all of it to s->rxbuf). */
enum { ROOM_IOV = 8 };
struct rxroom {
	struct iovec iov[ROOM_IOV];
	int n;
	size_t hdr;
};
struct rxpkt {
	size_t len;		/* the packet's bytes (0: nothing usable) */
	size_t hdr;		/* of them in s->rxbuf, then placed in the room */
	size_t placed;		/* and the rest (what the room did not take)
				 * in s->rxbuf after hdr */
	int csum_ok;		/* the kernel vouches for the checksum */
};
/* Read one packet as room says: 0, or -1 with errno (EAGAIN: none
 * waiting). */
int tun_read(struct nc_stack *s, const struct rxroom *room, struct rxpkt *p);
/* Make a packet read partly into room whole in s->rxbuf. */
void tun_unplace(struct nc_stack *s, const struct rxroom *room, struct rxpkt *p);
/* The TUN's NAPI thread: the switch's descriptor (or -1, none to be had),
 * and turning it on or off (s->threaded; nothing without a switch). */
int tun_threaded_open(const char *ifname);
void tun_set_threaded(struct nc_stack *s, int on);

/* nl.c: bring the host side up: link up, MTU, addresses gw/prefix and
 * (unless cfg->no_ipv6) gw6/prefix6. 0, or -EPERM (not allowed), -ENOMEM
 * or -EIO with the reason in err. */
int nl_configure(const char *ifname, const struct nc_config *cfg, char *err, size_t errlen);
/* Undo nl_configure on a TUN we attached to (not created). */
void nl_unconfigure(const char *ifname, const struct nc_config *cfg);
/* Add (add 1) or remove the host's route to net/prefix through the TUN;
 * one that is already there (or gone) is fine. 0, or -EIO. */
int nl_net_route(const char *ifname, struct in_addr net, int prefix, int add);
/* Give the TUN a new MTU: 0, or -EIO. */
int nl_set_mtu(const char *ifname, int mtu);

/* pcap.c */
FILE *pcap_open(const char *path);
void pcap_write(FILE *f, const uint8_t *pkt, size_t len);

/* loop.c */
int loop_init(struct nc_stack *s);
void loop_fini(struct nc_stack *s);
int loop_run(struct nc_stack *s);
/* Wake the loop so it re-reads the deadline or sees a stop. */
void loop_poke(struct nc_stack *s);
/* Watch fd for input (0, or -1 with errno) or stop watching it; the loop
 * calls the ready callback of s->watches for it. */
int loop_add_fd(struct nc_stack *s, int fd);
void loop_del_fd(struct nc_stack *s, int fd);

/* The calling thread is running the loop. */
int loop_is_current(const struct nc_stack *s);
/* A blocking call on a thread of the program's reads what the TUN
 * holds now, once, as the loop would (a connect, for its SYN-ACK). */
void loop_input_now(struct nc_stack *s);

/* tx.c: the TUN writer thread. tx_follow turns it on (starting it) or
 * off; while on, tx_add takes a packet the stack sends into the pass's
 * batch (0), or leaves it to the caller to write (-1, once the batches
 * before it are written); tx_kick, at the end of the loop's pass, hands
 * the batch to the writer or writes a small one itself; tx_wait waits
 * until the writer is done; tx_close stops it. */
void tx_follow(struct nc_stack *s, int on);
int tx_add(struct nc_stack *s, const struct virtio_net_hdr *vh, const struct iovec *pieces,
	   int cnt, size_t len);
void tx_kick(struct nc_stack *s);
void tx_wait(struct nc_stack *s);
void tx_close(struct nc_stack *s);

/* api.c: take/leave the stack lock around an API call. */
void api_lock(struct nc_stack *s);
void api_unlock(struct nc_stack *s);

#endif
