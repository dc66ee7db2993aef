/*
 * libslashnet-sock: BSD sockets over the files of a slashnet mount
 * (docs/SPEC.md), preloaded into an unmodified program by slashnet-run.
 *
 * No state is kept in the process: a socket's descriptor *is* a file of
 * its conversation (P/clone until it connects, binds or listens, then
 * P/N/data), so the conversation is found again from the descriptor's own
 * path, and everything survives fork and exec. What a conversation must
 * remember beyond the daemon's own state (the socket's family, UDP's
 * header mode) is kept in execute bits of its files, which the daemon
 * keeps for ctl, data and listen together and hands on to accepted calls.
 */
#ifndef SHIM_H
#define SHIM_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/types.h>

enum { P_TCP, P_UDP };
enum { K_CLONE, K_DATA };	/* what the descriptor is open on */

/* the marks (mode bits of ctl, data and listen) */
enum {
	MARK_INET6 = 01,	/* the socket was made AF_INET6 */
	MARK_HEADERS = 010,	/* UDP: data carries Plan 9's headers */
	MARK_REUSE = 0100,	/* UDP: SO_REUSEADDR was set (`reuse`) */
};

enum { HDRLEN = 52 };	/* UDP's header in `headers` mode */
enum { DGRAM_MAX = 65535 };	/* the longest datagram a read takes */

struct sconv {
	int proto;	/* P_TCP, P_UDP */
	int n;		/* the conversation's number */
	int kind;	/* K_CLONE, K_DATA */
};

/* real.c: the C library's own functions, and the debug line */
void *real(const char *name);
int debug(const char *call, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* files.c: the mount and a conversation's files */
const char *mount_point(void);
int conv_of(int fd, struct sconv *c);
int conv_open(const struct sconv *c, const char *file, int flags);
int conv_cmd(const struct sconv *c, int fd, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int conv_text(const struct sconv *c, const char *file, char *buf, size_t size);
int conv_marks(const struct sconv *c);
int conv_mark(const struct sconv *c, int marks);
int conv_become(int fd, const struct sconv *c);
int conv_chown(const struct sconv *c, uid_t uid, gid_t gid);
int conv_state_is(const struct sconv *c, const char *state);
int text_errno(const char *text);

/* addr.c: sockaddr <-> host!port */
int addr_text(const struct sockaddr *sa, socklen_t len, char *buf, size_t size);
int addr_sockaddr(const char *text, int inet6, struct sockaddr *sa, socklen_t *len);
int conv_addr(const struct sconv *c, const char *file, int inet6, struct sockaddr *sa,
	      socklen_t *len);

/* io.c: UDP's headers mode */
int udp_headers(int fd, struct sconv *c);
int header_addr(const unsigned char *h, int inet6, struct sockaddr *sa, socklen_t *len);

/* peek.c: MSG_PEEK's bytes, kept until read */
ssize_t peek_recv(int fd, const struct iovec *iov, int cnt);
int peek_has(int fd);
ssize_t peek_dgram(int fd, const struct iovec *iov, int cnt, unsigned char *hdr, int peek);

#endif
