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
#include "dnsrr.h"
#include "hostroute.h"
#include "log.h"
#include "nat.h"
#include "netlog.h"
#include "reply.h"
#include "tree.h"


struct options {
	struct nc_config cfg;
	const char *mountpoint;
	int foreground;
	const char *dns;	/* NULL: none */
	int conv_per_uid;
	int hide_others;
	int nat;		/* --nat: the host masquerades the stack */
	const char *log;	/* --log FILE, or NULL */
	const char *source;	/* what mount(8) passes before the mountpoint */
	int nargs;		/* of SOURCE and MOUNTPOINT, seen so far */
	struct fuse_args fargs;	/* for FUSE: argv[0] and its mount options */
	struct fuse_args values;	/* our options' values, owned */
};

static int fuse_logged;		/* libfuse said why it failed */
static int mounted;
static const char *nat_tun;	/* the TUN whose nft table nat_start installed */
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

/* The daemon polls, and its loop runs above the programs it serves, by
 * default (DESIGN, "What an operation costs the loop", "The loop runs
 * above its programs"); the library's defaults are the config's, 0. */
enum { BUSY_POLL_US = 50, LOOP_BOOST = 5 };

enum {
	OPT_TUN = 256, OPT_ADDR, OPT_GW, OPT_NOCONFIG, OPT_MTU, OPT_MSL, OPT_BUFMEM, OPT_BUSYPOLL, OPT_BOOST, OPT_PCAP,
	OPT_DNS, OPT_CONV_PER_UID, OPT_HIDE_OTHERS, OPT_NOTS, OPT_NOSACK, OPT_CC, OPT_LOG,
	OPT_ADDR6, OPT_GW6, OPT_NOIPV6, OPT_NAT, OPT_FOREGROUND, OPT_DEBUG, OPT_HELP, OPT_VERSION,
};

/*
 * The daemon's own options, one line each. templ is the mount-option form
 * (-o tun=NAME, -o no_config), as fuse_opt_parse matches it; the command
 * line form is the same name with dashes, --tun NAME or --tun=NAME, which
 * expand_long() rewrites to the -o form, so fuse_opt_parse is the one
 * parser. value names the value for --help; NULL for a flag.
 */
static const struct optdef {
	const char *templ;
	int key;
	const char *value;
	const char *help;
} optdefs[] = {
	{ "tun=", OPT_TUN, "NAME", "TUN device to create, or to attach to if it exists (default sn0)" },
	{ "addr=", OPT_ADDR, "CIDR", "the stack's own address and prefix (default 10.77.0.2/24)" },
	{ "gw=", OPT_GW, "ADDR", "the host's side of the TUN, the stack's default route (default 10.77.0.1)" },
	{ "addr6=", OPT_ADDR6, "CIDR", "the stack's own IPv6 address and prefix (default fd77::2/64)" },
	{ "gw6=", OPT_GW6, "ADDR", "the host's IPv6 side of the TUN, the default v6 route (default fd77::1; :: for none)" },
	{ "no_ipv6", OPT_NOIPV6, NULL, "speak IPv4 only (and turn IPv6 off on the host side of the TUN)" },
	{ "no_config", OPT_NOCONFIG, NULL, "leave the host side of the TUN alone (no netlink)" },
	{ "nat", OPT_NAT, NULL, "the host forwards and masquerades the stack's prefixes, so it reaches hosts beyond (nftables)" },
	{ "mtu=", OPT_MTU, "N", "link MTU, 576 to 65535 (default 1500)" },
	{ "msl=", OPT_MSL, "MS", "TCP's maximum segment lifetime in ms; TIME_WAIT lasts twice it (default 30000)" },
	{ "bufmem=", OPT_BUFMEM, "MIB", "budget of all socket buffers together, MiB, 1 to 65536 (default 256)" },
	{ "busy_poll=", OPT_BUSYPOLL, "US", "while events come close together, poll this long before sleeping, 0 to 1000 µs (default 50; 0: never)" },
	{ "boost=", OPT_BOOST, "N", "nice levels the stack's loop runs above the daemon's start, as the kernel's network processing runs above programs, 0 to 19 (default 5; 0: none)" },
	{ "pcap=", OPT_PCAP, "FILE", "write every packet in and out to FILE in pcap format; - for standard output" },
	{ "dns=", OPT_DNS, "ADDR[,ADDR...]", "nameservers cs asks, in turn, over the stack's own UDP and TCP (default: the host's resolver)" },
	{ "conv_per_uid=", OPT_CONV_PER_UID, "N", "conversations of a protocol one uid may hold, 1 to 16384 (default 4096)" },
	{ "hide_others", OPT_HIDE_OTHERS, NULL, "each uid but root sees only its own conversations" },
	{ "no_timestamps", OPT_NOTS, NULL, "TCP neither offers nor accepts timestamps (RFC 7323)" },
	{ "no_sack", OPT_NOSACK, NULL, "TCP neither offers nor accepts selective acknowledgements (RFC 2018)" },
	{ "cc=", OPT_CC, "NAME", "congestion control of new TCP connections: cubic (the default), newreno or bbr; ctl's cc changes one" },
	{ "log=", OPT_LOG, "FILE", "append the daemon's messages to FILE instead of stderr or syslog" },
};
enum { NOPTDEFS = sizeof optdefs / sizeof optdefs[0] };

