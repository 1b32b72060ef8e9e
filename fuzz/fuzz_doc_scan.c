/* fuzz_doc_scan.c - the document scanner (doc-scan.h) fed in pieces: the
 * plugins receive a document in whatever chunks the network delivers, while
 * doc_load_buffer (fuzz_doc) feeds it whole. The same bytes fed whole and
 * fed in chunks (sizes taken from the input's first 8 bytes, 1..256 each)
 * must give the same members, elements (text and position), array ends,
 * and the same verdict and error message. */
#include <stdint.h>
#include "doc-scan.h"
#include "fuzz.h"

struct log {
	char *buf;
	size_t len, cap;
};

static void log_add(struct log *l, const char *data, size_t n)
{
	if (l->len + n + 1 > l->cap) {
		size_t cap = (l->len + n + 1) * 2;
		char *b = realloc(l->buf, cap);
		if (!b)
			abort();
		l->buf = b;
		l->cap = cap;
	}
	memcpy(l->buf + l->len, data, n);
	l->len += n;
}

static void log_fmt(struct log *l, const char *what, const char *key, size_t i,
		    const struct scan_pos *at)
{
	char line[512];
	int n = snprintf(line, sizeof line, "%s %.200s %zu %lu:%lu|", what, key, i,
			 at ? at->line : 0, at ? at->col : 0);
	log_add(l, line, (size_t)n);
}

static bool h_stream(void *ctx, const char *key)
{
	(void)ctx;
	return strcmp(key, "clients") == 0 || strcmp(key, "events") == 0;
}

static bool h_member(void *ctx, const char *key, const char *raw, size_t len,
		     const struct scan_pos *at, char err[KMS_ERRLEN])
{
	(void)err;
	log_fmt(ctx, "M", key, len, at);
	log_add(ctx, raw, len);
	return true;
}

static bool h_elem(void *ctx, const char *key, size_t index, char *raw, size_t len,
		   const struct scan_pos *at, char err[KMS_ERRLEN])
{
	log_fmt(ctx, "E", key, index, at);
	log_add(ctx, raw, len);
	/* a handler's refusal must stop both runs at the same element */
	if (len && raw[0] == '"') {
		snprintf(err, KMS_ERRLEN, "element %zu refused", index);
		return false;
	}
	return true;
}

static bool h_end(void *ctx, const char *key, size_t n, char err[KMS_ERRLEN])
{
	(void)err;
	log_fmt(ctx, "A", key, n, NULL);
	return true;
}

/* Feed data in chunks of sizes[k % nsizes] (or whole when nsizes is 0);
 * returns the verdict, fills log and err. */
static bool run(const char *data, size_t len, const uint8_t *sizes, size_t nsizes,
		struct log *l, char err[KMS_ERRLEN])
{
	struct scan_handlers h = { .stream = h_stream, .member = h_member,
				   .elem = h_elem, .array_end = h_end, .ctx = l };
	struct scan *s = scan_new(&h);
	bool ok = true;
	size_t off = 0, k = 0;
	err[0] = '\0';
	if (!nsizes) {
		ok = scan_feed(s, data, len, err);
		off = len;
	}
	while (ok && off < len) {
		size_t n = (size_t)sizes[k++ % nsizes] + 1;
		if (n > len - off)
			n = len - off;
		ok = scan_feed(s, data + off, n, err);
		off += n;
	}
	ok = ok && scan_finish(s, err);
	scan_free(s);
	char v[8];
	log_add(l, v, (size_t)snprintf(v, sizeof v, "=%d", ok));
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 8)
		return 0;
	const uint8_t *sizes = data;
	const char *doc = (const char *)data + 8;
	size_t len = size - 8;
	struct log whole = { 0 }, chunked = { 0 };
	char err_w[KMS_ERRLEN], err_c[KMS_ERRLEN];
	bool ok_w = run(doc, len, NULL, 0, &whole, err_w);
	bool ok_c = run(doc, len, sizes, 8, &chunked, err_c);
	if (ok_w != ok_c)
		fuzz_fail("whole %s, chunked %s (%s / %s)", ok_w ? "ok" : "failed",
			  ok_c ? "ok" : "failed", err_w, err_c);
	fuzz_check_err(err_w, !ok_w);
	if (!ok_w && strcmp(err_w, err_c) != 0)
		fuzz_fail("error whole \"%s\", chunked \"%s\"", err_w, err_c);
	if (whole.len != chunked.len || memcmp(whole.buf, chunked.buf, whole.len) != 0)
		fuzz_fail("events differ between whole and chunked feeding");
	free(whole.buf);
	free(chunked.buf);
	return 0;
}
