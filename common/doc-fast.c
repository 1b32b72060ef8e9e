/* doc-fast.c - the fast path for flat "clients" elements (doc-fast.h). A
 * strict recursive-descent reader of RFC 8259 JSON restricted to what the
 * exporter writes (flat objects, and the one list of flat objects the
 * caller names, a client's names_seen); anything outside that restriction
 * returns false so that jansson, the reference, decides. */
#include "doc-fast.h"

#include <string.h>

#define MAX_KEYS 32   /* members per element before we give up */
#define MAX_DEPTH 32  /* nested arrays in an unknown member */

struct fp {
	const char *p, *end;
};

static inline void skip_ws(struct fp *f)
{
	while (f->p < f->end &&
	       (*f->p == ' ' || *f->p == '\n' || *f->p == '\t' || *f->p == '\r'))
		f->p++;
}

static inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* At '"': a string of printable ASCII without escapes. */
static bool read_string(struct fp *f, const char **s, size_t *len)
{
	const char *q = ++f->p;
	while (q < f->end) {
		unsigned char c = (unsigned char)*q;
		if (c == '"')
			break;
		if (c < 0x20 || c >= 0x80 || c == '\\')
			return false;
		q++;
	}
	if (q >= f->end)
		return false;
	*s = f->p;
	*len = (size_t)(q - f->p);
	f->p = q + 1;
	return true;
}

/* A JSON number: integers of up to 18 digits are read, reals only typed.
 * A real with an exponent or more than 18 integer digits may overflow a
 * double, which jansson refuses ("real number overflow"): such a number
 * gives up, so jansson decides. */
static bool read_number(struct fp *f, struct jv *v)
{
	const char *p = f->p, *end = f->end;
	bool neg = false, real = false;
	if (p < end && *p == '-') {
		neg = true;
		p++;
	}
	const char *digits = p;
	if (p >= end)
		return false;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (p < end && is_digit(*p))
			p++;
	else
		return false;
	size_t ndig = (size_t)(p - digits);
	if (p < end && *p == '.') {
		p++;
		if (p >= end || !is_digit(*p))
			return false;
		while (p < end && is_digit(*p))
			p++;
		real = true;
	}
	if ((p < end && (*p == 'e' || *p == 'E')) || ndig > 18)
		return false; /* jansson decides on overflow */
	if (real) {
		v->t = JV_REAL;
	} else {
		long long n = 0;
		for (size_t i = 0; i < ndig; i++)
			n = n * 10 + (digits[i] - '0');
		v->t = JV_INT;
		v->i = neg ? -n : n;
	}
	f->p = p;
	return true;
}

static bool read_literal(struct fp *f, const char *word, size_t n)
{
	if ((size_t)(f->end - f->p) < n || memcmp(f->p, word, n) != 0)
		return false;
	f->p += n;
	return true;
}

/* Any value except an object; *len is a string's length. */
static bool read_value(struct fp *f, struct jv *v, size_t *len, int depth)
{
	if (f->p >= f->end)
		return false;
	switch (*f->p) {
	case '"':
		v->t = JV_STRING;
		return read_string(f, &v->s, len);
	case 't':
		v->t = JV_BOOL;
		v->i = 1;
		return read_literal(f, "true", 4);
	case 'f':
		v->t = JV_BOOL;
		v->i = 0;
		return read_literal(f, "false", 5);
	case 'n':
		v->t = JV_NULL;
		return read_literal(f, "null", 4);
	case '[': {
		/* an unknown member may hold an array: check and skip it */
		struct jv dummy;
		size_t dlen;
		if (depth >= MAX_DEPTH)
			return false;
		f->p++;
		skip_ws(f);
		if (f->p < f->end && *f->p == ']') {
			f->p++;
		} else {
			for (;;) {
				if (!read_value(f, &dummy, &dlen, depth + 1))
					return false;
				skip_ws(f);
				if (f->p >= f->end)
					return false;
				if (*f->p == ']') {
					f->p++;
					break;
				}
				if (*f->p != ',')
					return false;
				f->p++;
				skip_ws(f);
			}
		}
		v->t = JV_ARRAY;
		return true;
	}
	case '{':
		return false; /* nested objects: duplicate-key rules are jansson's */
	default:
		return read_number(f, v);
	}
}

