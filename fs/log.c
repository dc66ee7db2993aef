/* The daemon's log (see log.h). */
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

static int use_syslog;

void log_to_syslog(void)
{
	use_syslog = 1;
}

void logmsg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (use_syslog) {
		vsyslog(prio, fmt, ap);
	} else {
		fputs("slashnet: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}
