/* The daemon's log: stderr in the foreground, syslog once daemonized;
 * with a log file (--log), that file, and errors and warnings still on
 * stderr until the daemon detaches. */
#ifndef SLASHNET_LOG_H
#define SLASHNET_LOG_H

#include <syslog.h>

void logmsg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The daemon has left its terminal: from now on to syslog, unless a log
 * file was given. */
void log_to_syslog(void);
/* Append every message to the file at path too; -1 with errno if it
 * cannot be opened. */
int log_to_file(const char *path);
void log_close(void);

#endif
