/* doc.c - the KMS status document: load it as a stream, validate it into
 * struct doc, and hand the clients over one at a time (doc.h).
 *
 * Why a stream: loading a 100k-client document (44 MB) as one jansson tree
 * takes 0.79 s and 204 MiB, more than Python's json (0.28 s, 164 MiB), and a
 * 1M-client document would need gigabytes. doc-scan.c splits the document
 * into top-level members and "clients" elements; each piece is parsed alone
 * with jansson and freed, so memory stays flat whatever the client count.
 *
 * Measured with tests/tools/doc_dump (gcc -O2) against /usr/bin/python3
 * json.load of the same file, /usr/bin/time, medians of 3, shared 2-core
 * machine, documents from packaging/samples/generate.py:
 *   100k clients (41 MB): jansson per element 1.2 s CPU, 2 MiB (slower than
 *     Python: jansson's per-byte stream layer and a tree per element);
 *     with the fast path (doc-fast.c) 0.13 s CPU, 2.1 MiB RSS;
 *     Python 0.36 s CPU (user+sys), 162 MiB RSS.
 *   1M clients (412 MB): 1.6 s CPU, 2.1 MiB RSS; Python 7 s CPU, 1.5 GiB.
 *   Since the (CMID, product) key check (issue 15), the same 1M document:
 *   doc_dump 1.18 -> 1.37 s CPU, 2.2 -> 74 MiB RSS; check_kms_count 1.23 ->
 *   1.65 s, 2.5 -> 74 MiB (the key set, 2^21 entries of 24 bytes, plus the
 *   old half while it grows).
 * The fast path reads flat ASCII client objects directly and falls back to
 * jansson for anything else, so jansson stays the judge of what is JSON.
 * It also reads a client's names_seen (issue 18), the one nested member, an
 * array of flat objects: without that every such document would go to
 * jansson element by element. generate.py --clients 100000 --seed 7
 * --names-seen (52 MB), doc_dump, medians of 3: fast path giving up 0.90 s
 * CPU, reading names_seen 0.20 s (0.16 s for the same document without
 * names_seen); check_kms_count 0.95 -> 0.21 s; RSS 11 MiB either way.
 *
 * Decisions: a duplicate top-level member is an error ("duplicate object
 * key"), and so is a duplicate key inside any object (JSON_REJECT_DUPLICATES):
 * a document that says two things is refused rather than guessed at. Unknown
 * top-level members are still checked to be valid JSON; when they are arrays
 * they are streamed like "clients", so a future large member cannot break
 * the memory bound. */
#include "doc.h"

#include <ctype.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "doc-fast.h"
#include "doc-scan.h"
#include "hash.h"
#include "hresult.h"
#include "options.h"
#include "output.h"
#include "sku.h"
#include "timeutil.h"

#define JSON_FLAGS (JSON_DECODE_ANY | JSON_REJECT_DUPLICATES)

/* ---- JSON paths, formatted only when an error needs one ---------------- */

/* "$.name", "$.name[index]", "$.name[index].sub" */
struct jpath {
	const char *name;
	bool indexed;
	size_t index;
	const char *sub;
};

static void path_fmt(const struct jpath *p, const char *field, char *buf,
		     size_t len)
{
	int n = snprintf(buf, len, "$.%s", p->name);
	if (n < 0 || (size_t)n >= len)
		return;
	if (p->indexed)
		n += snprintf(buf + n, len - (size_t)n, "[%zu]", p->index);
	if (p->sub && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, ".%s", p->sub);
	if (field && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, ".%s", field);
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	default: return "null";
	}
}

static bool fail_type(const struct jpath *p, const char *field,
		      const char *want, const json_t *v, char err[KMS_ERRLEN])
{
	char path[160];
	path_fmt(p, field, path, sizeof path);
	snprintf(err, KMS_ERRLEN, "%s: expected %s, got %s", path, want,
		 type_name(v));
	return false;
}

static bool fail_missing(const struct jpath *p, const char *field,
			 char err[KMS_ERRLEN])
{
	char path[160];
	path_fmt(p, field, path, sizeof path);
	snprintf(err, KMS_ERRLEN, "%s: missing", path);
	return false;
}

/* ---- typed getters: absent or null is fine for optional fields --------- */

static bool get_int(const json_t *o, const struct jpath *p, const char *f,
		    long long *out, char err[KMS_ERRLEN])
{
	const json_t *v = json_object_get(o, f);
	*out = DOC_ABSENT;
	if (!v || json_is_null(v))
		return true;
	if (!json_is_integer(v))
		return fail_type(p, f, "integer", v, err);
	*out = json_integer_value(v);
	return true;
}

/* The range of an integer field (the schema's minimum and maximum) and what
 * a value out of it is called: "a license state" gives "9 is not a license
 * state (0..6)"; NULL gives "-5 is negative" for a minimum of 0, else "0 is
 * below the minimum 1". Every range excludes DOC_ABSENT. */
struct irange {
	long long lo, hi;
	const char *what;
};

static const struct irange R_COUNT = { 0, LLONG_MAX, NULL };
static const struct irange R_LICENSE = { LIC_UNLICENSED, LIC_EXTENDED_GRACE,
					 "a license state" };
static const struct irange R_PORT = { 1, 65535, "a port number" };
static const struct irange R_EVENT = { 0, 65535, "an event id" };
static const struct irange R_REQUIRED = { 1, LLONG_MAX, NULL };

/* false with "PATH: V is ..." when v is outside r. */
static bool range_ok(const char *path, long long v, const struct irange *r,
		     char err[KMS_ERRLEN])
{
	if (v >= r->lo && v <= r->hi)
		return true;
	if (r->what)
		snprintf(err, KMS_ERRLEN, "%s: %lld is not %s (%lld..%lld)", path,
			 v, r->what, r->lo, r->hi);
	else if (r->lo == 0)
		snprintf(err, KMS_ERRLEN, "%s: %lld is negative", path, v);
	else
		snprintf(err, KMS_ERRLEN, "%s: %lld is below the minimum %lld",
			 path, v, r->lo);
	return false;
}

/* An optional integer held to r. */
static bool get_ranged(const json_t *o, const struct jpath *p, const char *f,
		       const struct irange *r, long long *out,
		       char err[KMS_ERRLEN])
{
	if (!get_int(o, p, f, out, err))
		return false;
	if (*out == DOC_ABSENT && !json_is_integer(json_object_get(o, f)))
		return true;
	char path[160];
	path_fmt(p, f, path, sizeof path);
	return range_ok(path, *out, r, err);
}

static bool get_count(const json_t *o, const struct jpath *p, const char *f,
		      long long *out, char err[KMS_ERRLEN])
{
	return get_ranged(o, p, f, &R_COUNT, out, err);
}

static bool get_bool(const json_t *o, const struct jpath *p, const char *f,
		     long long *out, char err[KMS_ERRLEN])
{
	const json_t *v = json_object_get(o, f);
	*out = DOC_ABSENT;
	if (!v || json_is_null(v))
		return true;
	if (!json_is_boolean(v))
		return fail_type(p, f, "boolean", v, err);
	*out = json_is_true(v) ? 1 : 0;
	return true;
}

