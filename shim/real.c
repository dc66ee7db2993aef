/*
 * The C library underneath (what the shim does not take over goes there)
 * and SLASHNET_DEBUG's one line per refused call.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"

void *real(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

/* With SLASHNET_DEBUG=1, say on stderr which call failed and why; the
 * errno is left as it was. Returns -1, for `return debug(...)`. */
int debug(const char *call, const char *fmt, ...)
{
	const char *d = getenv("SLASHNET_DEBUG");
	int saved = errno;
	char msg[256];
	va_list ap;

	if (d != NULL && strcmp(d, "1") == 0) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof msg, fmt, ap);
		va_end(ap);
		fprintf(stderr, "slashnet-sock: %s: %s\n", call, msg);
	}
	errno = saved;
	return -1;
}
