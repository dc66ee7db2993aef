/*
 * slashnet: options, the mount, and the one loop (SPEC.md §1).
 *
 * The stack's loop runs in the main thread (nc_run); the FUSE device and a
 * signalfd are watched by it. In daemon mode we fork before anything else,
 * and the parent returns only once the child reports the mount live.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "conv.h"
#include "cs.h"
#include "log.h"
#include "tree.h"


struct options {
	struct nc_config cfg;
	const char *mountpoint;
	int foreground;
	union addr dns;		/* AF_UNSPEC: none */
	int conv_per_uid;
	int hide_others;
	struct fuse_args fargs;
};

static int fuse_logged;		/* libfuse said why it failed */
static int mounted;
static char mountpoint[PATH_MAX];	/* absolute: the daemon leaves its cwd */
static struct fuse_buf fbuf;

/* libfuse writes a line in pieces: gather them, log whole lines. */
static void fuse_log_cb(enum fuse_log_level level, const char *fmt, va_list ap)
{
	static char line[512];
	size_t n = strlen(line);

	vsnprintf(line + n, sizeof line - n, fmt, ap);
	n = strlen(line);
	if (n == 0 || (line[n - 1] != '\n' && n < sizeof line - 1))
		return;
	if (line[n - 1] == '\n')
		line[n - 1] = 0;
	fuse_logged = 1;
	logmsg(level <= FUSE_LOG_ERR ? LOG_ERR : LOG_INFO, "%s", line);
	line[0] = 0;
}

static void usage(FILE *f)
{
	fputs("usage: slashnet [-f] [--tun NAME] [--addr CIDR] [--gw ADDR] [--addr6 CIDR]\n"
	      "                [--gw6 ADDR] [--no-ipv6] [--no-config]\n"
	      "                [--mtu N] [--msl MS] [--bufmem MIB] [--pcap FILE] [--dns ADDR]\n"
	      "                [--conv-per-uid N] [--hide-others] [--no-timestamps] [--no-sack]\n"
	      "                [-o OPT[,OPT...]]\n"
	      "                [MOUNTPOINT]\n"
	      "Serve the Plan 9 /net (default MOUNTPOINT /net) from a user-space\n"
	      "TCP/IP stack on TUN device NAME (default sn0, 10.77.0.2/24, gw 10.77.0.1,\n"
	      "fd77::2/64, gw fd77::1).\n",
	      f);
}

static int bad(const char *fmt, const char *arg)
{
	fputs("slashnet: ", stderr);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return -1;
}

/* A whole number from lo to hi for option name; -1 after saying so. */
static int parse_num(const char *name, const char *s, long lo, long hi, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	if (*s == 0 || *end != 0 || errno || *v < lo || *v > hi) {
		fprintf(stderr, "slashnet: %s '%s': want a number from %ld to %ld\n", name, s, lo, hi);
		return -1;
	}
	return 0;
}

enum {
	OPT_TUN = 256, OPT_ADDR, OPT_GW, OPT_NOCONFIG, OPT_MTU, OPT_MSL, OPT_BUFMEM, OPT_PCAP,
	OPT_DNS, OPT_CONV_PER_UID, OPT_HIDE_OTHERS, OPT_NOTS, OPT_NOSACK, OPT_ADDR6, OPT_GW6,
	OPT_NOIPV6,
};

