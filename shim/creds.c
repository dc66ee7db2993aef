/*
 * A program that starts as root and gives root up for good (nginx's
 * workers, daemons that drop privileges) keeps using the sockets it
 * opened before: a kernel socket needs only its descriptor. A
 * conversation's files check the uid of whoever opens them (accept
 * opens `listen`, a call's `data`), so just before such a drop the
 * program's conversations are given to the uid it becomes (chown of each
 * ctl, which root may do). A drop that keeps root within reach (seteuid,
 * a saved uid of 0) gives nothing away: the program can still use its
 * conversations as root, and handing them to a user it only visits
 * would let that user's other processes take its calls.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"

/* Give every conversation a descriptor of ours holds to uid and the
 * current group. */
static void give_away(uid_t uid)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		struct sconv c;
		char *end;
		long fd = strtol(e->d_name, &end, 10);

		if (*end == 0 && fd != dirfd(d) && conv_of((int)fd, &c) &&
		    conv_chown(&c, uid, getegid()) < 0)
			debug("setuid", "conversation %d stays root's: %s%s", c.n, strerror(errno),
			      errno == EACCES ? " (a mount without allow_other serves its owner's"
						" uid and gid alone)" : "");
	}
	closedir(d);
}

/* About to become r, e, s (-1: unchanged) for real, effective, saved:
 * give our conversations away if root is let go for good. */
static void dropping(uid_t r, uid_t e, uid_t s)
{
	uid_t cr, ce, cs;

	if (getresuid(&cr, &ce, &cs) < 0 || ce != 0)
		return;
	r = r == (uid_t)-1 ? cr : r;
	e = e == (uid_t)-1 ? ce : e;
	s = s == (uid_t)-1 ? cs : s;
	if (r != 0 && e != 0 && s != 0)
		give_away(e);
}

int setuid(uid_t uid)
{
	static int (*next)(uid_t);

	if (next == NULL)
		next = real("setuid");
	dropping(uid, uid, uid);	/* root's setuid sets all three */
	return next(uid);
}

int setresuid(uid_t r, uid_t e, uid_t s)
{
	static int (*next)(uid_t, uid_t, uid_t);

	if (next == NULL)
		next = real("setresuid");
	dropping(r, e, s);
	return next(r, e, s);
}

/* setreuid sets the saved uid to the new effective one when the real
 * one is set, or the effective one is set to other than the real one. */
int setreuid(uid_t r, uid_t e)
{
	static int (*next)(uid_t, uid_t);
	uid_t cr, ce, cs;

	if (next == NULL)
		next = real("setreuid");
	if (getresuid(&cr, &ce, &cs) == 0) {
		uid_t ne = e == (uid_t)-1 ? ce : e;
		int saved = r != (uid_t)-1 || (e != (uid_t)-1 && e != cr);

		dropping(r, e, saved ? ne : (uid_t)-1);
	}
	return next(r, e);
}
