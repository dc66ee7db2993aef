/*
 * The tree (SPEC.md §2): inode numbers by arithmetic, as Plan 9's devip
 * packs its qid paths, so that no node is ever allocated for a name:
 *
 *	ino = type | proto << 8 | (conversation + 1) << 16
 *
 * The root (Qroot, protocol 0, no conversation) is 1 = FUSE_ROOT_ID. The
 * FUSE handlers that dispatch on the kind of file live here too.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conv.h"
#include "cs.h"
#include "ctl.h"
#include "data.h"
#include "ifc.h"
#include "netlog.h"
#include "text.h"
#include "tree.h"

static const double STATIC_TTL = 60.0;	/* the fixed part of the tree */

static const struct {
	const char *name;
	int type;
} conv_files[] = {
	{ "ctl", Qctl }, { "data", Qdata }, { "listen", Qlisten }, { "local", Qlocal },
	{ "remote", Qremote }, { "status", Qstatus }, { "err", Qerr },
};

enum { NCONVFILES = sizeof conv_files / sizeof conv_files[0] };

/* The files of the root before the protocols, and of an interface. */
static const struct {
	const char *name;
	int type;
} root_files[] = {
	{ "cs", Qcs }, { "dns", Qdns }, { "ipifc", Qipifc }, { "iproute", Qiproute },
	{ "ipselftab", Qipselftab }, { "log", Qlog }, { "ndb", Qndb },
}, ifc_files[] = {
	{ "ctl", Qifcctl }, { "local", Qifclocal }, { "status", Qifcstatus },
};

enum {
	NROOTFILES = sizeof root_files / sizeof root_files[0],
	NIFCFILES = sizeof ifc_files / sizeof ifc_files[0],
};

static fuse_ino_t qid(int type, int proto, int n)
{
	return (fuse_ino_t)type | (fuse_ino_t)proto << 8 | (fuse_ino_t)(n + 1) << 16;
}

static int qtype(fuse_ino_t ino)
{
	return (int)(ino & 0xff);
}

static int qproto(fuse_ino_t ino)
{
	return (int)(ino >> 8 & 0xff);
}

static int qconv(fuse_ino_t ino)
{
	return (int)(ino >> 16) - 1;
}

static int is_dir(int type)
{
	return type == Qroot || type == Qipifc || type == Qifc || type == Qproto || type == Qconv;
}

/* A file of an interface: its number is in the protocol's place. */
static int is_ifc_file(int type)
{
	return type == Qifc || type == Qifcstatus || type == Qifcctl || type == Qifclocal;
}

/* Does ino name a live file? *cp gets its conversation, if any. */
static int valid(fuse_ino_t ino, struct conv **cp)
{
	int t = qtype(ino), n = qconv(ino);

	*cp = NULL;
	if (t < Qroot || t > Qerr || ino >> 16 > CONV_MAX)
		return 0;
	if (is_ifc_file(t))
		return n == -1 && qproto(ino) < ifc_count();
	if (qproto(ino) >= NPROTO)
		return 0;
	if (t < Qconv)
		return n == -1;
	*cp = conv_get(qproto(ino), n);
	return *cp != NULL;
}

struct ent {
	const char *name;
	char buf[16];
	fuse_ino_t ino;
};

static int ent(struct ent *e, const char *name, fuse_ino_t ino)
{
	e->name = name;
	e->ino = ino;
	return 1;
}

/* Entry i of directory dir as uid sees it: 1 with *e filled, 0 past the
 * end, -1 for a free conversation slot or one hidden from uid. */
static int gen(fuse_ino_t dir, int i, uid_t uid, struct ent *e)
{
	int p = qproto(dir), n = qconv(dir);
	struct conv *c;

	switch (qtype(dir)) {
	case Qroot:
		if (i < NROOTFILES)
			return ent(e, root_files[i].name, qid(root_files[i].type, 0, -1));
		if (i < NROOTFILES + NPROTO)
			return ent(e, proto_names[i - NROOTFILES], qid(Qproto, i - NROOTFILES, -1));
		return 0;
	case Qipifc:
		if (i == 0)
			return ent(e, "clone", qid(Qifcclone, 0, -1));
		if (i == 1)
			return ent(e, "stats", qid(Qifcstats, 0, -1));
		if (i - 2 >= ifc_count())
			return 0;
		snprintf(e->buf, sizeof e->buf, "%d", i - 2);
		return ent(e, e->buf, qid(Qifc, i - 2, -1));
	case Qifc:
		if (i >= NIFCFILES)
			return 0;
		return ent(e, ifc_files[i].name, qid(ifc_files[i].type, p, -1));
	case Qproto:
		if (i == 0)
			return ent(e, "clone", qid(Qclone, p, -1));
		if (i == 1)
			return ent(e, "stats", qid(Qstats, p, -1));
		if (i - 2 >= fs.nconv[p])
			return 0;
		c = conv_get(p, i - 2);
		if (c == NULL || !conv_visible(c, uid))
			return -1;
		snprintf(e->buf, sizeof e->buf, "%d", i - 2);
		return ent(e, e->buf, qid(Qconv, p, i - 2));
	case Qconv:
		if (i >= NCONVFILES)
			return 0;
		return ent(e, conv_files[i].name, qid(conv_files[i].type, p, n));
	}
	return 0;
}

