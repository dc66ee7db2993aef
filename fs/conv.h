/*
 * slashnet: the Plan 9 /net served over FUSE (low-level API) on top of the
 * netcore public API. Everything runs on the stack's loop thread: FUSE
 * requests are read there, and socket events arrive there, so nothing here
 * takes a lock. A request that must wait is parked (struct pending) and
 * answered later from the socket's event callback.
 *
 * This is the bottom of fs/: the daemon's state, conversations, their
 * open files and parked requests (conv.c). The files above it:
 *   main.c  →  tree.c  →  ctl.c data.c dgdata.c cs.c text.c ifc.c netlog.c
 *           →  conv.c dns.c addr.c log.c
 * each calling only down (and ctl.c → cs.c, data.c → dgdata.c, text.c,
 * reply.c; main.c → reply.c, to say which request is being served).
 */
#ifndef SLASHNET_CONV_H
#define SLASHNET_CONV_H

#include <fuse_lowlevel.h>
#include <netcore/netcore.h>
#include <sys/types.h>
#include <time.h>

#include "addr.h"

/* Protocols, in the order of the tree. */
enum { P_TCP, P_UDP, P_ICMP, P_ICMP6, NPROTO };

/*
 * File types. An inode number packs type, protocol and conversation
 * (as Plan 9's devip does with its qid paths): see tree.c.
 */
enum {
	Qroot = 1,	/* FUSE_ROOT_ID */
	Qcs, Qipifc, Qifc, Qifcstatus, Qiproute,
	Qifcclone, Qifcctl, Qifclocal, Qlog, Qndb, Qipselftab, Qdns, Qifcstats,
	Qproto, Qclone, Qstats,
	Qconv, Qctl, Qdata, Qlisten, Qlocal, Qremote, Qstatus, Qerr,
};

enum {
	CONV_MAX = 16384,	/* conversations per protocol */
	CONV_RESERVED = CONV_MAX / 64,	/* of them, only for root and the owner */
	CTL_MAX = 512,		/* longest ctl command */
	ERR_MAX = 128,		/* text kept for err */
	DEF_BACKLOG = 128,
	DATA_IO_MAX = 1 << 20,	/* the largest read or write request */
	STREAM_MIN = 65536,	/* a blocking write this big is an upload's (fs.stream) */
};

/* What a parked request waits for; also its queue on the conversation.
 * PEND_CS: a cs write waiting for a name, on no conversation. */
enum { PEND_READ, PEND_WRITE, PEND_CONNECT, PEND_LISTEN, PEND_CS, NPEND };

struct conv;
struct ofile;

struct pending {
	struct pending *next;
	int kind;
	fuse_req_t req;
	struct conv *c;
	size_t size;		/* read: bytes asked */
	uint64_t unique;	/* read: its FUSE unique (reply.h), 0 unknown */
	char *buf;		/* write: the bytes not queued at once */
	size_t len, done;	/* write: their length, how many went since */
	size_t skip;		/* write: bytes queued before it was parked */
	size_t over;		/* write: of skip, those past the buffer's limit */
	struct fuse_file_info fi;	/* listen: the open being answered */
	struct lookup *l;	/* connect, cs: the name being looked up */
	uint16_t port;		/* connect: the port (host order) */
	int nonblock;		/* connect: ctl is O_NONBLOCK */
	struct ofile *of;	/* cs: the file written */
	void *ctx;		/* the parker's own, freed with p */
	/* Called when p ends before its event (an interrupt, the end of the
	 * conversation): undo what the parker started, e.g. a lookup. */
	void (*cancel)(struct pending *p);
};

/* One conversation: tcp/N. Counted by its open files and parked
 * requests; freed once unreferenced and its socket is gone. */
