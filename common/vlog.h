/* vlog.h - -v logging, held back until the status line is out.
 *
 * A leaf: uses only libc and pthreads. Icinga 2 reads a plugin's stdout and
 * stderr through one pipe, so a verbose line written while the check runs
 * would come before the status line and replace it on every dashboard.
 * vlog() therefore appends to a fixed in-memory buffer; vlog_flush() writes
 * it to stderr and is called right after the status output is written
 * (result_exit, die, the -t backstop), and at exit. */
#ifndef KMS_VLOG_H
#define KMS_VLOG_H

#include <stdarg.h>

/* The -v level, 0..3 (clamped). */
void output_set_verbosity(int level);
int output_verbosity(void);

/* Log one line when verbosity >= level (1..3). Callers must never pass a
 * secret. Thread-safe: each line is kept whole. Lines beyond the buffer
 * (256 KiB) are counted and reported as dropped at flush. */
void vlog(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Write the held lines to stderr and empty the buffer. Async-signal-safe
 * (only write(2)), so the -t handler may call it; a line being added at
 * that moment is left out whole, never cut. */
void vlog_flush(void);

#endif
