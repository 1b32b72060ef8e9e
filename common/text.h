/* text.h - plain text for one line of plugin output: cleaning and fitting.
 *
 * A leaf: uses only libc. Everything a plugin prints passes through
 * text_clean(), so a name taken from a document or a peer cannot start
 * perfdata, start a new line, or reorder what a terminal shows. */
#ifndef KMS_TEXT_H
#define KMS_TEXT_H

#include <stddef.h>

/* The first line's length limit, in characters before " | ": what a phone
 * notification shows without cutting. */
#define LINE1_MAX 100

/* Clean s in place: '|' (Nagios' perfdata separator) becomes '/'; C0 and
 * C1 control characters, DEL, the Unicode line and paragraph separators
 * (U+2028, U+2029) and the bidirectional controls (U+061C, U+200E, U+200F,
 * U+202A..U+202E, U+2066..U+2069) each become one space. The string can
 * only get shorter. Returns its new length. */
size_t text_clean(char *s);

/* snprintf() for messages, where text cut at len - 1 bytes is still the
 * message (and gcc's -Wformat-truncation need not be told so each time). */
void text_printf(char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Number of characters (UTF-8 code points) in the first n bytes of s. */
size_t text_chars(const char *s, size_t n);

/* The byte length of the longest prefix of s (of length n bytes) holding at
 * most max_chars characters, never splitting a UTF-8 sequence. */
size_t text_prefix(const char *s, size_t n, size_t max_chars);

/* Where to cut s (n bytes) so that the cut text plus a 3-character "..."
 * holds at most max_chars characters: at the last blank within the limit
 * when there is one in its second half, else at the limit. Returns a byte
 * length <= n; trailing blanks, ',' and ';' before the cut are dropped. */
size_t text_cut_words(const char *s, size_t n, size_t max_chars);

/* Replace in place every byte of s that is not part of a well-formed UTF-8
 * sequence (no overlong form, no surrogate, at most U+10FFFF: what JSON
 * accepts) by '?'; the valid text around it stays. */
void text_utf8_scrub(char *s);

#endif