static bool get_str(const json_t *o, const struct jpath *p, const char *f,
		    const char **out, char err[KMS_ERRLEN])
{
	const json_t *v = json_object_get(o, f);
	*out = NULL;
	if (!v || json_is_null(v))
		return true;
	if (!json_is_string(v))
		return fail_type(p, f, "string", v, err);
	*out = json_string_value(v);
	return true;
}

static bool get_time(const json_t *o, const struct jpath *p, const char *f,
		     double *out, char err[KMS_ERRLEN])
{
	const char *s;
	*out = NAN;
	if (!get_str(o, p, f, &s, err))
		return false;
	if (!s)
		return true;
	char why[KMS_ERRLEN];
	if (!rfc3339_parse(s, out, why)) {
		char path[160];
		path_fmt(p, f, path, sizeof path);
		snprintf(err, KMS_ERRLEN, "%s: %.300s", path, why);
		return false;
	}
	return true;
}

static bool get_license(const json_t *o, const struct jpath *p, const char *f,
			long long *out, char err[KMS_ERRLEN])
{
	return get_ranged(o, p, f, &R_LICENSE, out, err);
}

/* An HRESULT text; *has says whether one was there. */
static bool get_hresult(const json_t *o, const struct jpath *p, const char *f,
			const char **text, bool *has, uint32_t *code,
			char err[KMS_ERRLEN])
{
	*has = false;
	if (!get_str(o, p, f, text, err))
		return false;
	if (!*text)
		return true;
	if (!hresult_parse(*text, code)) {
		char path[160];
		path_fmt(p, f, path, sizeof path);
		snprintf(err, KMS_ERRLEN, "%s: not an HRESULT: \"%.64s\"", path,
			 *text);
		return false;
	}
	*has = true;
	return true;
}

/* A GUID as Windows writes it ("55c92734-...", "{55C92734-...}", blanks
 * around or inside the braces) into out as lower-case 8-4-4-4-12 text.
 * false when text is no such GUID. */
static bool guid_norm(const char *text, char out[37])
{
	const char *b = text, *e = text + strlen(text);
	while (b < e && isspace((unsigned char)*b))
		b++;
	while (e > b && isspace((unsigned char)e[-1]))
		e--;
	if (e - b >= 2 && *b == '{' && e[-1] == '}') {
		b++;
		e--;
		while (b < e && isspace((unsigned char)*b))
			b++;
		while (e > b && isspace((unsigned char)e[-1]))
			e--;
	}
	if (e - b != 36)
		return false;
	/* a table, not ctype calls: this runs several times per client */
	static const char lower[256] = {
		['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3', ['4'] = '4',
		['5'] = '5', ['6'] = '6', ['7'] = '7', ['8'] = '8', ['9'] = '9',
		['a'] = 'a', ['b'] = 'b', ['c'] = 'c', ['d'] = 'd', ['e'] = 'e',
		['f'] = 'f', ['A'] = 'a', ['B'] = 'b', ['C'] = 'c', ['D'] = 'd',
		['E'] = 'e', ['F'] = 'f',
	};
	for (int i = 0; i < 36; i++) {
		unsigned char c = (unsigned char)b[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return false;
			out[i] = '-';
		} else if (!(out[i] = lower[c])) {
			return false;
		}
	}
	out[36] = '\0';
	return true;
}

bool guid_canon(const char *text, char out[37])
{
	return text && guid_norm(text, out);
}

static bool fail_guid(const char *path, const char *text, char err[KMS_ERRLEN])
{
	snprintf(err, KMS_ERRLEN, "%s: not a GUID: \"%.64s\"", path, text);
	return false;
}

static char *xstrdup(const char *s)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		die("out of memory loading the status document");
	return d;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p)
		die("out of memory loading the status document");
	return p;
}

/* ---- the inventory key: one record per (CMID, product) ---------------- */

/* A set of (CMID, application) pairs seen, each with the index of its
 * record, for "$.clients[7]: ... already at $.clients[2]". Open addressing
 * with linear probing over 24-byte entries (the CMID as two 64-bit halves,
 * the application as a small number, the index + 1; 0 marks a free slot),
 * at most 3/4 full: a 1M-client inventory costs 2^21 entries, 48 MiB, and a
 * lookup per record, never a scan. The hash is seeded per process so a
 * document cannot be built to make every insert collide. Application ids
 * are interned in a jansson object (seeded too), since a document may carry
 * any number of them. */
struct pair_entry {
	uint64_t c0, c1;
	uint32_t app;
	uint32_t at;  /* record index + 1 (saturated), 0 = free */
};

struct pairset {
	struct pair_entry *e;
	size_t cap, n;
	json_t *apps;     /* application id -> its number */
	uint64_t seed;
};

static size_t pair_slot(const struct pairset *ps, uint64_t c0, uint64_t c1,
			uint32_t app)
{
	uint64_t h = hash_mix64(c0 ^ ps->seed) ^ hash_mix64(c1 + ps->seed + app);
	return (size_t)hash_mix64(h) & (ps->cap - 1);
}

/* Canonical GUID text (doc.h) -> two 64-bit halves. */
static void guid_bits(const char *g, uint64_t *c0, uint64_t *c1)
{
	uint64_t v[2] = { 0, 0 };
	int k = 0;
	for (const char *p = g; *p; p++) {
		if (*p == '-')
			continue;
		unsigned d = (unsigned)(*p <= '9' ? *p - '0' : *p - 'a' + 10);
		v[k / 16] = v[k / 16] << 4 | d;
		k++;
	}
	*c0 = v[0];
	*c1 = v[1];
}

static void pairset_grow(struct pairset *ps)
{
	struct pair_entry *old = ps->e;
	size_t ocap = ps->cap;
	ps->cap = ocap ? ocap * 2 : 1024;
	ps->e = xcalloc(ps->cap, sizeof *ps->e);
	for (size_t i = 0; i < ocap; i++) {
		if (!old[i].at)
			continue;
		size_t j = pair_slot(ps, old[i].c0, old[i].c1, old[i].app);
		while (ps->e[j].at)
			j = (j + 1) & (ps->cap - 1);
		ps->e[j] = old[i];
	}
	free(old);
}

static void pairset_free(struct pairset *ps)
{
	free(ps->e);
	json_decref(ps->apps);
	memset(ps, 0, sizeof *ps);
}

/* Record (cmid, app) for record index; false with "$.clients[I]: CMID ...
 * and product ... already at $.clients[J]" when the pair was there. */
