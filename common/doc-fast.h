/* doc-fast.h - private to doc.c: a fast path for the common case of a
 * "clients" element, a flat JSON object of ASCII strings without escapes,
 * integers, booleans and nulls.
 *
 * jansson builds a tree for each element (a hash table, a malloc per value)
 * and checks every byte through its stream layer; on the 100k-client
 * document that alone costs more than Python's whole json.load. This parser
 * only reads the members the loader asks for and skips the rest. It accepts
 * nothing that jansson would reject: whatever it is not sure about (any
 * backslash or non-ASCII byte in a string, a nested object, a number with
 * an exponent or more than 18 integer digits, a duplicate key, invalid JSON)
 * makes it give up, and the caller then parses the element with jansson,
 * which also words the error.
 *
 * One exception to "no nested object": the caller may name one member as a
 * list (struct jv_list, for a client's names_seen) whose value, when it is
 * an array, must be an array of at most `max` flat objects; their members
 * are read like the element's own. Anything else in that array (a string,
 * a nested object, one item too many) gives up as well. */
#ifndef KMS_DOC_FAST_H
#define KMS_DOC_FAST_H

#include <stdbool.h>
#include <stddef.h>

enum jv_type { JV_ABSENT, JV_NULL, JV_BOOL, JV_INT, JV_REAL, JV_STRING,
	       JV_ARRAY, JV_OBJECT };

/* One member value: a string (s, NUL-terminated), an integer or boolean
 * (i), or just its type. */
struct jv {
	enum jv_type t;
	const char *s;
	long long i;
	char *end;      /* fast path: where a string's closing quote is */
};

/* A member whose value is an array of flat objects. Item i's own type is
 * items[i * (1 + n_names)] (JV_OBJECT on the fast path), its members
 * names[k] follow at items[i * (1 + n_names) + 1 + k]. */
struct jv_list {
	size_t member;             /* in: index into fast_object's names */
	const char *const *names;  /* in: the items' member names */
	size_t n_names;            /* in */
	size_t max;                /* in: more items than this: give up */
	struct jv *items;          /* in: room for max * (1 + n_names) */
	size_t n;                  /* out: items read (0 unless an array) */
};

/* Parse buf[0..len), a complete JSON text, as an object. Member names[k]
 * (n of them, at most 32) lands in out[k]; other members are skipped. list
 * (or NULL) names the one member read as an array of flat objects. On
 * success strings are NUL-terminated in place (buf is modified) and true is
 * returned. false leaves buf unchanged: the caller must use jansson. */
bool fast_object(char *buf, size_t len, const char *const *names, size_t n,
		 struct jv *out, struct jv_list *list);

#endif
