/* text.c - owns cleaning and fitting text for output lines (text.h). */
#include "text.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Length of the sequence at s to replace with one space, 0 to keep it. */
static size_t unsafe_len(const unsigned char *s)
{
	unsigned char c = s[0];
	if (c < 0x20 || c == 0x7f)
		return 1;
	if (c == 0xC2 && s[1] >= 0x80 && s[1] <= 0x9F)
		return 2; /* C1 controls, U+0085 NEL among them */
	if (c == 0xD8 && s[1] == 0x9C)
		return 2; /* U+061C arabic letter mark */
	if (c == 0xE2 && s[1] == 0x80 &&
	    (s[2] == 0x8E || s[2] == 0x8F || (s[2] >= 0xA8 && s[2] <= 0xAE)))
		return 3; /* U+200E/F, U+2028/9, U+202A..E */
	if (c == 0xE2 && s[1] == 0x81 && s[2] >= 0xA6 && s[2] <= 0xA9)
		return 3; /* U+2066..U+2069 isolates */
	return 0;
}

size_t text_clean(char *s)
{
	unsigned char *in = (unsigned char *)s, *out = in;
	while (*in) {
		size_t bad = unsafe_len(in);
		if (bad) {
			*out++ = ' ';
			in += bad;
		} else if (*in == '|') {
			*out++ = '/';
			in++;
		} else {
			*out++ = *in++;
		}
	}
	*out = '\0';
	return (size_t)(out - (unsigned char *)s);
}

static bool is_cont(unsigned char c)
{
	return (c & 0xC0) == 0x80;
}

size_t text_chars(const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += !is_cont((unsigned char)s[i]);
	return k;
}

size_t text_prefix(const char *s, size_t n, size_t max_chars)
{
	size_t chars = 0, i = 0;
	while (i < n) {
		if (!is_cont((unsigned char)s[i])) {
			if (chars == max_chars)
				break;
			chars++;
		}
		i++;
	}
	return i;
}

size_t text_cut_words(const char *s, size_t n, size_t max_chars)
{
	if (text_chars(s, n) <= max_chars)
		return n;
	size_t lim = text_prefix(s, n, max_chars > 3 ? max_chars - 3 : 0);
	size_t cut = lim;
	while (cut > lim / 2 && s[cut] != ' ')
		cut--;
	if (cut <= lim / 2)
		cut = lim; /* no blank in reach: cut inside the word */
	while (cut > 0 && (s[cut - 1] == ' ' || s[cut - 1] == ',' || s[cut - 1] == ';'))
		cut--;
	return cut;
}

/* The length of the UTF-8 sequence at s as jansson accepts it (no
 * overlong form, no surrogate, at most U+10FFFF); 0 when it is none. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned c = s[0];
	size_t n = c < 0x80 ? 1 : c < 0xC2 ? 0 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF5 ? 4 : 0;
	unsigned long cp = c & (0x7F >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0; /* also stops at the NUL */
		cp = cp << 6 | (s[i] & 0x3F);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return n;
}

void text_utf8_scrub(char *s)
{
	for (unsigned char *p = (unsigned char *)s; *p;) {
		size_t n = utf8_len(p);
		if (n)
			p += n;
		else
			*p++ = '?';
	}
}

void text_printf(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out, len, fmt, ap);
	va_end(ap);
}