/* text, after a first column col characters wide, wrapped at 79. */
static void print_wrapped(FILE *f, const char *text, int col)
{
	while ((int)strlen(text) > 79 - col) {
		int n = 79 - col;

		while (n > 0 && text[n] != ' ')
			n--;
		if (n == 0)
			break;	/* one long word: let it run over */
		fprintf(f, "%.*s\n%*s", n, text, col, "");
		text += n + 1;
	}
	fprintf(f, "%s\n", text);
}

static void usage(FILE *f)
{
	const struct optdef *d;
	char name[32];

	fputs("usage: slashnet [options] [SOURCE] [MOUNTPOINT]\n"
	      "Serve the Plan 9 /net at MOUNTPOINT (default /net) from a user-space TCP/IP\n"
	      "stack on a TUN device. SOURCE, which mount(8) passes, is the name the mount\n"
	      "shows (default slashnet). Each --NAME VALUE is also -o NAME=VALUE, dashes as\n"
	      "underscores (-o tun=sn1,no_config).\n\n"
	      "  -f                 stay in the foreground, log to stderr, say when ready\n"
	      "  -d                 as -f, and trace every FUSE request and reply to stderr\n"
	      "  -V, --version      print the versions of slashnet and libfuse\n"
	      "  -h, --help         print this help\n"
	      "  -o OPT[,OPT...]    the options here, and FUSE's (allow_other, ...)\n", f);
	for (d = optdefs; d < optdefs + NOPTDEFS; d++) {
		snprintf(name, sizeof name, "%.*s %s", (int)strcspn(d->templ, "="), d->templ,
			 d->value ? d->value : "");
		for (char *c = name; *c; c++)
			*c = *c == '_' ? '-' : *c;
		fprintf(f, "  --%-16s ", name);
		print_wrapped(f, d->help, 21);
	}
}

/* The option of optdefs whose command line name is s (up to '=' or the
 * end), or NULL. */
static const struct optdef *find_long(const char *s)
{
	size_t n = strcspn(s, "=");

	for (const struct optdef *d = optdefs; d < optdefs + NOPTDEFS; d++) {
		size_t i;

		if (strcspn(d->templ, "=") != n)
			continue;
		for (i = 0; i < n && (s[i] == d->templ[i] || (s[i] == '-' && d->templ[i] == '_')); i++)
			;
		if (i == n)
			return d;
	}
	return NULL;
}

/* The mount option templ (NAME= or a flag's NAME) followed by value, with
 * commas and backslashes escaped as fuse_opt_parse unescapes them; NULL
 * without memory. */
static char *mount_opt(const char *templ, const char *value)
{
	size_t n = strlen(templ);
	char *s = malloc(n + 2 * strlen(value) + 1), *p;

	if (s == NULL)
		return NULL;
	memcpy(s, templ, n);
	for (p = s + n; *value; value++) {
		if (*value == ',' || *value == '\\')
			*p++ = '\\';
		*p++ = *value;
	}
	*p = 0;
	return s;
}

/* argv with every --NAME VALUE or --NAME=VALUE of optdefs rewritten as
 * -o NAME=VALUE, into out. */
static int expand_long(int argc, char **argv, struct fuse_args *out)
{
	for (int i = 0; i < argc; i++) {
		const struct optdef *d = strncmp(argv[i], "--", 2) == 0 ? find_long(argv[i] + 2) : NULL;
		const char *eq = strchr(argv[i], '=');
		char *opt;
		int r;

		if (d == NULL) {
			if (fuse_opt_add_arg(out, argv[i]) < 0)
				return bad("%s", "out of memory");
			continue;
		}
		if (d->value && eq == NULL && ++i == argc)
			return bad("option '%s' needs a value", argv[i - 1]);
		if (d->value == NULL && eq)
			return bad("option '%s' takes no value", argv[i]);
		opt = mount_opt(d->templ, d->value == NULL ? "" : eq ? eq + 1 : argv[i]);
		r = opt == NULL || fuse_opt_add_arg(out, "-o") < 0 || fuse_opt_add_arg(out, opt) < 0;
		free(opt);
		if (r)
			return bad("%s", "out of memory");
	}
	return 0;
}