struct conv {
	int n, proto;
	int sock;		/* netcore socket, -1 once closed */
	int ref;
	int closing;		/* last close done, waiting for TCP's Closed */
	int connecting;		/* a connect is under way */
	char *what;		/* that connect command, for err, while under way */
	uid_t uid;
	gid_t gid;
	mode_t mode;		/* of ctl, data and listen */
	time_t ctime;
	int backlog;
	int headers;		/* udp: data carries the 52-byte header */
	int announced;		/* udp: announce done (listen makes calls) */
	char *err;		/* the last error's text (err), NULL if none */
	int fatal;		/* the error that ended the connection, 0 if none */
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
	const char *dns;	/* --dns: "ADDR[,ADDR...]", NULL if none */
	int no_ipv6;		/* --no-ipv6: every socket AF_INET */
	uid_t uid;
	gid_t gid;
	time_t start;
	struct conv **conv[NPROTO];
	int nconv[NPROTO];	/* slots allocated in conv[p] */
	int used[NPROTO];	/* conversations alive in conv[p] */
	int conv_per_uid;	/* -o conv_per_uid: a uid's share of a protocol */
	int hide_others;	/* -o hide_others: list and find only one's own */
	/* The data file whose upload's next write is expected (reply.h),
	 * or NULL: set by data.c, cleared when the file is let go. */
	const struct ofile *stream;
};

extern struct fs fs;
extern const int proto_num[NPROTO];	/* IPPROTO_TCP ... */
extern const char *const proto_names[NPROTO];	/* "tcp" ... */

/* The conversation table. */
struct conv *conv_get(int proto, int n);
/* May uid have one more conversation of proto? 0, EMFILE (its share is
 * taken) or ENFILE (the table is full); a refusal is logged. */
int conv_admit(int proto, uid_t uid);
/* Root and the daemon's owner: no share limit, and announce *. */
int conv_privileged(uid_t uid);
/* Give c to uid and gid (its share moves with it; the caller checked
 * that the asker may): 0, or ENOMEM. */
int conv_chown(struct conv *c, uid_t uid, gid_t gid);
/* Is c visible to uid (hide_others shows each uid only its own)? */
int conv_visible(const struct conv *c, uid_t uid);
/* A conversation for socket sock, once conv_admit allows it: NULL with
 * errno ENFILE, EMFILE or ENOMEM. */
struct conv *conv_new(int proto, int sock, uid_t uid, gid_t gid);
/* What a socket event does to its conversation, above this file: set
 * once, by tree.c. Pollers are woken after it. */
void conv_on_event(void (*fn)(struct conv *c));
void conv_put(struct conv *c);
void conv_discard(struct conv *c);
/* The socket's poll events now (POLLIN POLLOUT POLLERR POLLHUP; POLLERR
 * if it has none to give). */
short conv_poll(struct conv *c);
/* err's text: "what: errno's text", or text as it is (NULL: none).
 * Both are kept on the heap while there is one: most conversations
 * never have an error, and 10 000 idle ones should cost little. */
void conv_seterr(struct conv *c, int err, const char *what);
void conv_seterrtext(struct conv *c, const char *text);
/* The connect command under way, for its error's text (NULL: done). */
void conv_setwhat(struct conv *c, const char *what);
const char *conv_what(const struct conv *c);
void conv_add_file(struct conv *c, struct ofile *of);
void conv_del_file(struct conv *c, struct ofile *of);
void conv_notify_poll(struct conv *c);	/* NULL: files of no conversation */
void conv_shutdown_all(void);
int conv_tcp_state(struct conv *c);
/* Bytes queued for reading on c (Plan 9's stat of data), 0 if none. */
off_t conv_nread(struct conv *c);

/* Open files. */
struct ofile *ofile_new(int type, int proto, struct conv *c);
void ofile_free(struct ofile *of);
void file_reply_open(fuse_req_t req, struct fuse_file_info *fi, struct ofile *of);

/* Parked requests: the one way a request waits. */
struct pending *pend_new(fuse_req_t req, int kind);
/* Hold p on c (NULL for a request of no conversation, PEND_CS) until an
 * event or an interrupt answers it. */
void pend_park(struct conv *c, struct pending *p);
void pend_done(struct pending *p);
void pend_free(struct pending *p);	/* one never parked */
void pend_finish(struct pending *p, int err);

#endif
