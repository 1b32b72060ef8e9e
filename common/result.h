/* result.h - the result model: a check is a tree of subchecks; a subcheck
 * carries its output line, its metrics (each with the thresholds that judge
 * it) and its children. No I/O here: render.h turns a check into text or
 * JSON, output.h prints it and exits. See docs/DESIGN.md, "The result model".
 *
 * The state of a subcheck is the worst (state_worst) of
 *   - the state set with subcheck_set_state(), if any,
 *   - every judged metric: thresholds_check() of its value against its own
 *     warn/crit ranges, exactly the ranges its perfdata shows,
 *   - every child's state;
 * and the default (subcheck_set_default(), OK unless set) when none of the
 * three exists. An explicit state can add to a metric's verdict but never
 * hide it: when a check says OK, no metric of it violates its warn or crit.
 * The check's state is the worst of its top-level subchecks (OK when it has
 * none). The same state gives the exit code and the word on line 1.
 *
 * Line 1 (one rule, render.h): when the check is OK, its OK summary
 * (check_summary_ok), or without one the headlines of all its top-level
 * subchecks in the order added; else the headlines of the top-level
 * subchecks that are not OK, worst first, in the order added within a
 * state. A subcheck's
 * headline is subcheck_headline()'s text, or its output when none is set.
 *
 * Every text is cleaned with text_clean() when it is added. */
#ifndef KMS_RESULT_H
#define KMS_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include "range.h"
#include "state.h"

struct check;
struct subcheck;

/* One perfdata item and the thresholds that judge it. th NULL, or with
 * neither warn nor crit: graphed, not judged. min and max are NAN when
 * absent. uom: "", "s", "ms", "us", "%", "B", "KB", "MB", "GB", "TB", "c"
 * (another unit is dropped with a -v note). Build one with METRIC() and set
 * the fields that differ. */
struct metric {
	const char *label;
	double value;
	const char *uom;
	const struct thresholds *th;
	double min, max;
};

#define METRIC(lab, val) \
	((struct metric){ .label = (lab), .value = (val), .uom = "", .th = NULL, \
			  .min = __builtin_nan(""), .max = __builtin_nan("") })

/* A new, empty check. Never NULL: out of memory ends the plugin (UNKNOWN). */
struct check *check_new(void);
void check_free(struct check *c);

/* Line 1 when the check is OK (printf format; replaces an earlier one).
 * When none is set, an OK check joins its top-level subchecks' headlines. */
void check_summary_ok(struct check *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A line of context without a state, printed after the subchecks ("Known
 * clients by product: ..."). In JSON: the "notes" array. */
void check_note(struct check *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A new top-level subcheck with its output line; state OK until something
 * judges it. */
struct subcheck *check_add(struct check *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A new child of parent. */
struct subcheck *subcheck_add(struct subcheck *parent, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The state the subcheck's own finding gives (see the rule above). */
void subcheck_set_state(struct subcheck *sc, state_t st);

/* The state when nothing else judges the subcheck (default OK). */
void subcheck_set_default(struct subcheck *sc, state_t st);

/* The phrase line 1 shows for this subcheck when it is not OK (shorter than
 * its output, as a pager would want it). Top-level subchecks only. */
void subcheck_headline(struct subcheck *sc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Add a metric to sc: its perfdata, and its verdict when m.th has a range.
 * A NaN or infinite value is left out (no grapher can draw it; -v says so)
 * and judges nothing. The thresholds are copied; a range that perfdata
 * could not show (a NaN bound, a percent range not range_scale()d) is
 * dropped with a -v line, so nothing judges that a reader cannot see. */
void subcheck_metric(struct subcheck *sc, struct metric m);

/* States by the rule above. */
state_t subcheck_state(const struct subcheck *sc);
state_t check_state(const struct check *c);

/* Read access for the renderers and tests: children in the order added. */
size_t check_count(const struct check *c); /* top-level subchecks */
const struct subcheck *check_child(const struct check *c, size_t i);
size_t subcheck_count(const struct subcheck *sc);
const struct subcheck *subcheck_child(const struct subcheck *sc, size_t i);
const char *subcheck_output(const struct subcheck *sc);
const char *subcheck_headline_text(const struct subcheck *sc); /* headline or output */
size_t subcheck_metric_count(const struct subcheck *sc);
const struct metric *subcheck_metric_at(const struct subcheck *sc, size_t i);
/* A metric's verdict: thresholds_check() when it has a range, else OK. */
state_t metric_state(const struct metric *m);
bool metric_judged(const struct metric *m);
const char *check_ok_summary(const struct check *c); /* NULL when unset */
size_t check_notes(const struct check *c, const char *const **out);

#endif
