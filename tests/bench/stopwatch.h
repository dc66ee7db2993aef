/* Time and CPU in the bench programs' reports (ncbench, lwipget). */
#ifndef BENCH_STOPWATCH_H
#define BENCH_STOPWATCH_H

/* Epoch seconds (CLOCK_REALTIME), as the shell's $EPOCHREALTIME. */
double stopwatch_now(void);
/* This process's user + system CPU seconds so far. */
double stopwatch_cpu(void);

#endif
