/*
 * fusefloor: what the FUSE requests of a connection through /net cost by
 * themselves, with no network behind them (connrate.sh's "floor").
 *
 *   fusefloor MOUNTPOINT     mount, serve until unmounted or signalled
 *
 * The tree has the shape ncbench netconnects walks: tcp/clone, and tcp/N
 * with ctl and data. Opening clone takes the lowest free number N and
 * is N's ctl; reading it gives N; a write to ctl or data is taken whole
 * at once; N is free again when its last file is closed. The files are
 * answered as the daemon answers them (fs/tree.c, fs/conv.c): names
 * cached 60 s, the attributes of N's files not at all, data a stream
 * (FOPEN_STREAM, direct I/O), no FLUSH, writes of up to 1 MiB; and the
 * loop polls /dev/fuse for up to 50 µs before it sleeps, as the daemon's
 * does while requests come close together (loop.c wait_events). So a
 * connection here is the least the daemon's could take: five requests
 * its opener waits for (open clone, read N, write connect, open data,
 * write 1 KB) and two releases, without a packet.
 */
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <linux/fuse.h>	/* struct fuse_open_out, FOPEN_STREAM */
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum {
	INO_TCP = 2,
	INO_CLONE = 3,
	INO_CONV = 16,		/* N's directory is INO_CONV + 4N, ctl +1, data +2 */
	NCONV = 4096,
	IO_MAX = 1 << 20,
	POLL_US = 50,
};

static const double NAME_TTL = 60.0;

static int held[NCONV];		/* open files of each number */

static int conv_of(fuse_ino_t ino)
{
	return ino >= INO_CONV && ino < INO_CONV + 4 * NCONV ? (int)((ino - INO_CONV) / 4) : -1;
}

/* 0 directory, 1 ctl, 2 data; -1 for no file of a number. */
static int kind_of(fuse_ino_t ino)
{
	int k = conv_of(ino) < 0 ? -1 : (int)((ino - INO_CONV) % 4);

	return k == 3 ? -1 : k;
}

static int fill(fuse_ino_t ino, struct stat *st)
{
	int n = conv_of(ino), k = kind_of(ino);

	memset(st, 0, sizeof *st);
	st->st_ino = ino;
	st->st_nlink = 1;
	if (ino == FUSE_ROOT_ID || ino == INO_TCP || k == 0) {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
	} else if (ino == INO_CLONE) {
		st->st_mode = S_IFREG | 0666;
	} else if (k > 0) {
		st->st_mode = S_IFREG | 0660;
		st->st_blksize = IO_MAX;
	} else {
		return -1;
	}
	return n >= 0 && held[n] == 0 ? -1 : 0;
}

static void fl_lookup(fuse_req_t req, fuse_ino_t dir, const char *name)
{
	struct fuse_entry_param e = { .generation = 1 };
	char *end;
	long n;

	if (dir == FUSE_ROOT_ID && strcmp(name, "tcp") == 0) {
		e.ino = INO_TCP;
	} else if (dir == INO_TCP && strcmp(name, "clone") == 0) {
		e.ino = INO_CLONE;
	} else if (dir == INO_TCP) {
		n = strtol(name, &end, 10);
		if (*end == 0 && n >= 0 && n < NCONV)
			e.ino = INO_CONV + 4 * (fuse_ino_t)n;
	} else if (kind_of(dir) == 0) {
		if (strcmp(name, "ctl") == 0)
			e.ino = dir + 1;
		else if (strcmp(name, "data") == 0)
			e.ino = dir + 2;
	}
	if (e.ino == 0 || fill(e.ino, &e.attr) < 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	e.entry_timeout = NAME_TTL;
	e.attr_timeout = conv_of(e.ino) < 0 ? NAME_TTL : 0;
	fuse_reply_entry(req, &e);
}

static void fl_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;

	(void)fi;
	if (fill(ino, &st) < 0)
		fuse_reply_err(req, ENOENT);
	else
		fuse_reply_attr(req, &st, conv_of(ino) < 0 ? NAME_TTL : 0);
}