static bool pairset_add(struct pairset *ps, const char *cmid, const char *app,
			const char *app_name, size_t index, char err[KMS_ERRLEN])
{
	if (!ps->apps) {
		ps->apps = json_object();
		if (!ps->apps)
			die("out of memory loading the status document");
		if (getrandom(&ps->seed, sizeof ps->seed, GRND_NONBLOCK) !=
		    (ssize_t)sizeof ps->seed)
			ps->seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^
				   (uint64_t)(uintptr_t)ps;
	}
	json_t *num = json_object_get(ps->apps, app);
	uint32_t a;
	if (num) {
		a = (uint32_t)json_integer_value(num);
	} else {
		a = (uint32_t)json_object_size(ps->apps);
		if (json_object_set_new(ps->apps, app, json_integer(a)) != 0)
			die("out of memory loading the status document");
	}
	if ((ps->n + 1) * 4 > ps->cap * 3)
		pairset_grow(ps);
	uint64_t c0, c1;
	guid_bits(cmid, &c0, &c1);
	size_t j = pair_slot(ps, c0, c1, a);
	for (; ps->e[j].at; j = (j + 1) & (ps->cap - 1)) {
		const struct pair_entry *e = &ps->e[j];
		if (e->c0 != c0 || e->c1 != c1 || e->app != a)
			continue;
		if (e->at == UINT32_MAX) /* beyond 4e9 records: index not kept */
			snprintf(err, KMS_ERRLEN,
				 "$.clients[%zu]: CMID %s and product %s already in an earlier record",
				 index, cmid, app_name);
		else
			snprintf(err, KMS_ERRLEN,
				 "$.clients[%zu]: CMID %s and product %s already at $.clients[%lu]",
				 index, cmid, app_name, (unsigned long)e->at - 1);
		return false;
	}
	ps->e[j] = (struct pair_entry){
		c0, c1, a, index < UINT32_MAX - 1 ? (uint32_t)index + 1 : UINT32_MAX
	};
	ps->n++;
	return true;
}

/* The key of a loaded client: records without a CMID, or whose product the
 * rule of sku.h does not settle (two such records of one machine may be its
 * server OS and its Office), are not checked. */
static bool client_key_ok(struct pairset *ps, const struct doc_client *c,
			  char err[KMS_ERRLEN])
{
	if (!c->cmid)
		return true;
	struct client_product cp;
	client_product(c, &cp);
	if (!cp.app_id)
		return true;
	const char *name = app_short_name(cp.app_id);
	return pairset_add(ps, c->cmid, cp.app_id, name ? name : cp.app_id,
			   c->index, err);
}

/* ---- the loader: scanner handlers that fill struct doc ----------------- */

struct loader {
	struct doc *d;
	doc_client_fn on_client;
	void *ctx;
	bool seen_format, seen_version, seen_generated, seen_host,
	     seen_products;
	bool caller_keys;       /* doc_job.caller_keys: no pairs kept */
	struct pairset pairs;   /* (CMID, product) keys of the clients, until
				   "clients" ends (a second "clients" is a
				   duplicate key, refused by the scanner) */
};

static const char *const known_members[] = {
	"format", "version", "generated_at", "host", "products",
	"clients_complete_since", "clients", "events", NULL
};

static bool is_known(const char *key)
{
	for (size_t i = 0; known_members[i]; i++)
		if (strcmp(key, known_members[i]) == 0)
			return true;
	return false;
}

/* Stream "clients" and unknown arrays; buffer the rest. */
static bool h_stream(void *ctx, const char *key)
{
	(void)ctx;
	return strcmp(key, "clients") == 0 || !is_known(key);
}

static json_t *parse_piece(const char *raw, size_t len,
			   const struct scan_pos *at, char err[KMS_ERRLEN])
{
	json_error_t je;
	json_t *j = json_loadb(raw, len, JSON_FLAGS, &je);
	if (!j)
		scan_json_error(at, &je, err);
	return j;
}

static bool load_format(struct loader *L, const json_t *v, char err[KMS_ERRLEN])
{
	static const struct jpath top = { "format", false, 0, NULL };
	if (!json_is_string(v))
		return fail_type(&top, NULL, "string", v, err);
	if (strcmp(json_string_value(v), "kms-status") != 0) {
		snprintf(err, KMS_ERRLEN,
			 "not a kms-status document ($.format is \"%.64s\")",
			 json_string_value(v));
		return false;
	}
	L->seen_format = true;
	return true;
}

static bool load_version(struct loader *L, const json_t *v, char err[KMS_ERRLEN])
{
	static const struct jpath top = { "version", false, 0, NULL };
	if (!json_is_integer(v))
		return fail_type(&top, NULL, "integer", v, err);
	long long ver = json_integer_value(v);
	if (ver > 1) {
		snprintf(err, KMS_ERRLEN,
			 "format version %lld is newer than this plugin understands (1)",
			 ver);
		return false;
	}
	if (ver < 1) {
		snprintf(err, KMS_ERRLEN, "$.version: %lld is not a format version",
			 ver);
		return false;
	}
	L->d->version = ver;
	L->seen_version = true;
	return true;
}

/* A top-level time: required (generated_at) or optional. */
static bool load_time(const char *key, const json_t *v, bool required,
		      double *out, char err[KMS_ERRLEN])
{
	const struct jpath top = { key, false, 0, NULL };
	*out = NAN;
	if (json_is_null(v) && !required)
		return true;
	if (!json_is_string(v))
		return fail_type(&top, NULL, "string", v, err);
	char why[KMS_ERRLEN];
	if (!rfc3339_parse(json_string_value(v), out, why)) {
		snprintf(err, KMS_ERRLEN, "$.%s: %.300s", key, why);
		return false;
	}
	return true;
}

bool doc_dns_name(const char *text, char out[DOC_DNS_NAME_MAX + 1], char why[128])
{
	size_t len = strlen(text);
	if (len > 0 && text[len - 1] == '.')
		len--; /* the root's dot: "corp.example." is corp.example */
	if (len == 0) {
		snprintf(why, 128, "empty");
		return false;
	}
	if (len > DOC_DNS_NAME_MAX) {
		snprintf(why, 128, "%zu characters, at most %d", len, DOC_DNS_NAME_MAX);
		return false;
	}
	size_t label = 0, k = 1; /* where the current label starts, its number */
	for (size_t i = 0; i <= len; i++) {
		unsigned char c = i < len ? (unsigned char)text[i] : '.';
		unsigned char lc = c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c; /* ASCII only */
		if (c != '.') {
			if (!(lc >= 'a' && lc <= 'z') && !(c >= '0' && c <= '9') && c != '-') {
				if (c > 0x20 && c < 0x7f)
					snprintf(why, 128, "'%c' is not a letter, digit or hyphen", c);
				else
					snprintf(why, 128, "byte 0x%02X is not a letter, digit or hyphen",
						 c);
				return false;
			}
			out[i] = (char)lc;
			continue;
		}
		size_t n = i - label;
		if (n == 0) {
			snprintf(why, 128, "label %zu is empty", k);
			return false;
		}
		if (n > 63) {
			snprintf(why, 128, "label %zu is %zu characters, at most 63", k, n);
			return false;
		}
		if (text[label] == '-' || text[i - 1] == '-') {
			snprintf(why, 128, "label %zu starts or ends with a hyphen", k);
			return false;
		}
		out[i] = '.';
		label = i + 1;
		k++;
	}
	out[len] = '\0';
	return true;
}

/* A DNS name at path into a new string; false with "PATH: "TEXT" is not a
 * DNS name: WHY". */