/* Option c of optdefs with its value arg (NULL for a flag), which must
 * outlive the daemon. */
static int parse_one(struct options *o, int c, const char *arg)
{
	long v;

	switch (c) {
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
	case OPT_NAT:
		o->nat = 1;
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
	case OPT_BUSYPOLL:
		if (parse_num("--busy-poll", arg, 0, 1000, &v) < 0)
			return -1;
		o->cfg.busy_poll_us = (unsigned)v;
		return 0;
	case OPT_BOOST:
		if (parse_num("--boost", arg, 0, 19, &v) < 0)
			return -1;
		o->cfg.loop_boost = (int)v;
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
	case OPT_CC:
		o->cfg.cc = arg;
		return 0;
	case OPT_DNS:
		if (!dns_servers_ok(arg))
			return bad("--dns '%s': want IPv4 or IPv6 addresses, comma-separated", arg);
		o->dns = arg;
		return 0;
	case OPT_CONV_PER_UID:
		if (parse_num("conv_per_uid", arg, 1, CONV_MAX, &v) < 0)
			return -1;
		o->conv_per_uid = (int)v;
		return 0;
	case OPT_HIDE_OTHERS:
		o->hide_others = 1;
		return 0;
	case OPT_LOG:
		o->log = arg;
		return 0;
	}
	return -1;
}

static void version(void)
{
	printf("slashnet %s\nlibfuse %s (FUSE API %d)\n", SLASHNET_VERSION, fuse_pkgversion(),
	       FUSE_USE_VERSION);
}

/* A copy of s that lives as long as o (fuse_opt_parse's arguments do
 * not); NULL after saying so. */
static const char *keep(struct options *o, const char *s)
{
	if (fuse_opt_add_arg(&o->values, s) < 0) {
		bad("%s", "out of memory");
		return NULL;
	}
	return o->values.argv[o->values.argc - 1];
}

/* fuse_opt_parse's callback: 0 took the argument, 1 keeps it for FUSE
 * (a mount option not ours), -1 stops with an error said. */
static int parse_arg(void *data, const char *arg, int key, struct fuse_args *outargs)
{
	struct options *o = data;
	const char *value;

	switch (key) {
	case FUSE_OPT_KEY_NONOPT:
		/* [SOURCE] MOUNTPOINT: mount(8) passes the source first */
		if (o->nargs == 2)
			return bad("unexpected argument '%s' (SOURCE and MOUNTPOINT only)", arg);
		o->source = o->nargs++ ? o->mountpoint : NULL;
		o->mountpoint = keep(o, arg);
		return o->mountpoint ? 0 : -1;
	case FUSE_OPT_KEY_OPT:
		if (arg[0] == '-')
			return bad("unknown option '%s' (try --help)", arg);
		return 1;
	case OPT_FOREGROUND:
		o->foreground = 1;
		return 0;
	case OPT_DEBUG:
		o->foreground = 1;
		return fuse_opt_add_arg(outargs, "-odebug") < 0 ? bad("%s", "out of memory") : 0;
	case OPT_HELP:
		usage(stdout);
		exit(0);
	case OPT_VERSION:
		version();
		exit(0);
	}
	/* one of optdefs: a flag, or NAME=VALUE */
	value = strchr(arg, '=');
	if (value && (value = keep(o, value + 1)) == NULL)
		return -1;
	return parse_one(o, key, value);
}

