/* timeutil.h - wall-clock time, RFC 3339, and durations for humans. */
#ifndef KMS_TIMEUTIL_H
#define KMS_TIMEUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include "state.h"

/* Now as Unix seconds. The environment variable KMS_PLUGINS_NOW (an RFC 3339
 * time) replaces the clock, so tests and "what if" runs are reproducible. */
double wall_now(void);

/* Parse an RFC 3339 date-time ("2026-11-25T14:00:00Z", "...T15:00:00.25+01:00",
 * 't'/'z' and a space separator accepted, leap second 60 accepted as :59) into
 * Unix seconds. false with err ('not an RFC 3339 time: "TEXT"') otherwise. */
bool rfc3339_parse(const char *text, double *out, char err[KMS_ERRLEN]);

/* "2026-11-25 13:02 UTC" style (fmt "%Y-%m-%d %H:%M") into buf. */
char *fmt_utc(char *buf, size_t len, double t, const char *strftime_fmt);

/* A duration for humans: "45 s", "14 min", "3 h 10 min", "2 d 4 h". */
char *fmt_duration(char *buf, size_t len, double seconds);

#endif