static bool read_list(struct fp *f, struct jv_list *list);

/* After a member or an element: 0 at the closing character (consumed), 1
 * after a ',' (consumed, blanks skipped), -1 at anything else. */
static int next_item(struct fp *f, char close)
{
	skip_ws(f);
	if (f->p >= f->end)
		return -1;
	if (*f->p == close) {
		f->p++;
		return 0;
	}
	if (*f->p != ',')
		return -1;
	f->p++;
	skip_ws(f);
	return 1;
}

/* At '{': a flat object; names[k] lands in out[k] (absent ones JV_ABSENT),
 * out[list->member] as a list when list is given. */
static bool read_object(struct fp *f, const char *const *names, size_t n,
			struct jv *out, struct jv_list *list)
{
	const char *keys[MAX_KEYS];
	size_t klens[MAX_KEYS], nkeys = 0;
	for (size_t k = 0; k < n; k++)
		out[k].t = JV_ABSENT;
	f->p++;
	skip_ws(f);
	if (f->p < f->end && *f->p == '}') {
		f->p++;
		return true;
	}
	for (;;) {
		const char *key;
		size_t klen, vlen = 0;
		if (f->p >= f->end || *f->p != '"' ||
		    !read_string(f, &key, &klen) || nkeys == MAX_KEYS)
			return false;
		for (size_t i = 0; i < nkeys; i++)
			if (klens[i] == klen && memcmp(keys[i], key, klen) == 0)
				return false;
		keys[nkeys] = key;
		klens[nkeys++] = klen;
		skip_ws(f);
		if (f->p >= f->end || *f->p != ':')
			return false;
		f->p++;
		skip_ws(f);
		size_t k = 0;
		/* first byte first: strncmp per name is a third of the time */
		while (k < n && !(klen > 0 && names[k][0] == key[0] &&
				  strncmp(names[k], key, klen) == 0 &&
				  names[k][klen] == '\0'))
			k++;
		struct jv dummy, *v = k < n ? &out[k] : &dummy;
		if (list && k == list->member && f->p < f->end && *f->p == '[') {
			if (!read_list(f, list))
				return false;
			v->t = JV_ARRAY;
		} else if (!read_value(f, v, &vlen, 0)) {
			return false;
		}
		v->end = v->t == JV_STRING ? (char *)v->s + vlen : NULL;
		int more = next_item(f, '}');
		if (more <= 0)
			return more == 0;
	}
}

/* At '[': at most list->max flat objects. */
static bool read_list(struct fp *f, struct jv_list *list)
{
	size_t stride = 1 + list->n_names;
	list->n = 0;
	f->p++;
	skip_ws(f);
	if (f->p < f->end && *f->p == ']') {
		f->p++;
		return true;
	}
	for (;;) {
		if (list->n == list->max || f->p >= f->end || *f->p != '{')
			return false;
		struct jv *item = &list->items[list->n * stride];
		item->t = JV_OBJECT;
		item->end = NULL;
		if (!read_object(f, list->names, list->n_names, item + 1, NULL))
			return false;
		list->n++;
		int more = next_item(f, ']');
		if (more <= 0)
			return more == 0;
	}
}

static void terminate(struct jv *v, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (v[k].t == JV_STRING)
			*v[k].end = '\0'; /* the closing quote */
}

bool fast_object(char *buf, size_t len, const char *const *names, size_t n,
		 struct jv *out, struct jv_list *list)
{
	struct fp f = { buf, buf + len };
	if (list)
		list->n = 0;
	skip_ws(&f);
	if (f.p >= f.end || *f.p != '{' || !read_object(&f, names, n, out, list))
		return false;
	skip_ws(&f);
	if (f.p != f.end)
		return false;
	/* only now that the whole element is read: on false, buf is intact */
	terminate(out, n);
	if (list && list->member < n && out[list->member].t == JV_ARRAY)
		terminate(list->items, list->n * (1 + list->n_names));
	return true;
}
