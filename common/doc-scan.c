/* doc-scan.c - the push scanner behind doc.c (see doc-scan.h): finds the
 * boundaries of top-level members and of streamed array elements in a JSON
 * document fed in chunks, tracking line and column, and hands each piece's
 * raw text to the handlers. It validates only the structure it needs to
 * split; everything inside a piece is validated by jansson in the handler.
 *
 * Hot path: a 1M-client document is ~440 MB, so the byte loop inside a value
 * (acc_run) is kept tight and the text is appended to the reused buffer in
 * runs, not byte by byte. */
#include "doc-scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h" /* out of memory ends the plugin with a status line, not abort() */

enum scan_state {
	S_START,        /* before the top-level '{' */
	S_KEY_OR_END,   /* after '{': a member name or '}' */
	S_KEY,          /* after ',': a member name */
	S_IN_KEY,       /* inside a member name */
	S_COLON,        /* after a member name */
	S_VALUE,        /* after ':' */
	S_IN_VALUE,     /* inside a buffered member value */
	S_AFTER_VALUE,  /* after a member value: ',' or '}' */
	S_ELEM_OR_END,  /* after '[' of a streamed array: an element or ']' */
	S_ELEM,         /* after ',' in a streamed array */
	S_IN_ELEM,      /* inside a streamed element */
	S_AFTER_ELEM,   /* after an element: ',' or ']' */
	S_END,          /* after the top-level '}': only white space */
};

#define KEY_MAX 4096 /* a member name longer than this is not ours */

struct scan {
	struct scan_handlers h;
	enum scan_state state;
	struct scan_pos pos;    /* of the last character consumed */
	struct scan_pos start;  /* of the first character of the piece */
	bool seen_any;          /* any non-space byte yet (empty vs truncated) */
	/* the first bytes, held until the encoding is known (a BOM may arrive
	 * split across chunks) */
	unsigned char head[4];
	size_t head_len;
	bool head_done;
	/* the piece being accumulated; the buffer is reused for every piece */
	char *buf;
	size_t len, cap;
	unsigned long depth;
	bool in_str, esc, scalar;
	/* the current top-level member */
	char *key;
	size_t index;           /* element index in a streamed array */
	/* top-level member names seen, to refuse duplicates: a jansson object
	 * used as a hash set (seeded hash), so a document of many distinct
	 * names costs linear time, not quadratic */
	json_t *keys;
};

struct scan *scan_new(const struct scan_handlers *h)
{
	struct scan *s = xrealloc(NULL, sizeof *s);
	memset(s, 0, sizeof *s);
	s->h = *h;
	s->state = S_START;
	s->pos.line = 1;
	s->keys = json_object();
	if (!s->keys) {
		fputs("out of memory loading the status document\n", stderr);
		abort();
	}
	return s;
}

void scan_free(struct scan *s)
{
	if (!s)
		return;
	json_decref(s->keys);
	free(s->key);
	free(s->buf);
	free(s);
}

void scan_json_error(const struct scan_pos *at, const json_error_t *je,
		     char err[KMS_ERRLEN])
{
	unsigned long line = at->line, col = at->col;
	if (je->line > 1) {
		line += (unsigned long)je->line - 1;
		col = je->column > 0 ? (unsigned long)je->column : 0;
	} else if (je->column > 0) {
		col += (unsigned long)je->column - 1;
	}
	snprintf(err, KMS_ERRLEN, "invalid JSON at line %lu, column %lu: %s",
		 line, col, je->text);
}

static bool syntax(const struct scan *s, char err[KMS_ERRLEN], const char *why)
{
	snprintf(err, KMS_ERRLEN, "invalid JSON at line %lu, column %lu: %s",
		 s->pos.line, s->pos.col, why);
	return false;
}

/* Columns count characters: UTF-8 continuation bytes do not advance. */
static inline void advance(struct scan *s, unsigned char c)
{
	if (c == '\n') {
		s->pos.line++;
		s->pos.col = 0;
	} else if ((c & 0xC0) != 0x80) {
		s->pos.col++;
	}
}

static inline bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Bytes that end a bare scalar (number, true, false, null). */
static inline bool ends_scalar(unsigned char c)
{
	return is_space(c) || c == ',' || c == ']' || c == '}' || c == ':' ||
	       c == '"' || c == '[' || c == '{';
}

/* Start accumulating a piece whose first character c was just consumed. */
static void piece_begin(struct scan *s, unsigned char c)
{
	s->start = s->pos;
	s->len = 0;
	s->depth = (c == '{' || c == '[') ? 1 : 0;
	s->in_str = c == '"';
	s->esc = false;
	s->scalar = !s->in_str && s->depth == 0;
	if (s->cap == 0) {
		s->cap = 4096;
		s->buf = xrealloc(s->buf, s->cap);
	}
	s->buf[s->len++] = (char)c;
}

/* Consume p[0..n) while inside a piece. Returns how many bytes belong to it;
 * *end is set when the piece is complete (for a scalar the byte at the
 * returned index is the delimiter, not consumed). */
