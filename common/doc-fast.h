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
 * which also words the error. */
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
};

/* Parse buf[0..len), a complete JSON text, as an object. Member names[k]
 * (n of them, at most 32) lands in out[k]; other members are skipped. On
 * success strings are NUL-terminated in place (buf is modified) and true is
 * returned. false leaves buf unchanged: the caller must use jansson. */
bool fast_object(char *buf, size_t len, const char *const *names, size_t n,
		 struct jv *out);

#endif
