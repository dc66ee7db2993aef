/* The daemon's log: stderr in the foreground, syslog once daemonized. */
#ifndef SLASHNET_LOG_H
#define SLASHNET_LOG_H

#include <syslog.h>

void logmsg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* From now on to syslog (the daemon has left its terminal). */
void log_to_syslog(void);

#endif
