/* doc-scan.h - private to doc.c: a push scanner that splits a JSON document
 * whose top level is an object into its members, and the members whose value
 * is an array (when the caller asks) into their elements, without ever
 * holding the whole document.
 *
 * The scanner only finds boundaries: it tracks strings (with escapes),
 * bracket depth, and line/column. What lies inside a member value or an array
 * element is handed over as raw text to be parsed by jansson; jansson's error
 * positions are then shifted to document positions with scan_json_error().
 * Columns count characters (UTF-8 lead bytes), as jansson does, so a position
 * reported for an element equals the one jansson would report for the whole
 * document. */
#ifndef KMS_DOC_SCAN_H
#define KMS_DOC_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "state.h"

/* A position in the document: line from 1, column of a character from 1. */
struct scan_pos {
	unsigned long line, col;
};

struct scan_handlers {
	/* Should the array value of top-level member key be delivered element
	 * by element (elem) instead of whole (member)? */
	bool (*stream)(void *ctx, const char *key);
	/* A complete top-level member value (raw JSON text, not NUL-terminated),
	 * starting at *at. Return false with err filled to stop. */
	bool (*member)(void *ctx, const char *key, const char *raw, size_t len,
		       const struct scan_pos *at, char err[KMS_ERRLEN]);
	/* One element of a streamed array, index from 0. raw is the scanner's
	 * reused buffer: the handler may modify it in place. */
	bool (*elem)(void *ctx, const char *key, size_t index, char *raw,
		     size_t len, const struct scan_pos *at, char err[KMS_ERRLEN]);
	/* The streamed array of key ended after n elements. */
	bool (*array_end)(void *ctx, const char *key, size_t n,
			  char err[KMS_ERRLEN]);
	void *ctx;
};

/* Caps: a buffered member value, a streamed element. */
#define SCAN_MEMBER_MAX (16UL * 1024 * 1024)
#define SCAN_ELEM_MAX (1UL * 1024 * 1024)

struct scan;

/* A new scanner calling h (copied). Never NULL (aborts on out of memory). */
struct scan *scan_new(const struct scan_handlers *h);

/* Feed the next len bytes. false with err on a structural error, a cap, or
 * a handler's refusal; the scanner must not be fed again after that. The
 * first 4 bytes are held until they are all there (or scan_finish): a UTF-8
 * byte-order mark is skipped (positions count from after it), and a UTF-16
 * document (BOM FF FE / FE FF, or ASCII paired with zero bytes, x 00 x 00 or
 * 00 x 00 x, in the first 4 bytes) fails with
 * "is UTF-16; the exporter writes UTF-8". */
bool scan_feed(struct scan *s, const char *data, size_t len,
	       char err[KMS_ERRLEN]);

/* The input has ended: false with err unless the document was complete. */
bool scan_finish(struct scan *s, char err[KMS_ERRLEN]);

void scan_free(struct scan *s);

/* "invalid JSON at line L, column C: TEXT" for a jansson error je raised
 * while parsing text that starts at document position *at. */
void scan_json_error(const struct scan_pos *at, const json_error_t *je,
		     char err[KMS_ERRLEN]);

#endif
