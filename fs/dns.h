/*
 * DNS for cs and the dns file when --dns is given: c-ares (its query ids,
 * retries, truncation retried over TCP, several servers) over the stack's
 * own UDP and TCP sockets, driven from the daemon's one loop.
 *
 * c-ares gets netcore sockets through ares_set_socket_functions: each
 * socket is non-blocking, bound to a random source port (RFC 5452 §9.2),
 * and watched with nc_set_event_cb; a timerfd on the loop wakes c-ares at
 * its next timeout. No thread, no wait.
 */
#ifndef SLASHNET_DNS_H
#define SLASHNET_DNS_H

struct nc_stack;

/*
 * How a query ended: err 0 and the answer message (abuf, alen; valid
 * during the call only), or an errno (dnsrr.h, dns_errno) and why, a
 * line of text saying what went wrong.
 */
typedef void (*dns_done_fn)(void *arg, int err, const char *why, const unsigned char *abuf,
			    int alen);
struct dns_query;

/* Start c-ares over st, asking servers ("ADDR[,ADDR...]", dns_servers_ok)
 * in turn: 0, or -1 with errno. */
int dns_init(struct nc_stack *st, const char *servers);
/* End it: queries still under way end (their done is called with
 * ECONNRESET unless cancelled), every socket is closed. */
void dns_fini(void);

/*
 * Ask for the records of type (ns_t_a, ns_t_mx ...) of name. done is
 * called once, unless the query is cancelled first; it may be called
 * before dns_ask returns (a malformed name, no socket): dns_ask returns
 * NULL then, else the query, for dns_cancel.
 */
struct dns_query *dns_ask(const char *name, int type, dns_done_fn done, void *arg);
/* Forget q: its done will not be called. */
void dns_cancel(struct dns_query *q);

#endif
