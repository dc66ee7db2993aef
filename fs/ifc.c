/*
 * The control files of the interface and the routes (ip(3)): one command
 * a write, words separated by blanks, as ctl's. Masks are dotted quads
 * (255.255.255.0) or Plan 9's "/N" (/120, IPv6's length, as iproute
 * shows them; /24 is taken too). Who may write is decided at open: the
 * files belong to the daemon's owner, mode 0644 (root may too).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ifc.h"

enum { MAXWORDS = 8 };

/* 0, the TUN; 1, the loopback inside the stack. */
int ifc_count(void)
{
	return 2;
}

static int parse_ip(const char *s, struct in_addr *a)
{
	return inet_pton(AF_INET, s, a) == 1 ? 0 : EINVAL;
}

/* A contiguous mask, as a prefix length. */
static int parse_mask(const char *s, int *prefix)
{
	struct in_addr a;
	uint32_t m;
	char *end;
	long n;

	if (s[0] == '/') {
		n = strtol(s + 1, &end, 10);
		if (*end || end == s + 1 || n < 0 || (n > 32 && (n < 96 || n > 128)))
			return EINVAL;
		*prefix = (int)(n >= 96 ? n - 96 : n);
		return 0;
	}
	if (parse_ip(s, &a) != 0)
		return EINVAL;
	m = ntohl(a.s_addr);
	if (m & (~m >> 1))	/* a one after a zero */
		return EINVAL;
	*prefix = __builtin_popcount(m);
	return 0;
}

/* Split a written command into words: their count, or -1 if too long. */
static int words(const char *buf, size_t len, char *line, size_t cap, char **w)
{
	char *save = NULL;
	int n = 0;

	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (len >= cap)
		return -1;
	memcpy(line, buf, len);
	line[len] = 0;
	for (char *t = strtok_r(line, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n == MAXWORDS)
			return -1;
		w[n++] = t;
	}
	return n;
}

static void reply(fuse_req_t req, int err, size_t len)
{
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_write(req, len);
}

static int call(int r)
{
	return r < 0 ? errno : 0;
}

static int route_command(char **w, int n)
{
	struct in_addr dst, gw;
	int prefix;

	if (n == 1 && strcmp(w[0], "flush") == 0)
		return call(nc_route_flush(fs.st));
	if (n < 3 || parse_ip(w[1], &dst) || parse_mask(w[2], &prefix))
		return EINVAL;
	if (strcmp(w[0], "add") == 0 && n == 4 && parse_ip(w[3], &gw) == 0)
		return call(nc_route_add(fs.st, dst, prefix, gw));
	if (strcmp(w[0], "remove") == 0 && n == 3)
		return call(nc_route_del(fs.st, dst, prefix));
	return EINVAL;
}

void iproute_write(fuse_req_t req, const char *buf, size_t len)
{
	char line[CTL_MAX + 1], *w[MAXWORDS];
	int n = words(buf, len, line, sizeof line, w);

	reply(req, n < 1 ? EINVAL : route_command(w, n), len);
}

static int ifc_command(char **w, int n)
{
	struct in_addr a, remote = { 0 };
	int prefix;
	char *end;
	long mtu;

	if (n == 2 && strcmp(w[0], "mtu") == 0) {
		mtu = strtol(w[1], &end, 10);
		return *end || mtu < 576 || mtu > 65535 ? EINVAL : call(nc_set_mtu(fs.st, (int)mtu));
	}
	if (strcmp(w[0], "unbind") == 0 || strcmp(w[0], "bind") == 0)
		return EOPNOTSUPP;	/* the TUN is the one medium, bound for good */
	if (n < 3 || parse_ip(w[1], &a) || parse_mask(w[2], &prefix))
		return EINVAL;
	if (strcmp(w[0], "add") == 0 && (n == 3 || (n == 4 && parse_ip(w[3], &remote) == 0)))
		return call(nc_addr_add(fs.st, a, prefix, remote));
	if (strcmp(w[0], "remove") == 0 && n == 3)
		return call(nc_addr_del(fs.st, a, prefix));
	return EINVAL;
}

void ifc_ctl_write(fuse_req_t req, int ifc, const char *buf, size_t len)
{
	char line[CTL_MAX + 1], *w[MAXWORDS];
	int n = words(buf, len, line, sizeof line, w);

	if (ifc != 0) {	/* the loopback's address and MTU are fixed */
		reply(req, EOPNOTSUPP, len);
		return;
	}
	reply(req, n < 1 ? EINVAL : ifc_command(w, n), len);
}
