/*
 * setsockopt and getsockopt: the options a ctl command or a file of the
 * conversation can answer; the ones that only tune the host's kernel
 * (buffer sizes, TCP's address reuse) are accepted and do nothing here. Any
 * other fails with ENOPROTOOPT.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"

enum { BUFSIZE_SEEN = 4 << 20 };	/* what SO_RCVBUF/SO_SNDBUF read back */

static int int_arg(const void *val, socklen_t len, int *v)
{
	if (val == NULL || len < sizeof(int))
		return EINVAL;
	memcpy(v, val, sizeof *v);
	return 0;
}

/* A UDP socket shares its port only with others that asked (`reuse`);
 * the mark lets the conversation a connect moves it to ask again. */
static int udp_reuse(int fd, struct sconv *c, int v)
{
	int err = conv_cmd(c, fd, v ? "reuse" : "reuse 0");

	if (err == 0 && v && conv_mark(c, MARK_REUSE) < 0)
		err = errno;
	return err;
}

static int set_socket(int fd, struct sconv *c, int name, int v)
{
	switch (name) {
	case SO_REUSEADDR:
		return c->proto == P_UDP ? udp_reuse(fd, c, v) : 0;
	case SO_REUSEPORT:
	case SO_RCVBUF:
	case SO_SNDBUF:
	case SO_LINGER:
		return 0;
	case SO_KEEPALIVE:
		return v && c->proto == P_TCP ? conv_cmd(c, fd, "keepalive") : 0;
	}
	return ENOPROTOOPT;
}

static int set_tcp(int fd, struct sconv *c, int name, int v)
{
	if (c->proto != P_TCP)
		return ENOPROTOOPT;
	switch (name) {
	case TCP_NODELAY:
		return conv_cmd(c, fd, v ? "nodelay" : "delay");
	case TCP_CORK:
		return conv_cmd(c, fd, v ? "cork" : "nocork");
	case TCP_KEEPIDLE:
		return v > 0 ? conv_cmd(c, fd, "keepalive %d", v * 1000) : EINVAL;
	case TCP_KEEPINTVL:
	case TCP_KEEPCNT:
		return 0;	/* keepalive MS sets the interval with the idle time */
	case TCP_USER_TIMEOUT:
		return conv_cmd(c, fd, "usertimeout %d", v);
	}
	return ENOPROTOOPT;
}

static int set_ip(int fd, struct sconv *c, int level, int name, int v)
{
	if ((level == IPPROTO_IP && name == IP_TTL) ||
	    (level == IPPROTO_IPV6 && name == IPV6_UNICAST_HOPS))
		return conv_cmd(c, fd, "ttl %d", v < 0 ? 64 : v);
	if ((level == IPPROTO_IP && name == IP_TOS) || (level == IPPROTO_IPV6 && name == IPV6_TCLASS))
		return conv_cmd(c, fd, "tos %d", v < 0 ? 0 : v);
	if (level == IPPROTO_IPV6 && name == IPV6_V6ONLY)
		return conv_cmd(c, fd, "v6only %d", v != 0);
	return ENOPROTOOPT;
}

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	static int (*next)(int, int, int, const void *, socklen_t);
	struct sconv c;
	int v, err;

	if (!conv_of(fd, &c)) {
		if (next == NULL)
			next = real("setsockopt");
		return next(fd, level, name, val, len);
	}
	if (level == IPPROTO_TCP && name == TCP_CONGESTION && val != NULL) {
		char cc[17] = "";

		memcpy(cc, val, len < 16 ? len : 16);
		err = c.proto == P_TCP ? conv_cmd(&c, fd, "cc %s", cc) : ENOPROTOOPT;
		err = err == EINVAL ? ENOENT : err;
	} else if ((err = int_arg(val, len, &v)) == 0) {
		if (level == SOL_SOCKET)
			err = set_socket(fd, &c, name, v);
		else if (level == IPPROTO_TCP)
			err = set_tcp(fd, &c, name, v);
		else
			err = set_ip(fd, &c, level, name, v);
	}
	if (err == 0)
		return 0;
	errno = err;
	return debug("setsockopt", "level %d option %d: %s", level, name, strerror(err));
}

/* The word after key in c's status line, in out (size bytes): 0, or -1
 * if it is not there. */
static int status_word(const struct sconv *c, const char *key, char *out, size_t size)
{
	char buf[1024], *s;
	size_t n = strlen(key), len;

	if (conv_text(c, "status", buf, sizeof buf) < 0)
		return -1;
	for (s = strchr(buf, ' '); s != NULL; s = strchr(s + 1, ' ')) {
		if (strncmp(s + 1, key, n) == 0 && s[n + 1] == ' ') {
			len = strcspn(s + n + 2, " \n");
			len = len < size ? len : size - 1;
			memcpy(out, s + n + 2, len);
			out[len] = 0;
			return 0;
		}
	}
	return -1;
}