static bool dns_name_at(const char *path, const char *text, char **out, char err[KMS_ERRLEN])
{
	char name[DOC_DNS_NAME_MAX + 1], why[128];
	if (!doc_dns_name(text, name, why)) {
		if (!text[0])
			snprintf(err, KMS_ERRLEN, "%s: empty", path);
		else
			snprintf(err, KMS_ERRLEN, "%s: \"%.64s%s\" is not a DNS name (%s)", path,
				 text, strlen(text) > 64 ? "..." : "", why);
		return false;
	}
	*out = xstrdup(name);
	return true;
}

/* host.dns_publish_domains: absent or null, or an array of at most
 * DOC_PUBLISH_DOMAINS_MAX DNS names, none twice (compared as held:
 * lower-case, no trailing dot). */
static bool load_publish_domains(const json_t *host, struct doc_host *h, char err[KMS_ERRLEN])
{
	static const struct jpath top = { "host", false, 0, NULL };
	const json_t *v = json_object_get(host, "dns_publish_domains");
	if (!v || json_is_null(v))
		return true;
	if (!json_is_array(v))
		return fail_type(&top, "dns_publish_domains", "array", v, err);
	size_t n = json_array_size(v);
	if (n > DOC_PUBLISH_DOMAINS_MAX) {
		snprintf(err, KMS_ERRLEN, "$.host.dns_publish_domains: %zu domains, at most %d", n,
			 DOC_PUBLISH_DOMAINS_MAX);
		return false;
	}
	h->has_dns_publish_domains = true;
	h->dns_publish_domains = xcalloc(n, sizeof *h->dns_publish_domains);
	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_array_get(v, i);
		char path[160];
		snprintf(path, sizeof path, "$.host.dns_publish_domains[%zu]", i);
		if (!json_is_string(e)) {
			snprintf(err, KMS_ERRLEN, "%s: expected string, got %s", path, type_name(e));
			return false;
		}
		char *name;
		if (!dns_name_at(path, json_string_value(e), &name, err))
			return false;
		for (size_t j = 0; j < i; j++) {
			if (strcmp(h->dns_publish_domains[j], name) == 0) {
				snprintf(err, KMS_ERRLEN, "%s: \"%.64s\" already at "
					 "dns_publish_domains[%zu]", path, json_string_value(e), j);
				free(name);
				return false;
			}
		}
		h->dns_publish_domains[i] = name;
		h->n_dns_publish_domains = i + 1;
	}
	return true;
}

static bool load_host(struct loader *L, const json_t *v, char err[KMS_ERRLEN])
{
	static const struct jpath top = { "host", false, 0, NULL };
	struct doc_host *h = &L->d->host;
	const char *s;
	if (!json_is_object(v))
		return fail_type(&top, NULL, "object", v, err);
	const json_t *name = json_object_get(v, "name");
	if (!name)
		return fail_missing(&top, "name", err);
	if (!json_is_string(name))
		return fail_type(&top, "name", "string", name, err);
	free(h->name);
	h->name = xstrdup(json_string_value(name));
	if (!h->name[0]) {
		snprintf(err, KMS_ERRLEN, "$.host.name: empty");
		return false;
	}
	if (!get_bool(v, &top, "kms_enabled", &h->kms_enabled, err) ||
	    !get_ranged(v, &top, "port", &R_PORT, &h->port, err) ||
	    !get_str(v, &top, "service_state", &s, err) ||
	    !get_bool(v, &top, "dns_publishing", &h->dns_publishing, err) ||
	    !get_count(v, &top, "activation_interval_minutes",
		       &h->activation_interval_minutes, err) ||
	    !get_count(v, &top, "renewal_interval_minutes",
		       &h->renewal_interval_minutes, err))
		return false;
	h->service_state = xstrdup(s);
	if (!load_publish_domains(v, h, err))
		return false;
	L->seen_host = true;
	return true;
}

static bool load_requests(const json_t *o, const struct jpath *pp,
			  struct doc_requests *r, char err[KMS_ERRLEN])
{
	const json_t *v = json_object_get(o, "requests");
	struct {
		const char *name;
		long long *dst;
	} f[] = {
		{ "total", &r->total }, { "failed", &r->failed },
		{ "unlicensed", &r->unlicensed }, { "licensed", &r->licensed },
		{ "oob_grace", &r->oob_grace }, { "oot_grace", &r->oot_grace },
		{ "non_genuine_grace", &r->non_genuine_grace },
		{ "notification", &r->notification },
	};
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		*f[i].dst = DOC_ABSENT;
	r->present = false;
	if (!v || json_is_null(v))
		return true;
	if (!json_is_object(v))
		return fail_type(pp, "requests", "object", v, err);
	struct jpath p = *pp;
	p.sub = "requests";
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		if (!get_count(v, &p, f[i].name, f[i].dst, err))
			return false;
	r->present = true;
	return true;
}

static bool load_product(const json_t *o, size_t i, struct doc_product *pr,
			 char err[KMS_ERRLEN])
{
	struct jpath p = { "products", true, i, NULL };
	const char *name, *appid;
	if (!json_is_object(o))
		return fail_type(&p, NULL, "object", o, err);
	if (!get_str(o, &p, "name", &name, err) ||
	    !get_str(o, &p, "application_id", &appid, err))
		return false;
	pr->name = xstrdup(name);
	if (appid) {
		char id[37];
		if (!guid_norm(appid, id)) {
			char path[160];
			path_fmt(&p, "application_id", path, sizeof path);
			return fail_guid(path, appid, err);
		}
		pr->application_id = xstrdup(id);
	}
	if (!get_license(o, &p, "license_status", &pr->license_status, err) ||
	    !get_count(o, &p, "grace_remaining_minutes",
		       &pr->grace_remaining_minutes, err) ||
	    !get_int(o, &p, "current_count", &pr->current_count, err))
		return false;
	/* -1 is what the schema (after WMI) writes for "not a KMS host or no
	 * request yet": absent, said so here and nowhere else */
	bool given = json_is_integer(json_object_get(o, "current_count"));
	if (given && pr->current_count == -1)
		pr->current_count = DOC_ABSENT;
	else if (given && pr->current_count < 0) {
		char path[160];
		path_fmt(&p, "current_count", path, sizeof path);
		snprintf(err, KMS_ERRLEN,
			 "%s: %lld is negative (only -1, for no count, is allowed)",
			 path, pr->current_count);
		return false;
	}
	return load_requests(o, &p, &pr->requests, err);
}

static bool load_products(struct loader *L, const json_t *v, char err[KMS_ERRLEN])
{
	static const struct jpath top = { "products", false, 0, NULL };
	struct doc *d = L->d;
	if (!json_is_array(v))
		return fail_type(&top, NULL, "array", v, err);
	size_t n = json_array_size(v);
	d->products = xcalloc(n, sizeof *d->products);
	for (size_t i = 0; i < n; i++) {
		d->n_products = i + 1; /* so doc_free() frees what is filled */
		if (!load_product(json_array_get(v, i), i, &d->products[i], err))
			return false;
	}
	L->seen_products = true;
	return true;
}