static void fl_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	int n = conv_of(ino), k = kind_of(ino);
	struct fuse_open_out out = { .open_flags = FOPEN_DIRECT_IO | FOPEN_NONSEEKABLE | FOPEN_STREAM };

	if (ino == INO_CLONE) {
		for (n = 0; n < NCONV && held[n] > 0; n++)
			;
		if (n == NCONV) {
			fuse_reply_err(req, ENFILE);
			return;
		}
		ino = INO_CONV + 4 * (fuse_ino_t)n + 1;
	} else if (k <= 0 || held[n] == 0) {
		fuse_reply_err(req, k == 0 ? EISDIR : ENOENT);
		return;
	}
	held[n]++;
	fi->fh = ino;
	if (kind_of(ino) == 2) {
		out.fh = ino;
		fuse_reply_buf(req, (const char *)&out, sizeof out);
	} else {
		fi->direct_io = 1;
		fuse_reply_open(req, fi);
	}
}

static void fl_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	char text[16];
	int len;

	(void)ino;
	if (kind_of(fi->fh) != 1) {
		fuse_reply_err(req, EAGAIN);	/* no one reads data here */
		return;
	}
	len = snprintf(text, sizeof text, "%d", conv_of(fi->fh));
	if (off >= len)
		fuse_reply_buf(req, NULL, 0);
	else
		fuse_reply_buf(req, text + off, (size_t)(len - off) < size ? (size_t)(len - off) : size);
}

static void fl_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	(void)ino, (void)buf, (void)off, (void)fi;
	fuse_reply_write(req, size);
}

static void fl_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	held[conv_of(fi->fh)]--;
	fuse_reply_err(req, 0);
}

static void fl_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	conn->want &= ~(unsigned)FUSE_CAP_ASYNC_DIO;
	conn->max_write = IO_MAX;
}

static const struct fuse_lowlevel_ops ops = {
	.init = fl_init,
	.lookup = fl_lookup,
	.getattr = fl_getattr,
	.open = fl_open,
	.read = fl_read,
	.write = fl_write,
	.release = fl_release,
};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Serve until unmounted (0): each request as it comes, polling up to
 * POLL_US for the next before sleeping in poll(); -1, said on stderr,
 * when /dev/fuse fails otherwise. */
static int serve(struct fuse_session *se)
{
	struct fuse_buf buf = { 0 };
	struct pollfd p = { .fd = fuse_session_fd(se), .events = POLLIN };
	uint64_t idle = now_us();
	int r = 0;

	while (!fuse_session_exited(se)) {
		r = fuse_session_receive_buf(se, &buf);
		if (r == -EAGAIN || r == -EINTR) {
			r = 0;
			if (now_us() - idle < POLL_US)
				sched_yield();
			else if (poll(&p, 1, -1) < 0 && errno != EINTR)
				r = -errno;
			if (r < 0)
				break;
			continue;
		}
		if (r <= 0)
			break;	/* 0 or -ENODEV: unmounted */
		fuse_session_process_buf(se, &buf);
		idle = now_us();
	}
	free(buf.mem);
	if (r < 0 && r != -ENODEV) {
		fprintf(stderr, "fusefloor: /dev/fuse: %s\n", strerror(-r));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	char *fargv[] = { argv[0], "-o", "fsname=fusefloor", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, fargv);
	struct fuse_session *se;
	int fd, err;

	if (argc != 2) {
		fprintf(stderr, "usage: fusefloor MOUNTPOINT\n");
		return 1;
	}
	se = fuse_session_new(&args, &ops, sizeof ops, NULL);
	if (se == NULL || fuse_set_signal_handlers(se) < 0 || fuse_session_mount(se, argv[1]) < 0) {
		fprintf(stderr, "fusefloor: cannot mount %s\n", argv[1]);
		return 1;
	}
	fd = fuse_session_fd(se);
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		perror("fusefloor: /dev/fuse");
		err = -1;
	} else {
		err = serve(se);
	}
	fuse_session_unmount(se);
	fuse_remove_signal_handlers(se);
	fuse_session_destroy(se);
	return err < 0 ? 1 : 0;
}