/* A conversation number: decimal, no leading zeros; -1 if not one. */
static int conv_number(const char *name)
{
	long v = 0;

	if (name[0] == 0 || (name[0] == '0' && name[1] != 0))
		return -1;
	for (const char *s = name; *s; s++) {
		if (*s < '0' || *s > '9' || (v = v * 10 + (*s - '0')) >= CONV_MAX)
			return -1;
	}
	return (int)v;
}

static fuse_ino_t child(fuse_ino_t dir, const char *name, uid_t uid)
{
	struct ent e;
	struct conv *c;
	int n, r;

	if (qtype(dir) == Qproto && (n = conv_number(name)) >= 0) {
		c = conv_get(qproto(dir), n);
		return c && conv_visible(c, uid) ? qid(Qconv, qproto(dir), n) : 0;
	}
	for (int i = 0; (r = gen(dir, i, uid, &e)) != 0; i++) {
		if (r > 0 && strcmp(e.name, name) == 0)
			return e.ino;
	}
	return 0;
}

static fuse_ino_t parent(fuse_ino_t ino)
{
	switch (qtype(ino)) {
	case Qifc:
	case Qifcclone:
	case Qifcstats:
		return qid(Qipifc, 0, -1);
	case Qconv:
		return qid(Qproto, qproto(ino), -1);
	}
	return FUSE_ROOT_ID;
}

static int fill_attr(fuse_ino_t ino, struct stat *st)
{
	struct conv *c;
	int t = qtype(ino);

	if (!valid(ino, &c))
		return -1;
	memset(st, 0, sizeof *st);
	st->st_ino = ino;
	st->st_nlink = 1;
	st->st_uid = c ? c->uid : fs.uid;
	st->st_gid = c ? c->gid : fs.gid;
	st->st_atime = st->st_mtime = st->st_ctime = c ? c->ctime : fs.start;
	if (t == Qconv) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else if (is_dir(t)) {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
	} else if (t == Qclone || t == Qcs || t == Qdns) {
		st->st_mode = S_IFREG | 0666;
	} else if (t == Qiproute || t == Qifcctl || t == Qlog || t == Qifcclone) {
		/* the stack's configuration: its owner (and root) may change it */
		st->st_mode = S_IFREG | 0644;
	} else if (t == Qctl || t == Qdata || t == Qlisten) {
		st->st_mode = S_IFREG | c->mode;
		/* cat, cp and the shell read in steps of st_blksize (at least
		 * 128 KiB): offer the largest request the mount takes. */
		if (t == Qdata) {
			st->st_blksize = DATA_IO_MAX;
			st->st_size = conv_nread(c);
		}
	} else {
		st->st_mode = S_IFREG | 0444;
	}
	return 0;
}

/* How long the kernel may keep what it learnt of ino: its attributes
 * (a conversation's owner, mode and sizes change at any time). */
static double ttl(fuse_ino_t ino)
{
	return qconv(ino) < 0 ? STATIC_TTL : 0.0;
}

/*
 * How long the kernel may keep the name of ino without asking again. A
 * conversation's name may outlive it in the kernel's cache: a number is
 * the same directory whoever holds it, as in Plan 9, and the files of a
 * number no one holds answer ENOENT. So a program that takes a freed
 * number (the lowest comes first) walks to N/data without a LOOKUP per
 * name. Its generation is one for ever: a new one marks the kernel's
 * inode of the number bad, and with it the files a walk through the
 * cache opened on it (ab through forward.sh lost requests so). Each uid
 * sees only its own under hide_others, and the kernel's cache is
 * everyone's, so there every walk asks.
 */
static double entry_ttl(fuse_ino_t ino)
{
	return qconv(ino) < 0 || !fs.hide_others ? STATIC_TTL : 0.0;
}

static void fs_lookup(fuse_req_t req, fuse_ino_t dir, const char *name)
{
	struct fuse_entry_param e = { 0 };

	e.ino = child(dir, name, fuse_req_ctx(req)->uid);
	if (e.ino == 0 || fill_attr(e.ino, &e.attr) < 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	e.generation = 1;	/* a number is one directory, whoever holds it */
	e.attr_timeout = ttl(e.ino);
	e.entry_timeout = entry_ttl(e.ino);
	fuse_reply_entry(req, &e);
}

static void fs_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;

	(void)fi;
	if (fill_attr(ino, &st) < 0)
		fuse_reply_err(req, ENOENT);
	else
		fuse_reply_attr(req, &st, ttl(ino));
}

