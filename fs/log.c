/* The daemon's log (see log.h). */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int use_syslog;
static int detached;
static FILE *logfile;

void log_to_syslog(void)
{
	detached = 1;
	use_syslog = logfile == NULL;
}

int log_to_file(const char *path)
{
	logfile = fopen(path, "ae");
	if (logfile == NULL)
		return -1;
	setvbuf(logfile, NULL, _IOLBF, 0);
	return 0;
}

void log_close(void)
{
	if (logfile)
		fclose(logfile);
	logfile = NULL;
}

static void log_line(FILE *f, int stamp, const char *fmt, va_list ap)
{
	char when[32];
	time_t now = time(NULL);

	if (stamp && strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", localtime(&now)))
		fprintf(f, "%s slashnet[%d]: ", when, (int)getpid());
	else
		fputs("slashnet: ", f);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
}

void logmsg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (logfile) {
		va_list copy;

		va_copy(copy, ap);
		log_line(logfile, 1, fmt, copy);
		va_end(copy);
	}
	if (use_syslog)
		vsyslog(prio, fmt, ap);
	else if (!detached && (logfile == NULL || prio <= LOG_WARNING))
		log_line(stderr, 0, fmt, ap);
	va_end(ap);
}
