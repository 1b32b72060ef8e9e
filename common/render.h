/* render.h - a check (result.h) as the text Nagios reads, or as JSON.
 *
 * Text (the output contract, docs/DESIGN.md):
 *   KMS <ASPECT> <STATE> - <line-1 summary> | <perfdata>
 *   [STATE] <output of each leaf subcheck>  (worst first, stable in a state)
 *   <notes>                                 (in the order added)
 * A subcheck with children has no line of its own: its children speak for
 * it, and line 1 speaks for it through its headline. The line-1 rule is
 * result.h's; line 1 holds at most LINE1_MAX characters before " | ": the
 * headlines are joined worst first with "; " while they fit, the rest
 * counted as "+N more"; a summary still too long is cut at a word with
 * "..." and shown whole as the first long-output line. The whole text stays
 * below OUTPUT_MAX bytes (Nagios' buffer) by dropping whole leaf lines,
 * counted by "... and N more"; notes follow the marker whole unless they
 * alone take more than half the room.
 *
 * JSON (--output-format json or mp-test-json; packaging/schema/
 * check-output.schema.json): one object on one line,
 *   {"state": "WARNING", "summary": <line 1's summary, as printed>,
 *    "checks": [{"output", "state", "perfdata": [{"label", "value", "uom",
 *                "warn", "crit", "min", "max"}], "checks": [...]}],
 *    "notes": [...]}
 * warn and crit are {"start", "end", "alert_on_inside"} with an infinite
 * bound as "-inf" / "inf" (monitoring-plugins' shape); absent fields are
 * left out. The two formats print the same document; they differ only in
 * the exit code (output.h). */
#ifndef KMS_RENDER_H
#define KMS_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include "result.h"
#include "range.h"
#include "state.h"

#define OUTPUT_MAX 8000 /* bytes of text output, below Nagios' 8192 */

enum output_format {
	FORMAT_TEXT,
	FORMAT_JSON,          /* the document, with the check's exit code */
	FORMAT_MP_TEST_JSON,  /* the same document; exit 0 (monitoring-plugins) */
};

/* "text", "json", "mp-test-json" (case-insensitive). false for any other. */
bool output_format_parse(const char *name, enum output_format *out);

/* The whole output of c in format f, malloc'd and NUL-terminated, ending
 * in a newline; *len excludes the NUL. aspect is line 1's word ("HOST"). */
char *render_check(const struct check *c, enum output_format f, const char *aspect,
		   size_t *len);

/* s as a JSON string literal (quotes included), malloc'd: '"' and '\'
 * escaped, control bytes as \u00XX, bytes that are not UTF-8 as '?'. */
char *render_json_string(const char *s);

/* One perfdata item 'label'=value[uom];warn;crit;min;max, malloc'd; NULL
 * when value is not finite. Labels are quoted when they hold a byte other
 * than [A-Za-z0-9_]; ' and = become '_', '|' '/'. A range still in percent
 * is left out (range_scale() it first). */
char *perf_item_format(const char *label, double value, const char *uom,
		       const struct thresholds *th, double min, double max);

/* The text renderer's input, for output.c's transitional result API: line
 * 1's parts, the long lines and the perfdata items. */
struct view_line {
	state_t st;
	const char *text;
};
struct text_view {
	state_t state;
	const char *summary; /* NULL: the headlines, else the worst part's text */
	const struct view_line *heads;
	size_t n_heads;
	const struct view_line *parts;
	size_t n_parts;
	const char *const *notes;
	size_t n_notes;
	char *const *perf;
	size_t n_perf;
};
char *render_view(const struct text_view *v, const char *aspect, size_t *len);

#endif