/* Entries 0 and 1 are . and ..; entry i + 2 is gen(i). */
static void fs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct conv *c;
	char *buf;
	size_t used = 0;

	(void)fi;
	if (!valid(ino, &c) || !is_dir(qtype(ino))) {
		fuse_reply_err(req, valid(ino, &c) ? ENOTDIR : ENOENT);
		return;
	}
	buf = malloc(size);
	if (buf == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	for (off_t i = off < 0 ? 0 : off;; i++) {
		struct ent e;
		struct stat st = { 0 };
		size_t n;
		int r = 1;

		if (i == 0)
			ent(&e, ".", ino);
		else if (i == 1)
			ent(&e, "..", parent(ino));
		else
			r = gen(ino, (int)(i - 2), fuse_req_ctx(req)->uid, &e);
		if (r == 0)
			break;
		if (r < 0)
			continue;
		st.st_ino = e.ino;
		st.st_mode = is_dir(qtype(e.ino)) ? S_IFDIR : S_IFREG;
		n = fuse_add_direntry(req, buf + used, size - used, e.name, &st, i + 1);
		if (n > size - used)
			break;
		used += n;
	}
	fuse_reply_buf(req, buf, used);
	free(buf);
}

/* May the caller open a file of c with mode bits mode for acc? As
 * devip does, with root allowed everything the mode grants anyone. */
static int permitted(const struct fuse_ctx *ctx, struct conv *c, mode_t mode, int acc)
{
	mode_t want = 0, bits;

	if (acc != O_WRONLY)
		want |= 4;
	if (acc != O_RDONLY)
		want |= 2;
	if (ctx->uid == 0)
		bits = (mode | mode >> 3 | mode >> 6) & 7;
	else if (ctx->uid == (c ? c->uid : fs.uid))
		bits = mode >> 6 & 7;
	else if (ctx->gid == (c ? c->gid : fs.gid))
		bits = mode >> 3 & 7;
	else
		bits = mode & 7;
	return (want & ~bits) == 0;
}

/* The socket of a new conversation: tcp and udp are dual-stack (AF_INET6,
 * IPv4 peers seen as ::ffff:a.b.c.d) unless the stack speaks IPv4 only;
 * icmp is IPv4's echo, icmpv6 IPv6's. */
static int new_sock(int proto)
{
	static const int type[NPROTO] = { SOCK_STREAM, SOCK_DGRAM, SOCK_DGRAM, SOCK_DGRAM };
	int t = type[proto] | SOCK_NONBLOCK, s = -1;

	if (proto == P_ICMP6 || (proto != P_ICMP && !fs.no_ipv6)) {
		s = nc_socket(fs.st, AF_INET6, t, proto_num[proto]);
		if (s >= 0 || errno != EAFNOSUPPORT || proto == P_ICMP6)
			return s;
	}
	return nc_socket(fs.st, AF_INET, t, proto_num[proto]);
}

