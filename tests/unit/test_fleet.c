/* test_fleet.c - unit tests of common/fleet.c on documents in files: every
 * document's clients reach its own context, a failure stays its host's own,
 * a host.name given twice is UNKNOWN, staleness follows --stale-state, and
 * the short names (first label where unique, the whole name otherwise, an
 * IP address never cut). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fleet.h"
#include "timeutil.h"
#include "unit.h"

static char dir[64];

/* A document for host name, generated at gen (RFC 3339), with n clients
 * (distinct CMIDs); its path in out. */
static void write_doc(const char *file, const char *name, const char *gen, int n,
		      char *out, size_t len)
{
	snprintf(out, len, "%s/%s", dir, file);
	FILE *f = fopen(out, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "{\"format\":\"kms-status\",\"version\":1,\"generated_at\":\"%s\","
		"\"host\":{\"name\":\"%s\"},\"products\":[],\"clients\":[", gen, name);
	for (int i = 0; i < n; i++)
		fprintf(f, "%s{\"name\":\"pc%d\",\"cmid\":\"00000000-0000-0000-0000-%012d\","
			"\"application_id\":\"55c92734-d682-4d71-983e-d6ec3f16059f\","
			"\"required_count\":25}", i ? "," : "", i, i + 1);
	fprintf(f, "]}");
	ck_assert_int_eq(fclose(f), 0);
}

static bool count_client(const struct doc_client *c, void *ctx, char err[KMS_ERRLEN])
{
	(void)c;
	(void)err;
	(*(int *)ctx)++;
	return true;
}

static struct common_opts opts(size_t n, const char *const *urls)
{
	struct common_opts co;
	memset(&co, 0, sizeof co);
	co.max_age = 3600;
	co.stale_state = STATE_UNKNOWN;
	co.fetch.max_size = FETCH_DEFAULT_MAX_SIZE;
	for (size_t i = 0; i < n; i++)
		co.urls[i] = urls[i];
	co.n_urls = n;
	co.url = urls[0];
	return co;
}

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/kms-fleet-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	setenv("KMS_PLUGINS_NOW", "2026-11-25T14:00:00Z", 1);
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(each_host_its_own)
{
	char a[128], b[128], c[128], missing[128];
	write_doc("a.json", "kms01.corp.example", "2026-11-25T13:55:00Z", 3, a, sizeof a);
	write_doc("b.json", "kms02.corp.example", "2026-11-25T13:55:00Z", 2, b, sizeof b);
	write_doc("c.json", "kms01.corp.example", "2026-11-25T13:55:00Z", 1, c, sizeof c);
	snprintf(missing, sizeof missing, "%s/none.json", dir);
	const char *urls[] = { a, missing, b, c };
	struct common_opts co = opts(4, urls);
	int seen[4] = { 0 };
	void *ctxs[4] = { &seen[0], &seen[1], &seen[2], &seen[3] };
	struct fleet f;
	fleet_load(&co, count_client, ctxs, &f);
	ck_assert_uint_eq(f.n, 4);
	ck_assert_int_eq(seen[0], 3);
	ck_assert_int_eq(seen[1], 0);
	ck_assert_int_eq(seen[2], 2);
	ck_assert_int_eq(seen[3], 1); /* seen, but the host is not usable */

	ck_assert(f.docs[0].usable);
	ck_assert_int_eq(f.docs[0].state, STATE_OK);
	ck_assert_str_eq(f.docs[0].host, "kms01.corp.example");
	ck_assert_str_eq(f.docs[0].name, "kms01");
	ck_assert_str_eq(f.docs[0].why, "");

	ck_assert(!f.docs[1].usable);
	ck_assert_ptr_null(f.docs[1].doc);
	ck_assert_int_eq(f.docs[1].state, STATE_UNKNOWN);
	ck_assert_str_eq(f.docs[1].host, "none"); /* the file's name */
	ck_assert_str_eq(f.docs[1].name, "none");
	char want[512];
	snprintf(want, sizeof want, "cannot open %s: No such file or directory", missing);
	ck_assert_str_eq(f.docs[1].why, want);

	ck_assert(f.docs[2].usable);
	ck_assert_str_eq(f.docs[2].name, "kms02");

	ck_assert(!f.docs[3].usable);
	ck_assert_int_eq(f.docs[3].state, STATE_UNKNOWN);
	snprintf(want, sizeof want, "host.name also in -u %s: one document per KMS host", a);
	ck_assert_str_eq(f.docs[3].why, want);
	fleet_free(&f);
}
END_TEST

START_TEST(stale_follows_stale_state)
{
	char a[128], b[128];
	write_doc("a.json", "kms01.corp.example", "2026-11-25T13:55:00Z", 0, a, sizeof a);
	write_doc("b.json", "kms02.corp.example", "2026-11-25T10:00:00Z", 0, b, sizeof b);
	const char *urls[] = { a, b };
	struct common_opts co = opts(2, urls);
	struct fleet f;
	fleet_load(&co, NULL, NULL, &f);
	ck_assert(f.docs[0].usable);
	ck_assert(!f.docs[1].usable);
	ck_assert_ptr_nonnull(f.docs[1].doc);
	ck_assert_int_eq(f.docs[1].state, STATE_UNKNOWN);
	ck_assert_str_eq(f.docs[1].why,
			 "status document is 4 h old (generated 2026-11-25 10:00 UTC, max 1 h): "
			 "is the exporter's scheduled task running?");
	fleet_free(&f);

	co.stale_state = STATE_WARNING;
	fleet_load(&co, NULL, NULL, &f);
	ck_assert_int_eq(f.docs[1].state, STATE_WARNING);
	ck_assert(!f.docs[1].usable);
	fleet_free(&f);

	co.stale_state = STATE_OK; /* staleness is no alarm: judged as usual */
	fleet_load(&co, NULL, NULL, &f);
	ck_assert_int_eq(f.docs[1].state, STATE_OK);
	ck_assert(f.docs[1].usable);
	ck_assert_str_eq(f.docs[1].why, "");
	fleet_free(&f);
}
END_TEST

