/* test_fetch.c - unit tests of common/fetch.c that need no server:
 * url_redact, scheme dispatch, local files in chunks, the size limit and a
 * sink that stops the stream. The http(s) side is tested end to end against
 * nginx in tests/integration/test_fetch.py. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fetch.h"
#include "unit.h"

static void redact(const char *url, const char *want)
{
	char out[256];
	url_redact(url, out, sizeof out);
	ck_assert_str_eq(out, want);
}

START_TEST(redact_userinfo)
{
	redact("https://u:secret@kms01/doc.json", "https://kms01/doc.json");
	redact("http://user@host:8080/x", "http://host:8080/x");
	redact("https://a:b@c@host/p?q=x@y", "https://host/p?...");
	redact("https://host/path@not-userinfo", "https://host/path@not-userinfo");
	redact("https://host", "https://host");
	redact("/var/lib/kms.json", "/var/lib/kms.json");
	redact("file:///tmp/a@b.json", "file:///tmp/a@b.json");
	char small[8];
	url_redact("https://u:p@averylonghost/doc.json", small, sizeof small);
	ck_assert_str_eq(small, "https:/");
}
END_TEST

struct collect {
	size_t bytes, calls, stop_after;
};

static bool collect_sink(const char *data, size_t len, void *ctx,
			 char err[KMS_ERRLEN])
{
	struct collect *c = ctx;
	(void)data;
	c->bytes += len;
	c->calls++;
	if (c->stop_after && c->calls >= c->stop_after) {
		snprintf(err, KMS_ERRLEN, "sink says stop");
		return false;
	}
	return true;
}

/* A temporary file of n bytes; the caller unlinks and frees the path. */
static char *temp_file(size_t n)
{
	char *path = strdup("/tmp/kms-fetch-unit-XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	char block[4096];
	memset(block, 'x', sizeof block);
	for (size_t done = 0; done < n;) {
		size_t k = n - done < sizeof block ? n - done : sizeof block;
		ck_assert_int_eq(write(fd, block, k), (ssize_t)k);
		done += k;
	}
	close(fd);
	return path;
}

/* A password typed without %-encoding may hold '#' or '?'. libcurl refuses
 * such a URL ("URL using bad/illegal format") and its error quotes the URL,
 * so userinfo is looked for up to the first '/', not the first '?' or '#'. */
START_TEST(redact_unencoded_password)
{
	redact("http://user:p#ss@kms01/doc.json", "http://kms01/doc.json");
	redact("https://user:p?ss@kms01/doc.json", "https://kms01/doc.json");
	redact("https://user:a#b?c@kms01", "https://kms01");
	redact("https://kms01/doc.json?x#y@z", "https://kms01/doc.json?...");
	/* a token in the query or fragment is never shown */
	redact("https://u:p@kms01/doc.json?token=s3cret", "https://kms01/doc.json?...");
	redact("https://kms01/doc.json#access_token=s3cret", "https://kms01/doc.json?...");
	redact("https://kms01/doc.json", "https://kms01/doc.json");
	redact("/srv/kms/doc?.json", "/srv/kms/doc?.json"); /* a path, not a URL */
	char err[KMS_ERRLEN];
	struct collect c = { 0 };
	ck_assert(!fetch_stream("gopher://user:p#ss@h/x", NULL, collect_sink, &c, err));
	ck_assert_ptr_null(strstr(err, "ss@"));
}
END_TEST

START_TEST(file_in_chunks)
{
	char *path = temp_file(200000);
	struct collect c = { 0 };
	char err[KMS_ERRLEN] = "";
	struct fetch_opts o = { .max_size = 200000 };
	ck_assert_msg(fetch_stream(path, &o, collect_sink, &c, err), "%s", err);
	ck_assert_uint_eq(c.bytes, 200000);
	ck_assert_uint_eq(c.calls, 4); /* 64 KiB chunks */
	o.max_size = 199999;
	c = (struct collect){ 0 };
	ck_assert(!fetch_stream(path, &o, collect_sink, &c, err));
	ck_assert_str_eq(err, "body over --max-size 199999 bytes");
	ck_assert_uint_eq(c.bytes, 0); /* refused before reading */
	c = (struct collect){ .stop_after = 2 };
	ck_assert(!fetch_stream(path, NULL, collect_sink, &c, err));
	ck_assert_str_eq(err, "sink says stop");
	ck_assert_uint_eq(c.calls, 2);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(bad_urls)
{
	struct collect c = { 0 };
	char err[KMS_ERRLEN];
	ck_assert(!fetch_stream("", NULL, collect_sink, &c, err));
	ck_assert_str_eq(err, "no document URL given (-u/--url)");
	ck_assert(!fetch_stream("gopher://u:pw@h/x", NULL, collect_sink, &c, err));
	ck_assert_str_eq(err, "unsupported URL scheme \"gopher\" in gopher://h/x: "
			 "use http://, https://, file:// or a path");
	ck_assert(!fetch_stream("file:///tmp/%zz", NULL, collect_sink, &c, err));
	ck_assert_str_eq(err, "file:// URL has a malformed %-escape: /tmp/%zz");
	ck_assert(!fetch_stream("file:///tmp/%00x", NULL, collect_sink, &c, err));
	ck_assert(!fetch_stream("/nonexistent/dir/x.json", NULL, collect_sink, &c, err));
	ck_assert_str_eq(err, "cannot open /nonexistent/dir/x.json: No such file or directory");
	ck_assert(!fetch_stream("file:///nonexistent/dir/x.json", NULL, collect_sink, &c, err));
	ck_assert_str_eq(err, "cannot open /nonexistent/dir/x.json: No such file or directory");
	ck_assert(!fetch_stream("/tmp", NULL, collect_sink, &c, err));
	ck_assert_str_eq(err, "cannot read /tmp: Is a directory");
	ck_assert_uint_eq(c.calls, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fetch");
	TCase *tc = tcase_create("local");
	tcase_add_test(tc, redact_userinfo);
	tcase_add_test(tc, redact_unencoded_password);
	tcase_add_test(tc, file_in_chunks);
	tcase_add_test(tc, bad_urls);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