static const struct option longopts[] = {
	{ "tun", required_argument, NULL, OPT_TUN },
	{ "addr", required_argument, NULL, OPT_ADDR },
	{ "gw", required_argument, NULL, OPT_GW },
	{ "addr6", required_argument, NULL, OPT_ADDR6 },
	{ "gw6", required_argument, NULL, OPT_GW6 },
	{ "no-ipv6", no_argument, NULL, OPT_NOIPV6 },
	{ "no-config", no_argument, NULL, OPT_NOCONFIG },
	{ "mtu", required_argument, NULL, OPT_MTU },
	{ "msl", required_argument, NULL, OPT_MSL },
	{ "bufmem", required_argument, NULL, OPT_BUFMEM },
	{ "pcap", required_argument, NULL, OPT_PCAP },
	{ "dns", required_argument, NULL, OPT_DNS },
	{ "conv-per-uid", required_argument, NULL, OPT_CONV_PER_UID },
	{ "hide-others", no_argument, NULL, OPT_HIDE_OTHERS },
	{ "no-timestamps", no_argument, NULL, OPT_NOTS },
	{ "no-sack", no_argument, NULL, OPT_NOSACK },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_one(struct options *o, int c, const char *arg);

/* -o OPT[,OPT...]: conv_per_uid=N and hide_others are the daemon's (the
 * same as --conv-per-uid and --hide-others), the rest go to FUSE. */
static int parse_mount_opts(struct options *o, const char *arg)
{
	char *list = strdup(arg), *rest = strdup(""), *opt, *save = NULL;
	int r = 0;

	if (list == NULL || rest == NULL) {
		free(list);
		free(rest);
		return bad("%s", "out of memory");
	}
	for (opt = strtok_r(list, ",", &save); opt && r == 0; opt = strtok_r(NULL, ",", &save)) {
		if (strncmp(opt, "conv_per_uid=", 13) == 0)
			r = parse_one(o, OPT_CONV_PER_UID, opt + 13);
		else if (strcmp(opt, "hide_others") == 0)
			r = parse_one(o, OPT_HIDE_OTHERS, NULL);
		else if (fuse_opt_add_opt(&rest, opt) < 0)
			r = bad("%s", "out of memory");
	}
	if (r == 0 && *rest &&
	    (fuse_opt_add_arg(&o->fargs, "-o") < 0 || fuse_opt_add_arg(&o->fargs, rest) < 0))
		r = bad("%s", "out of memory");
	free(list);
	free(rest);
	return r;
}

static int parse_one(struct options *o, int c, const char *arg)
{
	long v;

	switch (c) {
	case 'f':
		o->foreground = 1;
		return 0;
	case 'o':
		return parse_mount_opts(o, arg);
	case OPT_TUN:
		if (*arg == 0 || strlen(arg) >= IFNAMSIZ)
			return bad("--tun '%s': want a name of 1 to 15 characters", arg);
		o->cfg.tun = arg;
		return 0;
	case OPT_ADDR:
		if (nc_parse_cidr(arg, &o->cfg.addr, &o->cfg.prefix) < 0)
			return bad("--addr '%s': want an IPv4 address/prefix", arg);
		return 0;
	case OPT_GW:
		if (inet_pton(AF_INET, arg, &o->cfg.gw) != 1)
			return bad("--gw '%s': want an IPv4 address", arg);
		return 0;
	case OPT_ADDR6:
		if (nc_parse_cidr6(arg, &o->cfg.addr6, &o->cfg.prefix6) < 0)
			return bad("--addr6 '%s': want an IPv6 address/prefix", arg);
		return 0;
	case OPT_GW6:
		if (inet_pton(AF_INET6, arg, &o->cfg.gw6) != 1)
			return bad("--gw6 '%s': want an IPv6 address", arg);
		return 0;
	case OPT_NOIPV6:
		o->cfg.no_ipv6 = 1;
		return 0;
	case OPT_NOCONFIG:
		o->cfg.no_config = 1;
		return 0;
	case OPT_MTU:
		if (parse_num("--mtu", arg, 576, 65535, &v) < 0)
			return -1;
		o->cfg.mtu = (int)v;
		return 0;
	case OPT_MSL:
		if (parse_num("--msl", arg, 1, 600000, &v) < 0)
			return -1;
		o->cfg.msl_ms = (unsigned)v;
		return 0;
	case OPT_BUFMEM:
		if (parse_num("--bufmem", arg, 1, 65536, &v) < 0)
			return -1;
		o->cfg.buf_max = (size_t)v << 20;
		return 0;
	case OPT_PCAP:
		o->cfg.pcap = arg;
		return 0;
	case OPT_NOTS:
		o->cfg.no_timestamps = 1;
		return 0;
	case OPT_NOSACK:
		o->cfg.no_sack = 1;
		return 0;
	case OPT_DNS:
		if (inet_pton(AF_INET, arg, &o->dns.v4.sin_addr) == 1)
			o->dns.sa.sa_family = AF_INET;
		else if (inet_pton(AF_INET6, arg, &o->dns.v6.sin6_addr) == 1)
			o->dns.sa.sa_family = AF_INET6;
		else
			return bad("--dns '%s': want an IPv4 or IPv6 address", arg);
		return 0;
	case OPT_CONV_PER_UID:
		if (parse_num("conv_per_uid", arg, 1, CONV_MAX, &v) < 0)
			return -1;
		o->conv_per_uid = (int)v;
		return 0;
	case OPT_HIDE_OTHERS:
		o->hide_others = 1;
		return 0;
	}
	return -1;
}

static int parse_options(struct options *o, int argc, char **argv)
{
	int c;

	nc_config_init(&o->cfg);
	o->mountpoint = "/net";
	o->conv_per_uid = CONV_MAX / 4;
	if (fuse_opt_add_arg(&o->fargs, "slashnet") < 0)
		return bad("%s", "out of memory");
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":fho:", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			exit(0);
		}
		if (c == ':')
			return bad("option '%s' needs a value", argv[optind - 1]);
		if (c == '?')
			return bad("unknown option '%s' (try --help)", argv[optind - 1]);
		if (parse_one(o, c, optarg) < 0)
			return -1;
	}
	if (optind < argc)
		o->mountpoint = argv[optind++];
	if (optind < argc)
		return bad("unexpected argument '%s' (one MOUNTPOINT only)", argv[optind]);
	return 0;
}

