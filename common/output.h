/* output.h - what a plugin prints, and its exit: the aspect word of line
 * 1, the output format (--output-format), check_exit() for a finished check
 * (the model: result.h; the text and JSON: render.h) and die() for a check
 * that cannot go on.
 *
 * Everything is assembled in memory and written with one write(2), so the
 * -t alarm can never interleave with it; -v lines (vlog.h) follow it on
 * stderr. die() keeps the line-1 rule of render.h: a message longer than
 * LINE1_MAX characters is cut at a word with "..." and follows whole on
 * the next line; in a JSON format it prints the document with no
 * subchecks. See docs/DESIGN.md, "The result model". */
#ifndef KMS_OUTPUT_H
#define KMS_OUTPUT_H

#include <stdarg.h>
#include <stddef.h>
#include "number.h" /* fmt_number(), for the many callers that print numbers */
#include "range.h"
#include "render.h"
#include "result.h"
#include "state.h"
#include "text.h"
#include "vlog.h" /* vlog(), for the many callers that print results too */


/* Set once, early in main(): the aspect word of the first line ("HOST",
 * "COUNT"...). die() and the timeout use it too. */
void output_set_aspect(const char *aspect);
const char *output_aspect(void);

/* The output format (--output-format), FORMAT_TEXT until set. die() and
 * check_exit() follow it. */
void output_set_format(enum output_format f);

/* Print c in the output format with one write(2), free it and exit with
 * its state (0 for mp-test-json). Never returns. */
_Noreturn void check_exit(struct check *c);

/* End the plugin now with UNKNOWN: "KMS <ASPECT> UNKNOWN - <message>".
 * Never returns. */
_Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Same, with a chosen state (for "-t 10:WARNING" style overrides). */
_Noreturn void die_state(state_t st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Append printf-formatted text to the NUL-terminated string in buf (size
 * len); what does not fit is cut, buf stays NUL-terminated. For building
 * one output line from parts. */
void text_append(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
