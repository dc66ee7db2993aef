/*
 * The mount and the files of one conversation: which conversation a
 * descriptor belongs to (from /proc/self/fd), its ctl commands, its text
 * files and its marks.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim.h"

static char mnt[PATH_MAX];
static pthread_once_t mnt_once = PTHREAD_ONCE_INIT;

static const char *const protos[] = { "tcp", "udp" };

/* $SLASHNET_MNT (default /net) as the kernel names it in /proc/self/fd. */
static void find_mount(void)
{
	const char *m = getenv("SLASHNET_MNT");

	if (m == NULL || *m == 0)
		m = "/net";
	if (realpath(m, mnt) == NULL)
		snprintf(mnt, sizeof mnt, "%s", m);
}

const char *mount_point(void)
{
	pthread_once(&mnt_once, find_mount);
	return mnt;
}

/* A conversation's number: the text of its ctl, read at offset 0. */
static int ctl_number(int fd)
{
	char buf[16];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);

	if (n <= 0)
		return -1;
	buf[n] = 0;
	return atoi(buf);
}

/* Is fd a socket of ours? 1 with *c filled, 0 if not (a file, a socket of
 * the host: the C library's business). */
int conv_of(int fd, struct sconv *c)
{
	char link[64], path[PATH_MAX], rest[32];
	const char *m = mount_point();
	size_t ml = strlen(m);
	ssize_t n;

	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof path - 1);
	if (n <= 0 || (size_t)n <= ml || memcmp(path, m, ml) != 0 || path[ml] != '/')
		return 0;
	path[n] = 0;
	for (c->proto = 0; c->proto < 2; c->proto++) {
		const char *p = protos[c->proto];
		const char *s = path + ml + 1;
		size_t pl = strlen(p);

		if (strncmp(s, p, pl) != 0 || s[pl] != '/')
			continue;
		s += pl + 1;
		if (strcmp(s, "clone") == 0) {
			c->kind = K_CLONE;
			c->n = ctl_number(fd);
			return c->n >= 0;
		}
		if (sscanf(s, "%d/%31s", &c->n, rest) == 2 && strcmp(rest, "data") == 0) {
			c->kind = K_DATA;
			return 1;
		}
	}
	return 0;
}

static void conv_path(const struct sconv *c, const char *file, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s/%d/%s", mount_point(), protos[c->proto], c->n, file);
}

int conv_open(const struct sconv *c, const char *file, int flags)
{
	char path[PATH_MAX];

	conv_path(c, file, path, sizeof path);
	return open(path, flags);
}

/* Give the conversation to uid and gid: chown of its ctl, which the
 * daemon takes from root (and its own owner). 0, or -1 with errno. */
int conv_chown(const struct sconv *c, uid_t uid, gid_t gid)
{
	char path[PATH_MAX];

	conv_path(c, "ctl", path, sizeof path);
	return chown(path, uid, gid);
}

/* Write one ctl command: on fd when it is the ctl (fd >= 0 and the
 * descriptor is still the clone), else on the ctl opened for it, with
 * fd's O_NONBLOCK. 0, or the errno of the write. */
int conv_cmd(const struct sconv *c, int fd, const char *fmt, ...)
{
	char cmd[256];
	int ctl = fd, err = 0, len;
	va_list ap;

	va_start(ap, fmt);
	len = vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof cmd)
		return EINVAL;
	if (fd < 0 || c->kind != K_CLONE) {
		int nb = fd >= 0 ? fcntl(fd, F_GETFL) & O_NONBLOCK : 0;

		ctl = conv_open(c, "ctl", O_RDWR | O_CLOEXEC | nb);
		if (ctl < 0)
			return errno;
	}
	if (write(ctl, cmd, (size_t)len) < 0)
		err = errno;
	if (ctl != fd)
		close(ctl);
	return err;
}

/* The text of one of c's files, NUL-terminated, newline removed: its
 * length, or -1. */
int conv_text(const struct sconv *c, const char *file, char *buf, size_t size)
{
	int fd = conv_open(c, file, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = 0;
	return (int)n;
}

int conv_marks(const struct sconv *c)
{
	char path[PATH_MAX];
	struct stat st;

	conv_path(c, "ctl", path, sizeof path);
	if (stat(path, &st) < 0)
		return 0;
	return (int)(st.st_mode & (MARK_INET6 | MARK_HEADERS | MARK_REUSE));
}

/* Add marks to c (chmod of ctl sets ctl, data and listen together). */
int conv_mark(const struct sconv *c, int marks)
{
	char path[PATH_MAX];
	struct stat st;

	conv_path(c, "ctl", path, sizeof path);
	if (stat(path, &st) < 0)
		return -1;
	return chmod(path, (st.st_mode & 07777) | (mode_t)marks);
}

/* Put c's data file in place of fd, keeping fd's number, O_NONBLOCK
 * and close-on-exec: from here on reads, writes and poll go straight to
 * the file. 0, or -1 with errno. */
int conv_become(int fd, const struct sconv *c)
{
	int fl = fcntl(fd, F_GETFL), fdfl = fcntl(fd, F_GETFD);
	int cloexec = fdfl >= 0 && (fdfl & FD_CLOEXEC) ? O_CLOEXEC : 0;
	int d;

	if (fl < 0 || fdfl < 0)
		return -1;
	d = conv_open(c, "data", O_RDWR | (fl & O_NONBLOCK) | O_CLOEXEC);
	if (d < 0)
		return -1;
	if (dup3(d, fd, cloexec) < 0) {
		int err = errno;

		close(d);
		errno = err;
		return -1;
	}
	close(d);
	return 0;
}

/* Is c's state (the first word of status) this one? */
int conv_state_is(const struct sconv *c, const char *state)
{
	char buf[512];
	size_t n = strlen(state);

	return conv_text(c, "status", buf, sizeof buf) >= 0 && strncmp(buf, state, n) == 0 &&
	       (buf[n] == ' ' || buf[n] == 0);
}

/* The errno whose text ends err's "what: text" line; 0 if none. */
int text_errno(const char *text)
{
	const char *s = strrchr(text, ':');

	if (s == NULL)
		return 0;
	for (s++; *s == ' '; s++)
		;
	for (int e = 1; e < 134; e++) {
		if (strcmp(strerror(e), s) == 0)
			return e;
	}
	return 0;
}