static bool load_events(struct loader *L, const json_t *v, char err[KMS_ERRLEN])
{
	static const struct jpath top = { "events", false, 0, NULL };
	struct doc *d = L->d;
	if (json_is_null(v))
		return true;
	if (!json_is_array(v))
		return fail_type(&top, NULL, "array", v, err);
	size_t n = json_array_size(v);
	d->events = xcalloc(n, sizeof *d->events);
	d->has_events = true;
	for (size_t i = 0; i < n; i++) {
		const json_t *o = json_array_get(v, i);
		struct jpath p = { "events", true, i, NULL };
		struct doc_event *e = &d->events[i];
		const char *hr, *msg, *dom;
		bool has;
		uint32_t code;
		d->n_events = i + 1;
		if (!json_is_object(o))
			return fail_type(&p, NULL, "object", o, err);
		if (!get_ranged(o, &p, "id", &R_EVENT, &e->id, err) ||
		    !get_time(o, &p, "at", &e->at, err) ||
		    !get_hresult(o, &p, "hresult", &hr, &has, &code, err) ||
		    !get_str(o, &p, "message", &msg, err) ||
		    !get_str(o, &p, "domain", &dom, err))
			return false;
		e->hresult = xstrdup(hr);
		e->message = xstrdup(msg);
		if (dom) {
			char path[160];
			path_fmt(&p, "domain", path, sizeof path);
			if (!dns_name_at(path, dom, &e->domain, err))
				return false;
		}
	}
	return true;
}

static bool h_member(void *ctx, const char *key, const char *raw, size_t len,
		     const struct scan_pos *at, char err[KMS_ERRLEN])
{
	struct loader *L = ctx;
	json_t *v = parse_piece(raw, len, at, err);
	if (!v)
		return false;
	bool ok = true;
	if (strcmp(key, "format") == 0)
		ok = load_format(L, v, err);
	else if (strcmp(key, "version") == 0)
		ok = load_version(L, v, err);
	else if (strcmp(key, "generated_at") == 0) {
		ok = load_time(key, v, true, &L->d->generated_at, err);
		L->seen_generated = ok;
	} else if (strcmp(key, "host") == 0)
		ok = load_host(L, v, err);
	else if (strcmp(key, "products") == 0)
		ok = load_products(L, v, err);
	else if (strcmp(key, "clients_complete_since") == 0)
		ok = load_time(key, v, false, &L->d->clients_complete_since, err);
	else if (strcmp(key, "events") == 0)
		ok = load_events(L, v, err);
	else if (strcmp(key, "clients") == 0 && !json_is_null(v)) {
		/* an array would have been streamed */
		static const struct jpath top = { "clients", false, 0, NULL };
		ok = fail_type(&top, NULL, "array", v, err);
	}
	json_decref(v);
	return ok;
}

/* ---- clients: the fast path or jansson, then one validation ------------ */

enum {
	CF_NAME, CF_CMID, CF_SKU, CF_APPID, CF_VIRTUAL, CF_REQUIRED, CF_FIRST,
	CF_LASTREQ, CF_LASTSUCC, CF_RESULT, CF_LICENSE, CF_EXPIRES, CF_NAMES,
	CF_NAMES_COUNT, CF_N
};

static const char *const client_fields[CF_N] = {
	"name", "cmid", "sku_id", "application_id", "virtual", "required_count",
	"first_seen_at", "last_request_at", "last_success_at", "last_result",
	"license_state", "state_expires_in_minutes", "names_seen",
	"names_seen_count",
};

/* The members of one names_seen item; an item takes NS_STRIDE jv slots in
 * a jv_list (its own type, then these). */
enum { NF_NAME, NF_LASTREQ, NF_N };
static const char *const name_fields[NF_N] = { "name", "last_request_at" };
#define NS_STRIDE (1 + NF_N)

static const char *jv_type_name(enum jv_type t)
{
	static const char *const names[] = {
		"absent", "null", "boolean", "integer", "number", "string",
		"array", "object",
	};
	return names[t];
}

/* One jansson value (NULL: absent) as a jv. */
static void jv_of_json(const json_t *v, struct jv *j)
{
	j->s = NULL;
	j->i = 0;
	j->end = NULL;
	if (!v) {
		j->t = JV_ABSENT;
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT: j->t = JV_OBJECT; break;
	case JSON_ARRAY: j->t = JV_ARRAY; break;
	case JSON_STRING:
		j->t = JV_STRING;
		j->s = json_string_value(v);
		break;
	case JSON_INTEGER:
		j->t = JV_INT;
		j->i = json_integer_value(v);
		break;
	case JSON_REAL: j->t = JV_REAL; break;
	case JSON_TRUE: j->t = JV_BOOL; j->i = 1; break;
	case JSON_FALSE: j->t = JV_BOOL; j->i = 0; break;
	default: j->t = JV_NULL; break;
	}
}

/* The same member values from a jansson tree (the slow path). */
static void jv_from_json(const json_t *o, const char *const *names, size_t n,
			 struct jv *out)
{
	for (size_t k = 0; k < n; k++)
		jv_of_json(json_object_get(o, names[k]), &out[k]);
}

/* The list member from a jansson tree: list->n is the array's length, of
 * which the first list->max items are filled in (more is refused anyway). */
static void list_from_json(const json_t *a, struct jv_list *list)
{
	size_t stride = 1 + list->n_names;
	list->n = json_is_array(a) ? json_array_size(a) : 0;
	for (size_t i = 0; i < list->n && i < list->max; i++) {
		const json_t *item = json_array_get(a, i);
		struct jv *j = &list->items[i * stride];
		jv_of_json(item, j);
		if (json_is_object(item))
			jv_from_json(item, list->names, list->n_names, j + 1);
	}
}

static bool cv_fail(size_t idx, size_t k, const char *want, const struct jv *v,
		    char err[KMS_ERRLEN])
{
	snprintf(err, KMS_ERRLEN, "$.clients[%zu].%s: expected %s, got %s", idx,
		 client_fields[k], want, jv_type_name(v->t));
	return false;
}

static bool cv_str(const struct jv *f, size_t idx, size_t k, const char **out,
		   char err[KMS_ERRLEN])
{
	*out = f[k].t == JV_STRING ? f[k].s : NULL;
	if (f[k].t == JV_STRING || f[k].t == JV_ABSENT || f[k].t == JV_NULL)
		return true;
	return cv_fail(idx, k, "string", &f[k], err);
}

static bool cv_int(const struct jv *f, size_t idx, size_t k, long long *out,
		   char err[KMS_ERRLEN])
{
	*out = f[k].t == JV_INT ? f[k].i : DOC_ABSENT;
	if (f[k].t == JV_INT || f[k].t == JV_ABSENT || f[k].t == JV_NULL)
		return true;
	return cv_fail(idx, k, "integer", &f[k], err);
}

static bool cv_bool(const struct jv *f, size_t idx, size_t k, long long *out,
		    char err[KMS_ERRLEN])
{
	*out = f[k].t == JV_BOOL ? f[k].i : DOC_ABSENT;
	if (f[k].t == JV_BOOL || f[k].t == JV_ABSENT || f[k].t == JV_NULL)
		return true;
	return cv_fail(idx, k, "boolean", &f[k], err);
}

static bool cv_time(const struct jv *f, size_t idx, size_t k, double *out,
		    char err[KMS_ERRLEN])
{
	const char *s;
	char why[KMS_ERRLEN];
	*out = NAN;
	if (!cv_str(f, idx, k, &s, err))
		return false;
	if (!s || rfc3339_parse(s, out, why))
		return true;
	snprintf(err, KMS_ERRLEN, "$.clients[%zu].%s: %.300s", idx,
		 client_fields[k], why);
	return false;
}

