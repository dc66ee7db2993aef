/*
 * --nat (see nat.h), through libnftables: the rules are written in nft's
 * own language and the library parses and commits them in this process.
 * One batch adds the table, deletes it and makes it anew: the kernel runs a
 * batch as one transaction, so a table a crashed daemon left is replaced
 * at once, and a batch that fails leaves nothing behind.
 *
 * Forwarding: IPv4 forwards by the device a packet comes in on, and the
 * replies come in on the host's outer device, so forwarding on the TUN
 * alone is not enough: net.ipv4.ip_forward (every device) goes on. IPv6
 * has one switch, conf/all/forwarding. Both stay on at exit, as another
 * daemon (or anything else on the host) may rely on them.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "nat.h"

/* Run the nft commands cmds; on failure, log that we could not do what
 * to the table, with the first line of nft's error. */
static int run(const char *cmds, const char *what, const char *tun)
{
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
	const char *err;
	int r;

	if (nft == NULL) {
		logmsg(LOG_ERR, "nat: libnftables: cannot make a context");
		return -1;
	}
	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
	r = nft_run_cmd_from_buffer(nft, cmds);
	if (r != 0) {
		err = nft_ctx_get_error_buffer(nft);
		if (strncmp(err, "Error: ", 7) == 0)
			err += 7;
		logmsg(LOG_ERR, "nat: cannot %s nft table inet slashnet_%s: %.*s", what, tun,
		       (int)strcspn(err, "\n"), err);
	}
	nft_ctx_free(nft);
	return r == 0 ? 0 : -1;
}

/* The forwarding switch at path (/proc/sys/...), shown as name, on. */
static int forwarding_on(const char *path, const char *name)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	int r = -1;	/* 1: turned on, 0: was on */
	char c;

	if (fd >= 0 && read(fd, &c, 1) == 1)
		r = c == '1' ? 0 : pwrite(fd, "1\n", 2, 0) == 2 ? 1 : -1;
	if (r < 0)
		logmsg(LOG_ERR, "nat: cannot turn %s on: %s", name, strerror(errno));
	if (r == 1)
		logmsg(LOG_INFO, "nat: turned %s on", name);
	if (fd >= 0)
		close(fd);
	return r < 0 ? -1 : 0;
}

/* Can the TUN name an nft table unquoted? Letters, digits, "-_." only. */
static int nameable(const char *tun)
{
	for (; *tun; tun++)
		if (!isalnum((unsigned char)*tun) && strchr("-_.", *tun) == NULL)
			return 0;
	return 1;
}

/* "NET/PREFIX" of the address a (4 or 16 bytes) of family af into buf:
 * a with the bits past prefix cleared, as nft wants a prefix. */
static void net_text(int af, const void *a, int prefix, char buf[INET6_ADDRSTRLEN + 4])
{
	unsigned char net[16];
	size_t n = af == AF_INET ? 4 : 16;

	memcpy(net, a, n);
	for (size_t i = 0; i < n; i++) {
		int keep = prefix - 8 * (int)i;

		if (keep <= 0)
			net[i] = 0;
		else if (keep < 8)
			net[i] &= (unsigned char)(0xff << (8 - keep));
	}
	inet_ntop(af, net, buf, INET6_ADDRSTRLEN);
	snprintf(buf + strlen(buf), 5, "/%d", prefix);
}

/* The batch that replaces the table: masquerade what the stack's prefixes
 * send out any device but the TUN; accept it, and the replies, in the
 * forward hook (an accept counts, but cannot undo another table's drop).
 * p6 is NULL when the stack speaks no IPv6. Malloc'd; NULL without memory. */
static char *ruleset(const char *tun, const char *p4, const char *p6)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	if (f == NULL)
		return NULL;
	fprintf(f, "add table inet slashnet_%s\ndelete table inet slashnet_%s\n"
		"table inet slashnet_%s {\n", tun, tun, tun);
	fprintf(f, "chain postrouting {\ntype nat hook postrouting priority srcnat; policy accept;\n");
	fprintf(f, "oifname != \"%s\" ip saddr %s counter masquerade\n", tun, p4);
	if (p6)
		fprintf(f, "oifname != \"%s\" ip6 saddr %s counter masquerade\n", tun, p6);
	fprintf(f, "}\nchain forward {\ntype filter hook forward priority filter; policy accept;\n");
	fprintf(f, "iifname \"%s\" ip saddr %s counter accept\n", tun, p4);
	if (p6)
		fprintf(f, "iifname \"%s\" ip6 saddr %s counter accept\n", tun, p6);
	fprintf(f, "oifname \"%s\" ct state established,related counter accept\n}\n}\n", tun);
	if (fclose(f) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

int nat_start(const struct nc_config *cfg)
{
	char p4[INET6_ADDRSTRLEN + 4], p6[INET6_ADDRSTRLEN + 4], *cmds;
	int ipv6 = !cfg->no_ipv6 && !IN6_IS_ADDR_UNSPECIFIED(&cfg->gw6);
	int r;

	if (!nameable(cfg->tun)) {
		logmsg(LOG_ERR, "nat: TUN '%s' cannot name an nft table:"
		       " use letters, digits, '-', '_' and '.' only", cfg->tun);
		return -1;
	}
	if (forwarding_on("/proc/sys/net/ipv4/ip_forward", "net.ipv4.ip_forward") < 0 ||
	    (ipv6 && forwarding_on("/proc/sys/net/ipv6/conf/all/forwarding",
				   "net.ipv6.conf.all.forwarding") < 0))
		return -1;
	net_text(AF_INET, &cfg->addr, cfg->prefix, p4);
	net_text(AF_INET6, &cfg->addr6, cfg->prefix6, p6);
	cmds = ruleset(cfg->tun, p4, ipv6 ? p6 : NULL);
	if (cmds == NULL) {
		logmsg(LOG_ERR, "nat: out of memory");
		return -1;
	}
	r = run(cmds, "install", cfg->tun);
	free(cmds);
	return r;
}

void nat_stop(const char *tun)
{
	char cmd[64];

	snprintf(cmd, sizeof cmd, "delete table inet slashnet_%s", tun);
	run(cmd, "delete", tun);
}