/* The value of key in c's status line; -1 if not there. */
static long status_value(const struct sconv *c, const char *key)
{
	char word[32];

	return status_word(c, key, word, sizeof word) < 0 ? -1 : strtol(word, NULL, 10);
}

/* SO_ERROR: the outcome of a connect that ended in Closed (err tells
 * which); nothing while it runs or once it is made. */
static int so_error(const struct sconv *c)
{
	char text[256];

	if (c->proto != P_TCP || !conv_state_is(c, "Closed"))
		return 0;
	if (conv_text(c, "err", text, sizeof text) <= 0)
		return 0;
	return text_errno(text);
}

static int get_int(struct sconv *c, int level, int name, int *v)
{
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_ERROR: *v = so_error(c); return 0;
		case SO_TYPE: *v = c->proto == P_TCP ? SOCK_STREAM : SOCK_DGRAM; return 0;
		case SO_PROTOCOL: *v = c->proto == P_TCP ? IPPROTO_TCP : IPPROTO_UDP; return 0;
		case SO_DOMAIN: *v = conv_marks(c) & MARK_INET6 ? AF_INET6 : AF_INET; return 0;
		case SO_ACCEPTCONN: *v = c->proto == P_TCP && conv_state_is(c, "Listen"); return 0;
		case SO_RCVBUF: case SO_SNDBUF: *v = BUFSIZE_SEEN; return 0;
		}
	} else if (level == IPPROTO_TCP && c->proto == P_TCP && name == TCP_NODELAY) {
		*v = 0;	/* not in the files: read as off (setting it works) */
		return 0;
	} else if (level == IPPROTO_TCP && c->proto == P_TCP && name == TCP_MAXSEG) {
		*v = (int)status_value(c, "mss");
		return *v > 0 ? 0 : ENOPROTOOPT;
	}
	return ENOPROTOOPT;
}

/* TCP_INFO from status: the state, mss, srtt and mdev (µs), cwin
 * (bytes there, segments here) and retrans. */
static int tcp_info(struct sconv *c, void *val, socklen_t *len)
{
	struct tcp_info ti = { 0 };
	long mss = status_value(c, "mss"), cwin = status_value(c, "cwin");

	if (c->proto != P_TCP)
		return ENOPROTOOPT;
	ti.tcpi_state = conv_state_is(c, "Established") ? 1 : 0;
	ti.tcpi_snd_mss = mss > 0 ? (unsigned)mss : 0;
	ti.tcpi_rtt = (unsigned)(status_value(c, "srtt"));
	ti.tcpi_rttvar = (unsigned)(status_value(c, "mdev"));
	ti.tcpi_snd_cwnd = mss > 0 && cwin > 0 ? (unsigned)(cwin / mss) : 0;
	ti.tcpi_total_retrans = (unsigned)status_value(c, "retrans");
	memcpy(val, &ti, *len < sizeof ti ? *len : sizeof ti);
	*len = *len < sizeof ti ? *len : sizeof ti;
	return 0;
}

/* TCP_CONGESTION: status's cc under Linux's name (newreno is "reno"),
 * zero-padded in up to 16 bytes as Linux gives it. */
static int congestion(struct sconv *c, void *val, socklen_t *len)
{
	char name[16] = "";

	if (c->proto != P_TCP || status_word(c, "cc", name, sizeof name) < 0)
		return ENOPROTOOPT;
	if (strcmp(name, "newreno") == 0)
		strcpy(name, "reno");
	*len = *len < sizeof name ? *len : sizeof name;
	memcpy(val, name, *len);
	return 0;
}

int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	static int (*next)(int, int, int, void *, socklen_t *);
	struct sconv c;
	int v, err;

	if (!conv_of(fd, &c)) {
		if (next == NULL)
			next = real("getsockopt");
		return next(fd, level, name, val, len);
	}
	if (val == NULL || len == NULL)
		err = EFAULT;
	else if (level == IPPROTO_TCP && name == TCP_INFO)
		err = tcp_info(&c, val, len);
	else if (level == IPPROTO_TCP && name == TCP_CONGESTION)
		err = congestion(&c, val, len);
	else if ((err = get_int(&c, level, name, &v)) == 0) {
		memcpy(val, &v, *len < sizeof v ? *len : sizeof v);
		*len = *len < sizeof v ? *len : sizeof v;
	}
	if (err == 0)
		return 0;
	errno = err;
	return debug("getsockopt", "level %d option %d: %s", level, name, strerror(err));
}