/* An optional client integer held to r. */
static bool cv_ranged(const struct jv *f, size_t idx, size_t k,
		      const struct irange *r, long long *out, char err[KMS_ERRLEN])
{
	if (!cv_int(f, idx, k, out, err))
		return false;
	if (f[k].t != JV_INT)
		return true;
	char path[160];
	snprintf(path, sizeof path, "$.clients[%zu].%s", idx, client_fields[k]);
	return range_ok(path, *out, r, err);
}

/* An optional client GUID, normalised into buf; *s then points to buf. */
static bool cv_guid(const struct jv *f, size_t idx, size_t k, const char **s,
		    char buf[37], char err[KMS_ERRLEN])
{
	if (!cv_str(f, idx, k, s, err))
		return false;
	if (!*s)
		return true;
	if (!guid_norm(*s, buf)) {
		char path[160];
		snprintf(path, sizeof path, "$.clients[%zu].%s", idx, client_fields[k]);
		return fail_guid(path, *s, err);
	}
	*s = buf;
	return true;
}

/* Normalised GUIDs of the client being loaded. */
struct client_guids {
	char cmid[37], sku[37], app[37];
};

/* names_seen and names_seen_count into c (names into ns, strings into
 * the list). Both optional; the list at most DOC_NAMES_SEEN_MAX objects,
 * each with a non-empty name, no name twice (DNS names, so ignoring case),
 * last_request_at a time or null; the count at least the list's length.
 * The order (most recent first) is the exporter's promise, not checked. */
static bool cv_names(const struct jv *f, const struct jv_list *l, size_t idx,
		     struct doc_client *c, struct doc_name_seen *ns,
		     char err[KMS_ERRLEN])
{
	const struct jv *a = &f[CF_NAMES];
	if (!cv_ranged(f, idx, CF_NAMES_COUNT, &R_COUNT, &c->names_seen_count, err))
		return false;
	if (a->t == JV_ABSENT || a->t == JV_NULL)
		return true;
	if (a->t != JV_ARRAY)
		return cv_fail(idx, CF_NAMES, "array", a, err);
	if (l->n > DOC_NAMES_SEEN_MAX) {
		snprintf(err, KMS_ERRLEN, "$.clients[%zu].names_seen: %zu names, at most %d",
			 idx, l->n, DOC_NAMES_SEEN_MAX);
		return false;
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct jv *item = &l->items[i * NS_STRIDE], *m = item + 1;
		const struct jv *name = &m[NF_NAME], *at = &m[NF_LASTREQ];
		char why[KMS_ERRLEN];
		if (item->t != JV_OBJECT) {
			snprintf(err, KMS_ERRLEN, "$.clients[%zu].names_seen[%zu]: expected object, got %s",
				 idx, i, jv_type_name(item->t));
			return false;
		}
		if (name->t == JV_ABSENT) {
			snprintf(err, KMS_ERRLEN, "$.clients[%zu].names_seen[%zu].name: missing",
				 idx, i);
			return false;
		}
		if (name->t != JV_STRING) {
			snprintf(err, KMS_ERRLEN, "$.clients[%zu].names_seen[%zu].name: expected string, got %s",
				 idx, i, jv_type_name(name->t));
			return false;
		}
		if (!name->s[0]) {
			snprintf(err, KMS_ERRLEN, "$.clients[%zu].names_seen[%zu].name: empty",
				 idx, i);
			return false;
		}
		for (size_t j = 0; j < i; j++)
			if (strcasecmp(ns[j].name, name->s) == 0) {
				snprintf(err, KMS_ERRLEN,
					 "$.clients[%zu].names_seen[%zu].name: \"%.64s\" already at names_seen[%zu]",
					 idx, i, name->s, j);
				return false;
			}
		ns[i].name = name->s;
		ns[i].last_request_at = NAN;
		if (at->t == JV_STRING) {
			if (!rfc3339_parse(at->s, &ns[i].last_request_at, why)) {
				snprintf(err, KMS_ERRLEN,
					 "$.clients[%zu].names_seen[%zu].last_request_at: %.300s",
					 idx, i, why);
				return false;
			}
		} else if (at->t != JV_ABSENT && at->t != JV_NULL) {
			snprintf(err, KMS_ERRLEN,
				 "$.clients[%zu].names_seen[%zu].last_request_at: expected string, got %s",
				 idx, i, jv_type_name(at->t));
			return false;
		}
	}
	if (c->names_seen_count != DOC_ABSENT &&
	    c->names_seen_count < (long long)l->n) {
		snprintf(err, KMS_ERRLEN,
			 "$.clients[%zu].names_seen_count: %lld is less than the %zu %s listed",
			 idx, c->names_seen_count, l->n, l->n == 1 ? "name" : "names");
		return false;
	}
	c->has_names_seen = true;
	c->names_seen = ns;
	c->n_names_seen = l->n;
	return true;
}

/* Validate one client's member values into *c (strings point into f, g,
 * names or ns). */
static bool load_client(const struct jv *f, const struct jv_list *names,
			size_t i, struct doc_client *c, struct client_guids *g,
			struct doc_name_seen *ns, char err[KMS_ERRLEN])
{
	memset(c, 0, sizeof *c);
	c->names_seen_count = DOC_ABSENT;
	c->index = i;
	if (!cv_str(f, i, CF_NAME, &c->name, err) ||
	    !cv_guid(f, i, CF_CMID, &c->cmid, g->cmid, err) ||
	    !cv_guid(f, i, CF_SKU, &c->sku_id, g->sku, err) ||
	    !cv_guid(f, i, CF_APPID, &c->application_id, g->app, err) ||
	    !cv_bool(f, i, CF_VIRTUAL, &c->is_virtual, err) ||
	    !cv_ranged(f, i, CF_REQUIRED, &R_REQUIRED, &c->required_count, err) ||
	    !cv_time(f, i, CF_FIRST, &c->first_seen_at, err) ||
	    !cv_time(f, i, CF_LASTREQ, &c->last_request_at, err) ||
	    !cv_time(f, i, CF_LASTSUCC, &c->last_success_at, err) ||
	    !cv_str(f, i, CF_RESULT, &c->last_result, err) ||
	    !cv_ranged(f, i, CF_LICENSE, &R_LICENSE, &c->license_state, err) ||
	    !cv_ranged(f, i, CF_EXPIRES, &R_COUNT, &c->state_expires_in_minutes, err) ||
	    !cv_names(f, names, i, c, ns, err))
		return false;
	/* docs/DESIGN.md ("The status document") makes a client's name
	 * optional (the event log may give none): fall back to its CMID, then
	 * to its place in the inventory, so every client can still be named in
	 * output */
	if (!c->name) {
		static char unnamed[48]; /* valid for this callback only, as c */
		if (c->cmid)
			c->name = c->cmid;
		else {
			snprintf(unnamed, sizeof unnamed, "client #%zu", i + 1);
			c->name = unnamed;
		}
	}
	if (c->last_result) {
		if (!hresult_parse(c->last_result, &c->result_code)) {
			snprintf(err, KMS_ERRLEN,
				 "$.clients[%zu].last_result: not an HRESULT: \"%.64s\"",
				 i, c->last_result);
			return false;
		}
		c->has_result_code = true;
	}
	return true;
}