static size_t acc_run(struct scan *s, const unsigned char *p, size_t n, bool *end)
{
	size_t i = 0;
	if (s->scalar) {
		for (; i < n; i++) {
			if (ends_scalar(p[i])) {
				*end = true;
				return i;
			}
			advance(s, p[i]);
		}
		return n;
	}
	unsigned long depth = s->depth;
	bool in_str = s->in_str, esc = s->esc;
	for (; i < n; i++) {
		if (in_str && !esc) {
			/* most bytes are plain ASCII inside strings: skip them
			 * in a tight loop, one column each */
			size_t j = i;
			while (j < n && p[j] != '"' && p[j] != '\\' &&
			       p[j] != '\n' && p[j] < 0x80)
				j++;
			s->pos.col += j - i;
			i = j;
			if (i == n)
				break;
		}
		unsigned char c = p[i];
		advance(s, c);
		if (in_str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"') {
				in_str = false;
				if (depth == 0) {
					*end = true;
					i++;
					break;
				}
			}
		} else if (c == '"') {
			in_str = true;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			if (--depth == 0) {
				*end = true;
				i++;
				break;
			}
		}
	}
	s->depth = depth;
	s->in_str = in_str;
	s->esc = esc;
	return i;
}

static bool piece_append(struct scan *s, const unsigned char *p, size_t n,
			 char err[KMS_ERRLEN])
{
	size_t max = s->state == S_IN_ELEM ? SCAN_ELEM_MAX :
		     s->state == S_IN_KEY ? KEY_MAX : SCAN_MEMBER_MAX;
	if (s->len + n > max) {
		if (s->state == S_IN_ELEM)
			snprintf(err, KMS_ERRLEN,
				 "$.%.64s[%zu]: element larger than %zu MiB",
				 s->key, s->index, max >> 20);
		else if (s->state == S_IN_KEY)
			snprintf(err, KMS_ERRLEN,
				 "invalid JSON at line %lu, column %lu: member name longer than %zu bytes",
				 s->start.line, s->start.col, max);
		else
			snprintf(err, KMS_ERRLEN,
				 "$.%.64s: value larger than %zu MiB", s->key,
				 max >> 20);
		return false;
	}
	if (s->len + n > s->cap) {
		size_t cap = s->cap;
		while (cap < s->len + n)
			cap *= 2;
		s->buf = xrealloc(s->buf, cap);
		s->cap = cap;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	return true;
}

/* The member name in buf is complete: decode it and refuse duplicates. */
static bool key_done(struct scan *s, char err[KMS_ERRLEN])
{
	json_error_t je;
	json_t *j = json_loadb(s->buf, s->len, JSON_DECODE_ANY, &je);
	if (!j) {
		scan_json_error(&s->start, &je, err);
		return false;
	}
	/* jansson refused \u0000 (no JSON_ALLOW_NUL): k is the whole name */
	const char *k = json_string_value(j);
	if (json_object_get(s->keys, k)) {
		snprintf(err, KMS_ERRLEN,
			 "invalid JSON at line %lu, column %lu: duplicate object key \"%.64s\"",
			 s->start.line, s->start.col, k);
		json_decref(j);
		return false;
	}
	if (json_object_set_new(s->keys, k, json_null()) != 0) {
		fputs("out of memory loading the status document\n", stderr);
		abort();
	}
	size_t klen = strlen(k) + 1;
	s->key = xrealloc(s->key, klen);
	memcpy(s->key, k, klen);
	json_decref(j);
	return true;
}

/* A piece is complete: hand it over and move on. */
static bool piece_done(struct scan *s, char err[KMS_ERRLEN])
{
	switch (s->state) {
	case S_IN_KEY:
		s->state = S_COLON;
		return key_done(s, err);
	case S_IN_VALUE:
		s->state = S_AFTER_VALUE;
		return s->h.member(s->h.ctx, s->key, s->buf, s->len, &s->start, err);
	default: /* S_IN_ELEM */
		s->state = S_AFTER_ELEM;
		return s->h.elem(s->h.ctx, s->key, s->index++, s->buf, s->len,
				 &s->start, err);
	}
}

static bool value_begin(struct scan *s, unsigned char c, enum scan_state next,
			char err[KMS_ERRLEN])
{
	if (c == ',' || c == ']' || c == '}' || c == ':')
		return syntax(s, err, "expected a value");
	piece_begin(s, c);
	s->state = next;
	return true;
}

static bool array_done(struct scan *s, char err[KMS_ERRLEN])
{
	s->state = S_AFTER_VALUE;
	return s->h.array_end(s->h.ctx, s->key, s->index, err);
}

/* One byte c (already consumed into pos) outside any piece. */
static bool step(struct scan *s, unsigned char c, char err[KMS_ERRLEN])
{
	if (is_space(c))
		return true;
	s->seen_any = true;
	switch (s->state) {
	case S_START:
		if (c != '{')
			return syntax(s, err, "the document must be a JSON object");
		s->state = S_KEY_OR_END;
		return true;
	case S_KEY_OR_END:
	case S_KEY:
		if (c == '"') {
			piece_begin(s, c);
			s->state = S_IN_KEY;
			return true;
		}
		if (c == '}' && s->state == S_KEY_OR_END) {
			s->state = S_END;
			return true;
		}
		return syntax(s, err, "expected a member name in double quotes");
	case S_COLON:
		if (c != ':')
			return syntax(s, err, "expected ':' after a member name");
		s->state = S_VALUE;
		return true;
	case S_VALUE:
		if (c == '[' && s->h.stream(s->h.ctx, s->key)) {
			s->index = 0;
			s->state = S_ELEM_OR_END;
			return true;
		}
		return value_begin(s, c, S_IN_VALUE, err);
	case S_AFTER_VALUE:
		if (c == ',') {
			s->state = S_KEY;
			return true;
		}
		if (c == '}') {
			s->state = S_END;
			return true;
		}
		return syntax(s, err, "expected ',' or '}' after a member value");
	case S_ELEM_OR_END:
		if (c == ']')
			return array_done(s, err);
		return value_begin(s, c, S_IN_ELEM, err);
	case S_ELEM:
		return value_begin(s, c, S_IN_ELEM, err);
	case S_AFTER_ELEM:
		if (c == ',') {
			s->state = S_ELEM;
			return true;
		}
		if (c == ']')
			return array_done(s, err);
		return syntax(s, err, "expected ',' or ']' after an array element");
	case S_END:
		return syntax(s, err, "unexpected text after the document");
	default: /* the S_IN_* states never reach step() */
		return syntax(s, err, "scanner state lost");
	}
}

static bool feed_bytes(struct scan *s, const unsigned char *p, size_t len,
		       char err[KMS_ERRLEN])
{
	size_t i = 0;
	while (i < len) {
		if (s->state == S_IN_VALUE || s->state == S_IN_ELEM ||
		    s->state == S_IN_KEY) {
			bool end = false;
			size_t k = acc_run(s, p + i, len - i, &end);
			if (!piece_append(s, p + i, k, err))
				return false;
			i += k;
			if (end && !piece_done(s, err))
				return false;
			continue;
		}
		unsigned char c = p[i++];
		advance(s, c);
		if (!step(s, c, err))
			return false;
	}
	return true;
}

/* UTF-16 by its BOM, or without one by its zero bytes: JSON text starts
 * with ASCII, which UTF-16 pairs with a zero byte, x 00 x 00 (LE) or
 * 00 x 00 x (BE), as RFC 4627 section 3 detects it. Anything else with NULs
 * (binary garbage) is left to the scanner's "not a JSON object". */
static bool looks_utf16(const unsigned char *h, size_t n)
{
	if (n >= 2 && ((h[0] == 0xFF && h[1] == 0xFE) || (h[0] == 0xFE && h[1] == 0xFF)))
		return true;
	if (n < 2)
		return false;
	bool le = true, be = true;
	for (size_t k = 0; k + 1 < n; k += 2) {
		le = le && h[k] != 0 && h[k + 1] == 0;
		be = be && h[k] == 0 && h[k + 1] != 0;
	}
	return le || be;
}

/* The first bytes are all there (or the input ended): a UTF-8 BOM is
 * dropped (RFC 8259 section 8.1 lets a reader ignore it, and Windows
 * PowerShell 5.1 writes it); UTF-16 is refused by name: Out-File writes it,
 * and it would read as "invalid JSON". The rest goes through the scanner
 * as if fed directly. */
static bool head_decide(struct scan *s, char err[KMS_ERRLEN])
{
	const unsigned char *h = s->head;
	size_t n = s->head_len, skip = 0;
	s->head_done = true;
	if (n >= 3 && h[0] == 0xEF && h[1] == 0xBB && h[2] == 0xBF)
		skip = 3;
	else if (looks_utf16(h, n)) {
		snprintf(err, KMS_ERRLEN, "is UTF-16; the exporter writes UTF-8");
		return false;
	}
	return feed_bytes(s, h + skip, n - skip, err);
}

bool scan_feed(struct scan *s, const char *data, size_t len, char err[KMS_ERRLEN])
{
	const unsigned char *p = (const unsigned char *)data;
	if (!s->head_done) {
		size_t take = sizeof s->head - s->head_len;
		if (take > len)
			take = len;
		memcpy(s->head + s->head_len, p, take);
		s->head_len += take;
		p += take;
		len -= take;
		if (s->head_len < sizeof s->head)
			return true;
		if (!head_decide(s, err))
			return false;
	}
	return feed_bytes(s, p, len, err);
}

bool scan_finish(struct scan *s, char err[KMS_ERRLEN])
{
	if (!s->head_done && !head_decide(s, err))
		return false;
	if (s->state == S_END)
		return true;
	if (!s->seen_any) {
		snprintf(err, KMS_ERRLEN, "invalid JSON: the document is empty");
		return false;
	}
	snprintf(err, KMS_ERRLEN,
		 "invalid JSON: document ends early (line %lu, column %lu)",
		 s->pos.line, s->pos.col);
	return false;
}