/* The mountpoint must be a directory no one has mounted on; the default
 * /net is created if missing. */
static int check_mountpoint(const char *mp)
{
	struct statx sx;

	if (statx(AT_FDCWD, mp, 0, STATX_TYPE, &sx) < 0) {
		if (errno == ENOENT && strcmp(mp, "/net") == 0 && mkdir(mp, 0755) == 0)
			return 0;
		logmsg(LOG_ERR, "%s: %s", mp, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sx.stx_mode)) {
		logmsg(LOG_ERR, "%s: not a directory", mp);
		return -1;
	}
	if (sx.stx_attributes_mask & sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) {
		logmsg(LOG_ERR, "%s: mountpoint in use", mp);
		return -1;
	}
	return 0;
}

/* The FUSE device is readable: serve one request. The loop's epoll is
 * level-triggered, so a request still queued wakes it again at once;
 * reading on until EAGAIN cost a failed read per wake-up (most bring one
 * request), and this way the TUN is served between requests. */
static void fuse_ready(void *arg)
{
	int r;

	(void)arg;
	do
		r = fuse_session_receive_buf(fs.se, &fbuf);
	while (r == -EINTR);
	if (r == -EAGAIN)
		return;
	if (r > 0)
		fuse_session_process_buf(fs.se, &fbuf);
	if (r <= 0 || fuse_session_exited(fs.se)) {
		/* unmounted (ENODEV), or a fatal read error */
		fuse_session_exit(fs.se);
		nc_stop(fs.st);
	}
}

static void signal_ready(void *arg)
{
	struct signalfd_siginfo si;
	int fd = *(int *)arg;

	while (read(fd, &si, sizeof si) == sizeof si) {
		if ((int)si.ssi_signo == cs_signo()) {
			cs_signalled((void *)(uintptr_t)si.ssi_ptr);
			continue;
		}
		logmsg(LOG_INFO, "%s: shutting down", strsignal((int)si.ssi_signo));
		nc_stop(fs.st);
	}
}

static int open_signals(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, cs_signo());
	sigprocmask(SIG_BLOCK, &set, NULL);
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