/* open(P/clone): a new conversation; the file is its ctl. */
static void open_clone(fuse_req_t req, int proto, struct fuse_file_info *fi)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct ofile *of;
	struct conv *c;
	int s, err;

	/* before the socket: a refused uid costs the stack nothing */
	if ((err = conv_admit(proto, ctx->uid)) != 0) {
		fuse_reply_err(req, err);
		return;
	}
	s = new_sock(proto);
	if (s < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	c = conv_new(proto, s, ctx->uid, ctx->gid);
	if (c == NULL) {
		err = errno;
		nc_close(fs.st, s);
		fuse_reply_err(req, err);
		return;
	}
	of = ofile_new(Qctl, proto, c);
	if (of == NULL || text_make(of) < 0) {
		if (of)
			ofile_free(of);
		else
			conv_discard(c);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	file_reply_open(req, fi, of);
}

static void fs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	int t = qtype(ino), acc = fi->flags & O_ACCMODE;
	struct ofile *of;
	struct conv *c;
	struct stat st;

	if (fill_attr(ino, &st) < 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	valid(ino, &c);
	if (is_dir(t)) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if (!permitted(ctx, c, st.st_mode & 0777, acc)) {
		fuse_reply_err(req, EACCES);
		return;
	}
	if (t == Qclone) {
		open_clone(req, qproto(ino), fi);
		return;
	}
	if (t == Qlisten) {
		listen_open(req, c, fi);
		return;
	}
	if (t == Qifcclone) {	/* the TUN is the one medium: no other interface */
		fuse_reply_err(req, EOPNOTSUPP);
		return;
	}
	of = ofile_new(t, qproto(ino), c);
	if (of && t == Qlog)
		netlog_open(of);
	if (of == NULL || (t != Qdata && t != Qlog && text_make(of) < 0)) {
		if (of)
			ofile_free(of);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	file_reply_open(req, fi, of);
}

static struct ofile *file(struct fuse_file_info *fi)
{
	return (struct ofile *)(uintptr_t)fi->fh;
}

static void fs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct ofile *of = file(fi);

	(void)ino;
	if (of->type == Qdata) {
		data_read(req, of, size, fi->flags);
		return;
	}
	if (of->type == Qcs || of->type == Qdns) {
		cs_read(req, of, size);
		return;
	}
	if (of->type == Qlog) {
		netlog_read(req, of, size, fi->flags);
		return;
	}
	/* Text files are made anew when read from the start; ctl keeps
	 * its number. */
	if (off == 0 && of->type != Qctl && text_make(of) < 0) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (off < 0 || (size_t)off >= of->len)
		fuse_reply_buf(req, NULL, 0);
	else
		fuse_reply_buf(req, of->text + off, size < of->len - (size_t)off ? size : of->len - (size_t)off);
}

static void fs_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct ofile *of = file(fi);

	(void)ino;
	(void)off;
	if (of->type == Qctl)
		ctl_write(req, of, buf, size, fi->flags);
	else if (of->type == Qcs)
		cs_write(req, of, buf, size);
	else if (of->type == Qdns)
		dns_query_write(req, of, buf, size);
	else if (of->type == Qiproute)
		iproute_write(req, buf, size);
	else if (of->type == Qifcctl)
		ifc_ctl_write(req, of->proto, buf, size);
	else if (of->type == Qlog)
		netlog_write(req, buf, size);
	else if (of->type == Qdata)
		data_write(req, of, buf, size, fi->flags);
	else
		fuse_reply_err(req, EBADF);
}

static void fs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	ofile_free(file(fi));
	fuse_reply_err(req, 0);
}

static void fs_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		    struct fuse_pollhandle *ph)
{
	struct ofile *of = file(fi);

	(void)ino;
	if (of->type == Qdata) {
		data_poll(req, of, ph);
		return;
	}
	if (of->type == Qlog) {
		netlog_poll(req, of, ph);
		return;
	}
	if (ph)
		fuse_pollhandle_destroy(ph);
	fuse_reply_poll(req, POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM);
}

/* chmod on ctl, data or listen sets the mode of all three (Plan 9), and
 * chown their owner, for root and the daemon's owner only (a program
 * that drops root for good keeps its sockets: slashnet-run gives their
 * conversations to its new uid first); truncation (shell redirections)
 * is accepted and does nothing. */
static void fs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	int t = qtype(ino);
	struct conv *c;
	struct stat st;

	(void)fi;
	if (!valid(ino, &c)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
		int err = 0;

		if ((t != Qctl && t != Qdata && t != Qlisten) || !conv_privileged(ctx->uid))
			err = EPERM;
		else
			err = conv_chown(c, to_set & FUSE_SET_ATTR_UID ? attr->st_uid : c->uid,
					 to_set & FUSE_SET_ATTR_GID ? attr->st_gid : c->gid);
		if (err) {
			fuse_reply_err(req, err);
			return;
		}
	}
	if (to_set & FUSE_SET_ATTR_MODE) {
		if ((t != Qctl && t != Qdata && t != Qlisten) ||
		    (ctx->uid != 0 && ctx->uid != c->uid)) {
			fuse_reply_err(req, EPERM);
			return;
		}
		c->mode = attr->st_mode & 0777;
	}
	if ((to_set & FUSE_SET_ATTR_SIZE) && t != Qctl && t != Qdata && t != Qclone && t != Qcs &&
	    t != Qdns && t != Qiproute && t != Qifcctl && t != Qlog) {
		fuse_reply_err(req, EACCES);
		return;
	}
	fill_attr(ino, &st);
	fuse_reply_attr(req, &st, ttl(ino));
}

/* A socket event: a connect under way may be done (ctl), parked reads,
 * writes and listens may go on (data). */
static void conv_ready(struct conv *c)
{
	if (c->connecting)
		ctl_connect_done(c);
	data_event(c);
}

static void fs_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	conv_on_event(conv_ready);
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	/* One read() of data is one request, served in order. */
	conn->want &= ~(unsigned)FUSE_CAP_ASYNC_DIO;
	conn->max_write = DATA_IO_MAX;	/* libfuse sets max_pages from it */
}

const struct fuse_lowlevel_ops fs_ops = {
	.init = fs_init,
	.lookup = fs_lookup,
	.getattr = fs_getattr,
	.setattr = fs_setattr,
	.readdir = fs_readdir,
	.open = fs_open,
	.read = fs_read,
	.write = fs_write,
	.release = fs_release,
	.poll = fs_poll,
};