static int parse_options(struct options *o, int argc, char **argv)
{
	struct fuse_opt templ[NOPTDEFS + 7] = {
		FUSE_OPT_KEY("-f", OPT_FOREGROUND), FUSE_OPT_KEY("-d", OPT_DEBUG),
		FUSE_OPT_KEY("-h", OPT_HELP), FUSE_OPT_KEY("--help", OPT_HELP),
		FUSE_OPT_KEY("-V", OPT_VERSION), FUSE_OPT_KEY("--version", OPT_VERSION),
	};
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	char *fsname = NULL;
	int r;

	for (int i = 0; i < NOPTDEFS; i++)
		templ[6 + i] = (struct fuse_opt)FUSE_OPT_KEY(optdefs[i].templ, optdefs[i].key);
	nc_config_init(&o->cfg);
	o->cfg.busy_poll_us = BUSY_POLL_US;
	o->cfg.loop_boost = LOOP_BOOST;
	o->mountpoint = "/net";
	o->conv_per_uid = CONV_MAX / 4;
	r = expand_long(argc, argv, &args);
	if (r == 0)
		r = fuse_opt_parse(&args, o, templ, parse_arg);
	/* what the mount shows: "SOURCE on MOUNTPOINT type fuse.slashnet" */
	if (r == 0) {
		fsname = mount_opt("fsname=", o->source ? o->source : "slashnet");
		r = fsname == NULL || fuse_opt_add_arg(&args, "-osubtype=slashnet") < 0 ||
		    fuse_opt_add_arg(&args, "-o") < 0 || fuse_opt_add_arg(&args, fsname) < 0 ? -1 : 0;
	}
	free(fsname);
	o->fargs = args;
	return r;
}

static void free_options(struct options *o)
{
	fuse_opt_free_args(&o->fargs);
	fuse_opt_free_args(&o->values);
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
	struct fuse_buf got;
	int r;

	(void)arg;
	r = request_receive(fs.se, &fbuf, &got);
	if (r == -EAGAIN)
		return;
	if (r > 0) {
		reply_begin(&got);
		fuse_session_process_buf(fs.se, &got);
	}
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

/* What to do about a stack that could not start, after nc_error(). */
static const char *open_hint(int err)
{
	switch (err) {
	case EPERM:
	case EACCES:
		return " — as non-root, create a persistent TUN you own"
		       " (ip tuntap add NAME mode tun user USER, as root, with its address)"
		       " and use --tun NAME --no-config";
	case EBUSY:
		return " — another program holds that TUN: choose another with --tun";
	}
	return "";
}

/* A prefix the host already routes elsewhere would take those addresses
 * from the host, or make the stack unreachable: say so, and go on. */
static void warn_overlap(const struct nc_config *cfg)
{
	char dev[IF_NAMESIZE];

	if (!cfg->no_config && host_route_overlap(cfg->addr, cfg->prefix, cfg->tun, dev))
		logmsg(LOG_WARNING, "warning: the host already routes part of %s/%d through %s;"
		       " choose another --addr if that is not this stack",
		       inet_ntoa(cfg->addr), cfg->prefix, dev);
}

/* The one line that says the daemon serves, and what. */
static void say_ready(const struct nc_config *cfg)
{
	char addr[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &cfg->addr, addr, sizeof addr);
	inet_ntop(AF_INET, &cfg->gw, gw, sizeof gw);
	logmsg(LOG_INFO, "ready: %s mounted; the stack is %s/%d on TUN %s, the host side %s",
	       mountpoint, addr, cfg->prefix, cfg->tun, gw);
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
	warn_overlap(&o->cfg);
	fs.st = nc_open(&o->cfg);
	if (fs.st == NULL) {
		logmsg(LOG_ERR, "%s%s", nc_error(), open_hint(errno));
		return -1;
	}
	if (o->nat) {
		if (nat_start(&o->cfg) < 0)
			return -1;
		nat_tun = o->cfg.tun;
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
	netlog_fini();
	conv_shutdown_all();
	reply_fini();
	if (fs.se) {
		if (mounted)
			fuse_session_unmount(fs.se);
		fuse_session_destroy(fs.se);
	}
	if (fs.st)
		nc_close_stack(fs.st);
	if (nat_tun)
		nat_stop(nat_tun);
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
	int sigfd = -1, ok, r = 0;

	if (o->log && log_to_file(o->log) < 0) {
		logmsg(LOG_ERR, "--log %s: %s", o->log, strerror(errno));
		free_options(o);
		return 1;
	}
	ok = start(o, &sigfd) == 0;
	if (ok) {
		if (statusfd >= 0)
			detach(statusfd);
		say_ready(&o->cfg);
		r = nc_run(fs.st);
		if (r < 0)
			logmsg(LOG_ERR, "%s: the network is gone: %s", o->cfg.tun, strerror(errno));
	}
	stop(sigfd);
	free_options(o);
	log_close();
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
	struct options o = { .fargs = FUSE_ARGS_INIT(0, NULL), .values = FUSE_ARGS_INIT(0, NULL) };
	int pfd[2];
	pid_t pid;

	fuse_set_log_func(fuse_log_cb);
	if (parse_options(&o, argc, argv) < 0) {
		free_options(&o);
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
		free_options(&o);
		return wait_child(pid, pfd[0]);
	}
	close(pfd[0]);
	return serve(&o, pfd[1]);
}
