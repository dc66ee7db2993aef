/*
 * slashnet: the Plan 9 /net served over FUSE (low-level API) on top of the
 * netcore public API. Everything runs on the stack's loop thread: FUSE
 * requests are read there, and socket events arrive there, so nothing here
 * takes a lock. A request that must wait is parked on its conversation
 * (struct pending) and answered later from the socket's event callback.
 */
#ifndef SLASHNET_FS_H
#define SLASHNET_FS_H

#define FUSE_USE_VERSION 35

#include <fuse_lowlevel.h>
#include <syslog.h>
#include <netcore/netcore.h>
#include <sys/types.h>
#include <time.h>

/* Protocols, in the order of the tree. */
enum { P_TCP, P_UDP, P_ICMP, NPROTO };

/*
 * File types. An inode number packs type, protocol and conversation
 * (as Plan 9's devip does with its qid paths): see tree.c.
 */
enum {
	Qroot = 1,	/* FUSE_ROOT_ID */
	Qcs, Qipifc, Qifc0, Qifcstatus, Qiproute,
	Qproto, Qclone, Qstats,
	Qconv, Qctl, Qdata, Qlisten, Qlocal, Qremote, Qstatus, Qerr,
};

enum {
	CONV_MAX = 16384,	/* conversations per protocol */
	CTL_MAX = 512,		/* longest ctl command */
	ERR_MAX = 128,		/* text kept for err */
	DEF_BACKLOG = 128,
	DATA_IO_MAX = 1 << 20,	/* the largest read or write request */
};

/* What a parked request waits for; also its queue on the conversation. */
enum { PEND_READ, PEND_WRITE, PEND_CONNECT, PEND_LISTEN, NPEND };

struct conv;
struct ofile;

struct pending {
	struct pending *next;
	int kind;
	fuse_req_t req;
	struct conv *c;
	size_t size;		/* read: bytes asked */
	char *buf;		/* write: the bytes not queued at once */
	size_t len, done;	/* write: their length, how many went since */
	size_t skip;		/* write: bytes queued before it was parked */
	struct fuse_file_info fi;	/* listen: the open being answered */
	struct lookup *l;	/* connect: the name being looked up */
	uint16_t port;		/* connect: the port (network order) */
	int nonblock;		/* connect: ctl is O_NONBLOCK */
};

/* One conversation: tcp/N. Counted by its open files and parked
 * requests; freed once unreferenced and its socket is gone. */
struct conv {
	int n, proto;
	int sock;		/* netcore socket, -1 once closed */
	int ref;
	int closing;		/* last close done, waiting for TCP's Closed */
	int connecting;		/* a connect is under way */
	char what[64];		/* that connect command, for err */
	uid_t uid;
	gid_t gid;
	mode_t mode;		/* of ctl, data and listen */
	uint64_t gen;		/* FUSE generation: numbers are reused */
	time_t ctime;
	int backlog;
	int headers;		/* udp: data carries the 52-byte header */
	char err[ERR_MAX];
	struct pending *q[NPEND];
	struct ofile *files;	/* open files, for poll notifications */
};

/* An open file (fi->fh). Text files keep the text generated at offset 0. */
struct ofile {
	int type, proto;
	struct conv *c;		/* NULL outside conversations */
	struct ofile *next;	/* on c->files */
	struct fuse_pollhandle *ph;
	char *text;
	size_t len;
	size_t pos;		/* cs: the next line to read */
};

struct fs {
	struct nc_stack *st;
	struct fuse_session *se;
	const char *mountpoint;
	struct in_addr dns;	/* --dns, 0.0.0.0 if none */
	uid_t uid;
	gid_t gid;
	time_t start;
	uint64_t gen;
	struct conv **conv[NPROTO];
	int nconv[NPROTO];	/* slots allocated in conv[p] */
};

extern struct fs fs;

/* tree.c */
extern const struct fuse_lowlevel_ops fs_ops;
extern const int proto_num[NPROTO];	/* IPPROTO_TCP ... */
struct ofile *ofile_new(int type, int proto, struct conv *c);
void ofile_free(struct ofile *of);
void file_reply_open(fuse_req_t req, struct fuse_file_info *fi, struct ofile *of);

/* conv.c: the conversation table. */
struct conv *conv_get(int proto, int n);
struct conv *conv_new(int proto, int sock, uid_t uid, gid_t gid);
void conv_put(struct conv *c);
void conv_discard(struct conv *c);
void conv_seterr(struct conv *c, int err, const char *what);
void conv_add_file(struct conv *c, struct ofile *of);
void conv_del_file(struct conv *c, struct ofile *of);
void conv_notify_poll(struct conv *c);
void conv_shutdown_all(void);
int conv_tcp_state(struct conv *c);
struct pending *pend_new(fuse_req_t req, int kind);
void pend_park(struct conv *c, struct pending *p);
void pend_done(struct pending *p);
void pend_finish(struct pending *p, int err);

/* text.c: generated files. */
int text_make(struct ofile *of);

/* ctl.c */
void ctl_write(fuse_req_t req, struct ofile *of, const char *buf, size_t len, int flags);
void ctl_connect_done(struct conv *c);

/* data.c */
void data_read(fuse_req_t req, struct ofile *of, size_t size, int flags);
void data_write(fuse_req_t req, struct ofile *of, const char *buf, size_t len, int flags);
void data_poll(fuse_req_t req, struct ofile *of, struct fuse_pollhandle *ph);
void data_event(struct conv *c);
void listen_open(fuse_req_t req, struct conv *c, struct fuse_file_info *fi);

/* dgram.c: data of udp and icmp. */
int dgram_try_read(fuse_req_t req, struct conv *c, size_t size);
void dgram_write(fuse_req_t req, struct conv *c, const char *buf, size_t len);

/* cs.c: names to addresses, and the cs file. resolve() gives 0 with *a
 * at once, EINPROGRESS when done() will be called later (*lp can cancel
 * it), or an errno (ENOENT: unknown name). */
typedef void (*resolve_fn)(void *arg, int err, struct in_addr a);
struct lookup;
int resolve(const char *name, struct in_addr *a, resolve_fn done, void *arg, struct lookup **lp);
void resolve_cancel(struct lookup *l);
int cs_init(void);
void cs_fini(void);
int cs_signo(void);
void cs_signalled(void *ptr);
void cs_write(fuse_req_t req, struct ofile *of, const char *buf, size_t len);
void cs_read(fuse_req_t req, struct ofile *of, size_t size);

/* main.c: logging. */
void logmsg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
