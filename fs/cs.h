/*
 * cs.c: names to addresses (for ctl's connect and for cs), and the cs
 * file (SPEC.md §6).
 */
#ifndef SLASHNET_CS_H
#define SLASHNET_CS_H

#include <netinet/in.h>

#include "addr.h"
#include "conv.h"

/* Every address of a name (ports 0), in the order to try them. */
enum { CS_MAX_ADDRS = 16 };
struct addrs {
	int n;
	union addr a[CS_MAX_ADDRS];
};

/* resolve() gives 0 with *as at once, EINPROGRESS when done() will be
 * called later (*lp can cancel it), or an errno (ENOENT: unknown name).
 * Names are looked up for both families (A and AAAA) unless --no-ipv6;
 * IPv6 addresses come first when the stack has an IPv6 default route. */
typedef void (*resolve_fn)(void *arg, int err, const struct addrs *as);
struct lookup;
int resolve(const char *name, struct addrs *as, resolve_fn done, void *arg, struct lookup **lp);
void resolve_cancel(struct lookup *l);
/* A pending's cancel: its lookup p->l, if one is under way. */
void resolve_cancel_pending(struct pending *p);

int cs_init(void);
void cs_fini(void);
/* The signal the host's resolver reports on, and its report. */
int cs_signo(void);
void cs_signalled(void *ptr);
void cs_write(fuse_req_t req, struct ofile *of, const char *buf, size_t len);
void cs_read(fuse_req_t req, struct ofile *of, size_t size);
/* The dns file (9front's): "name ip" looks name up as cs does; the
 * answers are read as cs's are, a line a read. */
void dns_query_write(fuse_req_t req, struct ofile *of, const char *buf, size_t len);

#endif
