/* output.h - the result of a check: partial results, one summary line,
 * long output, perfdata, and the exit.
 *
 * A plugin gathers, then adds one partial result per object it judged
 * (product, host, record...). The check's state is the one set with
 * result_set_state() if any, else the worst partial state (state_worst), else
 * OK. Printed as
 *
 *   KMS <ASPECT> <STATE> - <summary> | <perfdata>
 *   [STATE] <partial text>        (worst first, stable within a state)
 *   <note lines>                  (result_note, in order added)
 *
 * The whole output is assembled in memory and written with one write(2), so
 * a timeout can never interleave with it; it is capped below 8 KB (Nagios'
 * plugin output buffer) by dropping whole partial lines, counted by
 * "... and N more" (the objects left out); the notes follow the marker
 * whole, unless they alone take more than half the room. Every text is cleaned with text_clean() ('|' would
 * start perfdata in Nagios, a newline or a bidi control would rearrange
 * the output).
 *
 * The first line holds at most LINE1_MAX characters before " | ", in every
 * state: headlines are joined worst first while they fit, the rest counted
 * as "+N more"; a summary still too long is cut at a word with "..." and
 * its whole text becomes the first long-output line, so nothing is lost.
 * die() follows the same rule. */
#ifndef KMS_OUTPUT_H
#define KMS_OUTPUT_H

#include <stdarg.h>
#include <stddef.h>
#include "result.h"
#include "number.h" /* fmt_number(), for the many callers that print numbers */
#include "range.h"
#include "render.h"
#include "state.h"
#include "text.h"
#include "vlog.h" /* vlog(), for the many callers that print results too */


struct result;

/* Set once, early in main(): the aspect word of the first line ("HOST",
 * "COUNT"...). die() and the timeout use it too. */
void output_set_aspect(const char *aspect);
const char *output_aspect(void);

/* The output format (--output-format), FORMAT_TEXT until set. die() and
 * check_exit() follow it. */
void output_set_format(enum output_format f);
enum output_format output_get_format(void);

/* Print c in the output format with one write(2), free it and exit with
 * its state (0 for mp-test-json). Never returns. */
_Noreturn void check_exit(struct check *c);

/* --- transitional: the partial-result API of plugins not yet on result.h ---
 *
 * A new, empty result. Never NULL (aborts on out of memory with UNKNOWN). */
struct result *result_new(void);

/* Add a partial result: its state and its long-output line (printf format). */
void result_add(struct result *r, state_t st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Add a long-output line without a state, printed after the partials. */
void result_note(struct result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A phrase for the first line, with the state it speaks for. When no
 * result_summary() is set, the first line is these phrases, worst state
 * first (in the order added within a state), joined with "; ". A plugin adds
 * only the phrases an on-call reader needs: usually the non-OK ones. The
 * state of the check is not changed by a headline (result_add does that). */
void result_headline(struct result *r, state_t st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The text after "KMS ASPECT STATE - ". Replaces any earlier summary. When
 * neither a summary nor headlines are set, the first line shows the worst
 * partial's text. */
void result_summary(struct result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Force the check's state (overrides the worst-partial rule). */
void result_set_state(struct result *r, state_t st);

/* The state result_exit() will use. */
state_t result_state(const struct result *r);

/* Number of partials with exactly state st. */
size_t result_count(const struct result *r, state_t st);

/* Add one perfdata item 'label'=value[uom];warn;crit;min;max. th may be NULL;
 * min and max are NAN when absent. uom: "", "s", "ms", "us", "%", "B",
 * "KB", "MB", "GB", "TB", "c". A NaN or infinite value is dropped (Nagios
 * cannot graph it). Labels are quoted when they hold a space or other
 * non-alphanumeric byte; ' and = in a label become '_'. */
void result_perf(struct result *r, const char *label, double value,
		 const char *uom, const struct thresholds *th, double min, double max);

/* Format the whole output into buf (NUL-terminated, at most OUTPUT_MAX bytes
 * plus NUL). Returns the length. For tests; result_exit() uses it. */
size_t result_render(const struct result *r, char *buf, size_t len);

/* Print the output, free r and exit with its state. Never returns. */
_Noreturn void result_exit(struct result *r);

/* Free without printing. */
void result_free(struct result *r);

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
