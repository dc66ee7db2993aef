/*
 * Fuzz target "ctl": fs/ctl.c's commands and fs/addr.c's addresses, on a
 * conversation without a mount (fs_fake.h stands in for FUSE and
 * netcore). The first bytes choose the protocol, what netcore's calls
 * answer (an errno, a connect under way, the TCP state) and the write's
 * flags; the rest is ctl commands, one a line, each written as a shell
 * would write it. A connect left parked is answered at the end, as the
 * socket's event would answer it, and every request must have been
 * answered exactly once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"
#include "ctl.h"
#include "fs_fake.h"
#include "fuzz.h"

static const int errnos[8] = { 0, 0, 0, 0, EADDRINUSE, EINVAL, ECONNREFUSED, ENETUNREACH };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	uint8_t proto = take8(&in) % NPROTO, mode = take8(&in);
	struct conv *c;
	struct ofile *of;

	fake = (struct fake){ .fail = errnos[mode & 7], .connecting = (mode & 8) != 0,
			      .state = take8(&in) % (NC_TCP_TIME_WAIT + 1),
			      .so_error = (mode & 0x20) ? ETIMEDOUT : 0 };
	fake_cs_start();
	c = conv_new(proto, 5, 0, 0);
	of = c ? ofile_new(Qctl, proto, c) : NULL;
	if (of == NULL)
		abort();
	while (input_left(&in)) {
		const uint8_t *nl = memchr(in.p, '\n', in.n);
		size_t len = nl ? (size_t)(nl - in.p) + 1 : in.n, got;
		const uint8_t *line = take_bytes(&in, len, &got);

		ctl_write(fake_request(), of, (const char *)line, got,
			  (mode & 0x10) ? O_NONBLOCK : 0);
	}
	/* the handshake ends (as the input chose), then the names' lookups */
	fake.state = (mode & 0x40) ? NC_TCP_ESTABLISHED : NC_TCP_CLOSED;
	ctl_connect_done(c);
	fake_cs_end();
	fake.state = NC_TCP_CLOSED;
	ofile_free(of);
	fake_check_replies();
	return 0;
}