/* Mount and start serving. The mount is live on return 0. */
static int start(struct options *o, int *sigfd)
{
	int fd;

	if (check_mountpoint(o->mountpoint) < 0)
		return -1;
	if (realpath(o->mountpoint, mountpoint) == NULL) {
		logmsg(LOG_ERR, "%s: %s", o->mountpoint, strerror(errno));
		return -1;
	}
	o->cfg.own_loop = 1;
	fs.st = nc_open(&o->cfg);
	if (fs.st == NULL) {
		logmsg(LOG_ERR, "%s", nc_error());
		return -1;
	}
	fs.uid = getuid();
	fs.gid = getgid();
	fs.start = time(NULL);
	fs.mountpoint = mountpoint;
	fs.dns = o->dns;
	fs.no_ipv6 = o->cfg.no_ipv6;
	fs.conv_per_uid = o->conv_per_uid;
	fs.hide_others = o->hide_others;
	fs.se = fuse_session_new(&o->fargs, &fs_ops, sizeof fs_ops, NULL);
	if (fs.se == NULL || fuse_session_mount(fs.se, mountpoint) < 0) {
		if (!fuse_logged)
			logmsg(LOG_ERR, "%s: cannot mount", mountpoint);
		return -1;
	}
	mounted = 1;
	fd = fuse_session_fd(fs.se);
	*sigfd = open_signals();
	if (*sigfd < 0 || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0 ||
	    nc_loop_watch(fs.st, fd, fuse_ready, NULL) < 0 ||
	    nc_loop_watch(fs.st, *sigfd, signal_ready, sigfd) < 0) {
		logmsg(LOG_ERR, "cannot watch the FUSE device: %s", strerror(errno));
		return -1;
	}
	return cs_init();
}

/* Undo start(), whatever part of it was done. */
static void stop(int sigfd)
{
	cs_fini();
	conv_shutdown_all();
	if (fs.se) {
		if (mounted)
			fuse_session_unmount(fs.se);
		fuse_session_destroy(fs.se);
	}
	if (fs.st)
		nc_close_stack(fs.st);
	if (sigfd >= 0)
		close(sigfd);
	free(fbuf.mem);
}

/* The daemon's side of the start-up pipe: detach once the mount is live. */
static void detach(int statusfd)
{
	int null = open("/dev/null", O_RDWR);

	if (write(statusfd, "1", 1) != 1)
		logmsg(LOG_WARNING, "start-up pipe: %s", strerror(errno));
	close(statusfd);
	setsid();
	if (chdir("/") < 0)
		logmsg(LOG_WARNING, "chdir /: %s", strerror(errno));
	openlog("slashnet", LOG_PID, LOG_DAEMON);
	log_to_syslog();
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (null > 2)
			close(null);
	}
}

static int serve(struct options *o, int statusfd)
{
	int sigfd = -1, ok = start(o, &sigfd) == 0;
	int r = 0;

	if (ok) {
		if (statusfd >= 0)
			detach(statusfd);
		r = nc_run(fs.st);
		if (r < 0)
			logmsg(LOG_ERR, "%s: the network is gone: %s", o->cfg.tun, strerror(errno));
	}
	stop(sigfd);
	fuse_opt_free_args(&o->fargs);
	return ok && r == 0 ? 0 : 1;
}

/* Parent: wait for the child's one byte (mount live) or its exit. */
static int wait_child(pid_t pid, int statusfd)
{
	char c;
	int status;

	if (read(statusfd, &c, 1) == 1)
		return 0;
	if (waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status))
		return 1;
	fputs("slashnet: the daemon died while starting\n", stderr);
	return 1;
}

int main(int argc, char **argv)
{
	struct options o = { .fargs = FUSE_ARGS_INIT(0, NULL) };
	int pfd[2];
	pid_t pid;

	fuse_set_log_func(fuse_log_cb);
	if (parse_options(&o, argc, argv) < 0) {
		fuse_opt_free_args(&o.fargs);
		return 1;
	}
	if (o.foreground)
		return serve(&o, -1);
	if (pipe2(pfd, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		perror("slashnet: fork");
		return 1;
	}
	if (pid > 0) {
		close(pfd[1]);
		fuse_opt_free_args(&o.fargs);
		return wait_child(pid, pfd[0]);
	}
	close(pfd[0]);
	return serve(&o, pfd[1]);
}