static bool h_elem(void *ctx, const char *key, size_t index, char *raw,
		   size_t len, const struct scan_pos *at, char err[KMS_ERRLEN])
{
	struct loader *L = ctx;
	struct jv f[CF_N], items[DOC_NAMES_SEEN_MAX * NS_STRIDE];
	struct jv_list names = {
		.member = CF_NAMES, .names = name_fields, .n_names = NF_N,
		.max = DOC_NAMES_SEEN_MAX, .items = items,
	};
	struct doc_name_seen ns[DOC_NAMES_SEEN_MAX];
	json_t *v = NULL;
	if (strcmp(key, "clients") != 0) {
		/* an unknown array: only check it is JSON */
		v = parse_piece(raw, len, at, err);
		json_decref(v);
		return v != NULL;
	}
	if (!fast_object(raw, len, client_fields, CF_N, f, &names)) {
		v = parse_piece(raw, len, at, err);
		if (!v)
			return false;
		if (!json_is_object(v)) {
			snprintf(err, KMS_ERRLEN,
				 "$.clients[%zu]: expected object, got %s", index,
				 type_name(v));
			json_decref(v);
			return false;
		}
		jv_from_json(v, client_fields, CF_N, f);
		list_from_json(json_object_get(v, "names_seen"), &names);
	}
	struct doc_client c;
	struct client_guids g;
	bool ok = load_client(f, &names, index, &c, &g, ns, err) &&
		  (L->caller_keys || client_key_ok(&L->pairs, &c, err));
	if (ok && L->on_client) {
		err[0] = '\0';
		ok = L->on_client(&c, L->ctx, err);
		if (!ok && !err[0])
			snprintf(err, KMS_ERRLEN,
				 "$.clients[%zu]: refused by the check", index);
	}
	if (ok)
		L->d->n_clients++;
	json_decref(v);
	return ok;
}

static bool h_array_end(void *ctx, const char *key, size_t n, char err[KMS_ERRLEN])
{
	struct loader *L = ctx;
	(void)n;
	(void)err;
	if (strcmp(key, "clients") == 0) {
		L->d->has_clients = true;
		pairset_free(&L->pairs); /* no client follows: the peak drops */
	}
	return true;
}

static void loader_init(struct loader *L, doc_client_fn on_client, void *ctx)
{
	memset(L, 0, sizeof *L);
	L->d = xcalloc(1, sizeof *L->d);
	L->d->generated_at = NAN;
	L->d->clients_complete_since = NAN;
	L->on_client = on_client;
	L->ctx = ctx;
}

static struct scan *loader_scan(struct loader *L)
{
	const struct scan_handlers h = {
		.stream = h_stream, .member = h_member, .elem = h_elem,
		.array_end = h_array_end, .ctx = L,
	};
	return scan_new(&h);
}

/* After the scanner accepted the whole document: required members. */
static bool loader_check(const struct loader *L, char err[KMS_ERRLEN])
{
	if (!L->seen_format)
		snprintf(err, KMS_ERRLEN, "not a kms-status document ($.format missing)");
	else if (!L->seen_version)
		snprintf(err, KMS_ERRLEN, "$.version: missing");
	else if (!L->seen_generated)
		snprintf(err, KMS_ERRLEN, "$.generated_at: missing");
	else if (!L->seen_host)
		snprintf(err, KMS_ERRLEN, "$.host: missing");
	else if (!L->seen_products)
		snprintf(err, KMS_ERRLEN, "$.products: missing");
	else
		return true;
	return false;
}

static bool loader_end(struct loader *L, struct scan *s, bool ok,
		       struct doc **out, char err[KMS_ERRLEN])
{
	ok = ok && scan_finish(s, err) && loader_check(L, err);
	scan_free(s);
	pairset_free(&L->pairs);
	if (!ok) {
		doc_free(L->d);
		*out = NULL;
		return false;
	}
	*out = L->d;
	return true;
}

bool doc_load_buffer(const char *buf, size_t len, doc_client_fn on_client,
		     void *ctx, struct doc **out, char err[KMS_ERRLEN])
{
	struct loader L;
	loader_init(&L, on_client, ctx);
	struct scan *s = loader_scan(&L);
	return loader_end(&L, s, scan_feed(s, buf, len, err), out, err);
}

/* fetch_stream's sink: keep the scanner's own message, whatever fetch
 * makes of it. */
struct feed {
	struct scan *s;
	bool failed;
	char err[KMS_ERRLEN];
};

static bool feed_sink(const char *data, size_t len, void *ctx,
		      char err[KMS_ERRLEN])
{
	struct feed *f = ctx;
	if (scan_feed(f->s, data, len, f->err))
		return true;
	f->failed = true;
	snprintf(err, KMS_ERRLEN, "%s", f->err);
	return false;
}

bool doc_load(const char *url, const struct fetch_opts *fo,
	      doc_client_fn on_client, void *ctx, struct doc **out,
	      char err[KMS_ERRLEN])
{
	struct loader L;
	loader_init(&L, on_client, ctx);
	struct feed f = { .s = loader_scan(&L), .failed = false };
	f.err[0] = '\0';
	bool ok = fetch_stream(url, fo, feed_sink, &f, err);
	if (!ok && f.failed)
		snprintf(err, KMS_ERRLEN, "%s", f.err);
	return loader_end(&L, f.s, ok, out, err);
}

void doc_load_all(struct doc_job *jobs, size_t n, const struct fetch_opts *fo)
{
	struct loader *L = xcalloc(n ? n : 1, sizeof *L);
	struct feed *f = xcalloc(n ? n : 1, sizeof *f);
	struct fetch_job *fj = xcalloc(n ? n : 1, sizeof *fj);
	for (size_t i = 0; i < n; i++) {
		loader_init(&L[i], jobs[i].on_client, jobs[i].ctx);
		L[i].caller_keys = jobs[i].caller_keys;
		f[i].s = loader_scan(&L[i]);
		fj[i] = (struct fetch_job){ .url = jobs[i].url, .sink = feed_sink,
					    .ctx = &f[i] };
	}
	fetch_streams(fj, n, fo);
	for (size_t i = 0; i < n; i++) {
		memcpy(jobs[i].err, !fj[i].ok && f[i].failed ? f[i].err : fj[i].err,
		       KMS_ERRLEN);
		if (!loader_end(&L[i], f[i].s, fj[i].ok, &jobs[i].doc, jobs[i].err))
			jobs[i].doc = NULL;
		else
			jobs[i].err[0] = 0;
	}
	free(fj);
	free(f);
	free(L);
}

