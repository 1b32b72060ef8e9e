/* vlog.c - owns -v logging (vlog.h): the held-back buffer and its flush.
 *
 * The buffer is static and never reallocated, and a line becomes visible to
 * vlog_flush() only when its length is published after the copy, so the
 * signal handler can write what is published without a lock. */
#include "vlog.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "text.h"

#define VLOG_BUF (256u * 1024u)
#define VLOG_LINE 2048u /* longer lines are cut */

static int verbosity;
static char held[VLOG_BUF];
static atomic_size_t held_len;   /* bytes published */
static atomic_size_t dropped;    /* lines that did not fit */
static atomic_bool flushing;
static pthread_mutex_t held_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t atexit_once = PTHREAD_ONCE_INIT;

void output_set_verbosity(int level)
{
	verbosity = level < 0 ? 0 : level > 3 ? 3 : level;
}

int output_verbosity(void)
{
	return verbosity;
}

static void write_err(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* Decimal without stdio: vlog_flush() runs in a signal handler. */
static size_t utoa(size_t v, char *buf)
{
	char tmp[24];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < sizeof tmp);
	for (size_t i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

void vlog_flush(void)
{
	if (atomic_exchange(&flushing, true))
		return; /* the handler interrupted a flush: one writer only */
	size_t n = atomic_exchange(&held_len, 0);
	write_err(held, n);
	size_t d = atomic_exchange(&dropped, 0);
	if (d) {
		char line[80];
		size_t k = 0;
		const char *a = "(-v: ", *b = " more lines dropped, over 256 KiB)\n";
		memcpy(line, a, strlen(a));
		k += strlen(a);
		k += utoa(d, line + k);
		memcpy(line + k, b, strlen(b));
		k += strlen(b);
		write_err(line, k);
	}
	atomic_store(&flushing, false);
}

/* Anything logged after the last explicit flush (a plugin that exits by
 * another way, --help) still comes out, after stdout's own buffer. */
static void flush_at_exit(void)
{
	fflush(stdout);
	vlog_flush();
}

static void register_flush(void)
{
	atexit(flush_at_exit);
}

void vlog(int level, const char *fmt, ...)
{
	if (verbosity < level)
		return;
	pthread_once(&atexit_once, register_flush);
	char line[VLOG_LINE];
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	size_t n = (size_t)m < sizeof line - 1 ? (size_t)m : sizeof line - 2;
	line[n] = '\0';
	n = text_clean(line); /* one line each: no CR/LF from a peer */
	line[n++] = '\n';

	pthread_mutex_lock(&held_lock);
	size_t used = atomic_load(&held_len);
	if (used + n <= VLOG_BUF) {
		memcpy(held + used, line, n);
		atomic_store(&held_len, used + n); /* publish after the copy */
	} else {
		atomic_fetch_add(&dropped, 1);
	}
	pthread_mutex_unlock(&held_lock);
}