/* Short names: the first label only where no other host shares it. */
START_TEST(short_names)
{
	static const struct {
		const char *hosts[3];
		const char *names[3];
	} cases[] = {
		{ { "kms01.a.example", "kms02.a.example", "kms03.b.example" },
		  { "kms01", "kms02", "kms03" } },
		{ { "kms01.a.example", "kms01.b.example", "kms02.b.example" },
		  { "kms01.a.example", "kms01.b.example", "kms02" } },
		{ { "10.0.0.1", "10.0.0.2", "kms" }, { "10.0.0.1", "10.0.0.2", "kms" } },
		{ { "kms01", "kms01.corp.example", "fe80::1" },
		  { "kms01", "kms01.corp.example", "fe80::1" } },
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		char paths[3][128], file[48];
		const char *urls[3];
		for (int i = 0; i < 3; i++) {
			snprintf(file, sizeof file, "%zu-%d.json", k, i);
			write_doc(file, cases[k].hosts[i], "2026-11-25T13:55:00Z", 0, paths[i],
				  sizeof paths[i]);
			urls[i] = paths[i];
		}
		struct common_opts co = opts(3, urls);
		struct fleet f;
		fleet_load(&co, NULL, NULL, &f);
		for (int i = 0; i < 3; i++)
			ck_assert_msg(strcmp(f.docs[i].name, cases[k].names[i]) == 0,
				      "case %zu host %s: name %s, want %s", k, cases[k].hosts[i],
				      f.docs[i].name, cases[k].names[i]);
		fleet_free(&f);
	}
}
END_TEST

/* A document that never loaded is named by its URL's host. */
START_TEST(unloaded_named_by_url)
{
	char a[128];
	write_doc("a.json", "kms01.corp.example", "2026-11-25T13:55:00Z", 0, a, sizeof a);
	const char *urls[] = { a, "gopher://kms02.corp.example/x.json" };
	struct common_opts co = opts(2, urls);
	struct fleet f;
	fleet_load(&co, NULL, NULL, &f);
	ck_assert_str_eq(f.docs[1].host, "kms02.corp.example");
	ck_assert_str_eq(f.docs[1].name, "kms02");
	ck_assert_str_eq(f.docs[1].why,
			 "unsupported URL scheme \"gopher\" in gopher://kms02.corp.example/x.json: "
			 "use http://, https://, file:// or a path");

	struct check *c = check_new();
	ck_assert_ptr_nonnull(fleet_host_subcheck(c, &f.docs[0]));
	ck_assert_ptr_null(fleet_host_subcheck(c, &f.docs[1]));
	ck_assert_int_eq(check_state(c), STATE_UNKNOWN);
	ck_assert_str_eq(subcheck_output(check_child(c, 1)),
			 "kms02: unsupported URL scheme \"gopher\" in gopher://kms02.corp.example/x.json: "
			 "use http://, https://, file:// or a path");
	check_free(c);
	fleet_free(&f);
}
END_TEST

/* Line 1's words for a host: its name and its worst child's headline. */
START_TEST(host_headline)
{
	struct check *c = check_new();
	struct subcheck *h = check_add(c, "kms02");
	struct subcheck *ok = subcheck_add(h, "kms02 Office: fine");
	(void)ok;
	struct subcheck *w = subcheck_add(h, "kms02 Windows: count 27");
	subcheck_set_state(w, STATE_WARNING);
	struct subcheck *cr = subcheck_add(h, "kms02 Windows forecast: 20 in 3 days");
	subcheck_set_state(cr, STATE_CRITICAL);
	struct subcheck *cr2 = subcheck_add(h, "another critical");
	subcheck_set_state(cr2, STATE_CRITICAL);
	fleet_host_headline(h, "kms02");
	ck_assert_str_eq(subcheck_headline_text(h), "kms02 Windows forecast: 20 in 3 days");

	struct subcheck *h2 = check_add(c, "kms03");
	struct subcheck *u = subcheck_add(h2, "DNS publishing off");
	subcheck_set_state(u, STATE_WARNING);
	fleet_host_headline(h2, "kms03");
	ck_assert_str_eq(subcheck_headline_text(h2), "kms03: DNS publishing off");

	struct subcheck *h3 = check_add(c, "kms04");
	subcheck_add(h3, "kms04: all fine");
	fleet_host_headline(h3, "kms04");
	ck_assert_str_eq(subcheck_headline_text(h3), "kms04"); /* OK: left alone */
	check_free(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fleet");
	TCase *tc = tcase_create("load");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, each_host_its_own);
	tcase_add_test(tc, stale_follows_stale_state);
	tcase_add_test(tc, short_names);
	tcase_add_test(tc, unloaded_named_by_url);
	tcase_add_test(tc, host_headline);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