void doc_free(struct doc *d)
{
	if (!d)
		return;
	free(d->host.name);
	free(d->host.service_state);
	for (size_t i = 0; i < d->host.n_dns_publish_domains; i++)
		free(d->host.dns_publish_domains[i]);
	free(d->host.dns_publish_domains);
	for (size_t i = 0; i < d->n_products; i++) {
		free(d->products[i].name);
		free(d->products[i].application_id);
	}
	free(d->products);
	for (size_t i = 0; i < d->n_events; i++) {
		free(d->events[i].hresult);
		free(d->events[i].message);
		free(d->events[i].domain);
	}
	free(d->events);
	free(d);
}

/* ---- freshness ---------------------------------------------------------- */

#define FUTURE_SLACK 300.0 /* a clock this far ahead is still believed */

state_t doc_freshness(const struct doc *d, double now, double max_age,
		      state_t stale_state, char msg[KMS_ERRLEN])
{
	char age[64], gen[64], lim[64];
	double dt = now - d->generated_at;
	msg[0] = '\0';
	if (dt <= max_age && -dt <= FUTURE_SLACK)
		return STATE_OK;
	fmt_utc(gen, sizeof gen, d->generated_at, "%Y-%m-%d %H:%M UTC");
	if (dt > max_age) {
		fmt_duration(age, sizeof age, dt);
		fmt_duration(lim, sizeof lim, max_age);
		snprintf(msg, KMS_ERRLEN,
			 "status document is %s old (generated %s, max %s): is the exporter's scheduled task running?",
			 age, gen, lim);
	} else {
		char nowtxt[64];
		fmt_duration(age, sizeof age, -dt);
		fmt_utc(nowtxt, sizeof nowtxt, now, "%Y-%m-%d %H:%M UTC");
		snprintf(msg, KMS_ERRLEN,
			 "status document is dated %s in the future (generated %s, now %s): check the clocks",
			 age, gen, nowtxt);
	}
	return stale_state;
}

void doc_error_text(const char *url, const char *err, char out[KMS_ERRLEN])
{
	char shown[1024];
	url_redact(url, shown, sizeof shown);
	/* fetch errors already name the URL that failed ("HTTP 404 Not Found
	 * from https://...", after a redirect the last hop's): say it once and
	 * keep line 1's 100 characters for the cause */
	if (strstr(err, shown) || strstr(err, "://") ||
	    strncmp(err, "cannot open --", 14) == 0) /* --cacert FILE... */
		text_printf(out, KMS_ERRLEN, "%s", err);
	else if (strncmp(err, "is ", 3) == 0) /* "is UTF-16; ..." goes on */
		text_printf(out, KMS_ERRLEN, "status document %s %s", shown, err);
	else
		text_printf(out, KMS_ERRLEN, "status document %s: %s", shown, err);
}

/* With --stale-state OK a stale document is only logged at -v and checked
 * as usual: the user said staleness is no alarm. */
struct doc *doc_load_or_die(const struct common_opts *co,
			    doc_client_fn on_client, void *ctx)
{
	char err[KMS_ERRLEN], shown[KMS_ERRLEN];
	struct doc *d;
	if (!co->url || !*co->url)
		die("status document: no -u/--url given");
	if (!doc_load(co->url, &co->fetch, on_client, ctx, &d, err)) {
		doc_error_text(co->url, err, shown);
		die("%s", shown);
	}
	state_t st = doc_freshness(d, wall_now(), co->max_age, co->stale_state,
				   err);
	if (err[0]) {
		if (st != STATE_OK) {
			doc_free(d);
			die_state(st, "%s", err);
		}
		vlog(1, "%s", err);
	}
	return d;
}

/* ---- names -------------------------------------------------------------- */

const char *license_state_name(long long st)
{
	static const char *const names[] = {
		"unlicensed", "licensed", "OOB grace", "OOT grace",
		"non-genuine grace", "notification", "extended grace",
	};
	static char other[32]; /* not reentrant: plugins are single-threaded */
	if (st >= 0 && st <= LIC_EXTENDED_GRACE)
		return names[st];
	snprintf(other, sizeof other, "state %lld", st);
	return other;
}

enum app_family app_family(const char *application_id)
{
	char id[37];
	if (!application_id || !guid_norm(application_id, id))
		return APP_OTHER;
	if (strcmp(id, APPID_WINDOWS) == 0)
		return APP_WINDOWS;
	if (strcmp(id, APPID_OFFICE2013) == 0 || strcmp(id, APPID_OFFICE2010) == 0)
		return APP_OFFICE;
	return APP_OTHER;
}

/* Where the word w (case-insensitive) first starts in name, not inside a
 * longer word of letters ("Office 16" and "Office16ProPlus" yes,
 * "BackOffice" and "WindowsXP" no); NULL when nowhere. */
static const char *word_at(const char *name, const char *w)
{
	size_t n = strlen(w);
	for (const char *q = name; (q = strcasestr(q, w)); q++)
		if ((q == name || !isalpha((unsigned char)q[-1])) &&
		    !isalpha((unsigned char)q[n]))
			return q;
	return NULL;
}

/* By name: the first of the words Windows and Office decides ("Windows(R),
 * ServerStandard edition", "Office 16, Office16ProPlusKMSHostVL_KMS_Host
 * edition"). */
static enum app_family family_by_name(const char *name)
{
	if (!name)
		return APP_OTHER;
	const char *w = word_at(name, "windows"), *o = word_at(name, "office");
	if (w && (!o || w < o))
		return APP_WINDOWS;
	if (o)
		return APP_OFFICE;
	return APP_OTHER;
}

enum app_family product_family(const struct doc_product *p)
{
	enum app_family f = app_family(p->application_id);
	return f != APP_OTHER ? f : family_by_name(p->name);
}

const char *product_short_name(const struct doc_product *p)
{
	const char *id = p->application_id;
	if (id && strcasecmp(id, APPID_WINDOWS) == 0)
		return "Windows";
	if (id && strcasecmp(id, APPID_OFFICE2013) == 0)
		return "Office 2013+";
	if (id && strcasecmp(id, APPID_OFFICE2010) == 0)
		return "Office 2010";
	/* an id this plugin does not know, or none: the family the name says,
	 * so line 1 and the perfdata label stay short and stable */
	switch (family_by_name(p->name)) {
	case APP_WINDOWS: return "Windows";
	case APP_OFFICE: return "Office";
	default: break;
	}
	if (p->name)
		return p->name;
	return id ? id : "unnamed product";
}

/* See doc.h. */
bool app_selector_valid(const char *option, const char *text, char err[KMS_ERRLEN])
{
	char id[37];
	if (strcasecmp(text, "windows") == 0 || strcasecmp(text, "office") == 0 ||
	    guid_norm(text, id))
		return true;
	snprintf(err, KMS_ERRLEN, "invalid %s \"%.64s\": expected windows, office or an "
		 "application id (GUID)", option, text);
	return false;
}

bool app_matches(const char *application_id, const char *selector)
{
	char a[37], b[37];
	if (!application_id || !selector)
		return false;
	if (strcasecmp(selector, "windows") == 0)
		return app_family(application_id) == APP_WINDOWS;
	if (strcasecmp(selector, "office") == 0)
		return app_family(application_id) == APP_OFFICE;
	if (guid_norm(application_id, a) && guid_norm(selector, b))
		return strcmp(a, b) == 0;
	return strcasecmp(application_id, selector) == 0;
}
