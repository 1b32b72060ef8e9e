/* test_doc.c - unit tests of common/doc.c and its private scanner and fast
 * path: what a valid document loads into, every kind of refusal with its
 * exact message (JSON path, line and column), the clients callback, the
 * freshness messages, and that chunk boundaries never change the scanner's
 * result. */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "doc-fast.h"
#include "doc-scan.h"
#include "doc.h"
#include "timeutil.h"
#include "unit.h"

#define T_GEN 1795615200.0 /* 2026-11-25T14:00:00Z */

#define HEAD "{\"format\":\"kms-status\",\"version\":1,\"generated_at\":\"2026-11-25T14:00:00Z\","

/* A document with the given host and products JSON, then `rest` (members
 * with a leading comma, or ""). The caller frees. */
static char *mkdoc(const char *host, const char *products, const char *rest)
{
	char *s;
	ck_assert_int_ge(asprintf(&s, HEAD "\"host\":%s,\"products\":%s%s}", host,
				  products, rest), 0);
	return s;
}

/* A minimal document with `clients` as the clients array text. */
static char *mkclients(const char *clients)
{
	char *rest, *s;
	ck_assert_int_ge(asprintf(&rest, ",\"clients\":%s", clients), 0);
	s = mkdoc("{\"name\":\"kms01\"}", "[]", rest);
	free(rest);
	return s;
}

static struct doc *load_ok(const char *text, doc_client_fn fn, void *ctx)
{
	struct doc *d = NULL;
	char err[KMS_ERRLEN] = "";
	bool ok = doc_load_buffer(text, strlen(text), fn, ctx, &d, err);
	ck_assert_msg(ok, "load failed: %s\n%s", err, text);
	ck_assert_ptr_nonnull(d);
	return d;
}

/* Loading text must fail with exactly msg. */
static void expect_err(const char *text, const char *msg)
{
	struct doc *d = (struct doc *)1;
	char err[KMS_ERRLEN] = "";
	bool ok = doc_load_buffer(text, strlen(text), NULL, NULL, &d, err);
	ck_assert_msg(!ok, "accepted: %s", text);
	ck_assert_ptr_null(d);
	ck_assert_str_eq(err, msg);
}

/* The same for a document freed by the caller. */
static void expect_err_free(char *text, const char *msg)
{
	expect_err(text, msg);
	free(text);
}

/* ---- valid documents ---------------------------------------------------- */

START_TEST(minimal_document)
{
	char *t = mkdoc("{\"name\":\"kms01\"}", "[]", "");
	struct doc *d = load_ok(t, NULL, NULL);
	ck_assert_int_eq(d->version, 1);
	ck_assert_double_eq(d->generated_at, T_GEN);
	ck_assert_str_eq(d->host.name, "kms01");
	ck_assert_int_eq(d->host.kms_enabled, DOC_ABSENT);
	ck_assert_int_eq(d->host.port, DOC_ABSENT);
	ck_assert_ptr_null(d->host.service_state);
	ck_assert_int_eq(d->host.dns_publishing, DOC_ABSENT);
	ck_assert_uint_eq(d->n_products, 0);
	ck_assert(!d->has_clients);
	ck_assert_uint_eq(d->n_clients, 0);
	ck_assert(isnan(d->clients_complete_since));
	ck_assert(!d->has_events);
	ck_assert_uint_eq(d->n_events, 0);
	doc_free(d);
	free(t);
}
END_TEST

static const char FULL[] =
	"{\n"
	"  \"format\": \"kms-status\", \"version\": 1,\n"
	"  \"generated_at\": \"2026-11-25T14:00:00Z\",\n"
	"  \"host\": {\n"
	"    \"name\": \"kms01.corp.example\", \"kms_enabled\": true, \"port\": 1688,\n"
	"    \"service_state\": \"running\", \"dns_publishing\": false,\n"
	"    \"activation_interval_minutes\": 120, \"renewal_interval_minutes\": 10080\n"
	"  },\n"
	"  \"products\": [ {\n"
	"    \"name\": \"Windows(R), ServerStandard edition VOLUME_KMS_R2_C channel\",\n"
	"    \"application_id\": \"55C92734-D682-4D71-983E-D6EC3F16059F\",\n"
	"    \"license_status\": 1, \"grace_remaining_minutes\": 0,\n"
	"    \"current_count\": 31,\n"
	"    \"requests\": { \"total\": 5120, \"failed\": 4, \"unlicensed\": 2, \"licensed\": 5010,\n"
	"                  \"oob_grace\": 98, \"oot_grace\": 0, \"non_genuine_grace\": 0,\n"
	"                  \"notification\": 6 }\n"
	"  }, { \"application_id\": \"0ff1ce15-a989-479d-af46-f275c6370663\", \"current_count\": -1 } ],\n"
	"  \"clients_complete_since\": \"2026-05-01T00:00:00Z\",\n"
	"  \"clients\": [ {\n"
	"    \"name\": \"pc0001.corp.example\", \"cmid\": \"{0D6B5C2E-1111-4A4A-8B8B-0123456789AB}\",\n"
	"    \"sku_id\": \" ae2ee509-2222-4c4c-9d9d-abcdefabcdef \", \"application_id\": \"55c92734-d682-4d71-983e-d6ec3f16059f\",\n"
	"    \"virtual\": false, \"required_count\": 25,\n"
	"    \"first_seen_at\": \"2026-03-02T08:00:00Z\",\n"
	"    \"last_request_at\": \"2026-11-20T08:15:00Z\", \"last_result\": \"0xC004F038\",\n"
	"    \"last_success_at\": \"2026-11-20T08:15:00Z\",\n"
	"    \"license_state\": 2, \"state_expires_in_minutes\": 250560\n"
	"  } ],\n"
	"  \"events\": [ { \"id\": 12293, \"at\": \"2026-11-25T13:02:11Z\",\n"
	"                \"hresult\": \"0x8007232A\", \"message\": \"DNS failed\" } ]\n"
	"}\n";

/* What the callback saw of a client, copied (strings die with the call). */
struct seen {
	size_t n;
	size_t index[16];
	char name[16][64];
	struct doc_client first;
	char cmid[64], sku[64], appid[64], result[64];
	long long stop_at;     /* return false at this index (-1: never) */
	const char *stop_msg;  /* message then, may be "" */
};

static bool record(const struct doc_client *c, void *ctx, char err[KMS_ERRLEN])
{
	struct seen *s = ctx;
	if (s->n == 0) {
		s->first = *c;
		snprintf(s->cmid, sizeof s->cmid, "%s", c->cmid ? c->cmid : "(null)");
		snprintf(s->sku, sizeof s->sku, "%s", c->sku_id ? c->sku_id : "(null)");
		snprintf(s->appid, sizeof s->appid, "%s",
			 c->application_id ? c->application_id : "(null)");
		snprintf(s->result, sizeof s->result, "%s",
			 c->last_result ? c->last_result : "(null)");
	}
	if (s->n < 16) {
		s->index[s->n] = c->index;
		snprintf(s->name[s->n], sizeof s->name[0], "%s", c->name);
	}
	s->n++;
	if ((long long)c->index == s->stop_at) {
		snprintf(err, KMS_ERRLEN, "%s", s->stop_msg);
		return false;
	}
	return true;
}

START_TEST(full_document)
{
	struct seen s = { .stop_at = -1 };
	struct doc *d = load_ok(FULL, record, &s);
	ck_assert_str_eq(d->host.name, "kms01.corp.example");
	ck_assert_int_eq(d->host.kms_enabled, 1);
	ck_assert_int_eq(d->host.port, 1688);
	ck_assert_str_eq(d->host.service_state, "running");
	ck_assert_int_eq(d->host.dns_publishing, 0);
	ck_assert_int_eq(d->host.activation_interval_minutes, 120);
	ck_assert_int_eq(d->host.renewal_interval_minutes, 10080);
	ck_assert_uint_eq(d->n_products, 2);
	const struct doc_product *p = &d->products[0];
	ck_assert_str_eq(p->name, "Windows(R), ServerStandard edition VOLUME_KMS_R2_C channel");
	ck_assert_str_eq(p->application_id, APPID_WINDOWS); /* lower-cased */
	ck_assert_int_eq(p->license_status, 1);
	ck_assert_int_eq(p->grace_remaining_minutes, 0);
	ck_assert_int_eq(p->current_count, 31);
	ck_assert(p->requests.present);
	ck_assert_int_eq(p->requests.total, 5120);
	ck_assert_int_eq(p->requests.failed, 4);
	ck_assert_int_eq(p->requests.unlicensed, 2);
	ck_assert_int_eq(p->requests.licensed, 5010);
	ck_assert_int_eq(p->requests.oob_grace, 98);
	ck_assert_int_eq(p->requests.oot_grace, 0);
	ck_assert_int_eq(p->requests.non_genuine_grace, 0);
	ck_assert_int_eq(p->requests.notification, 6);
	ck_assert_str_eq(product_short_name(p), "Windows");
	p = &d->products[1];
	ck_assert_ptr_null(p->name);
	ck_assert_int_eq(p->current_count, DOC_ABSENT); /* -1: WMI's "no count" */
	ck_assert_int_eq(p->license_status, DOC_ABSENT);
	ck_assert(!p->requests.present);
	ck_assert_int_eq(p->requests.total, DOC_ABSENT);
	ck_assert_str_eq(product_short_name(p), "Office 2013+");
	ck_assert_double_eq(d->clients_complete_since, 1777593600.0);
	ck_assert(d->has_clients);
	ck_assert_uint_eq(d->n_clients, 1);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_str_eq(s.name[0], "pc0001.corp.example");
	ck_assert_str_eq(s.cmid, "0d6b5c2e-1111-4a4a-8b8b-0123456789ab"); /* braces, case */
	ck_assert_str_eq(s.sku, "ae2ee509-2222-4c4c-9d9d-abcdefabcdef");  /* blanks */
	ck_assert_str_eq(s.appid, APPID_WINDOWS);
	ck_assert_str_eq(s.result, "0xC004F038");
	ck_assert_int_eq(s.first.is_virtual, 0);
	ck_assert_int_eq(s.first.required_count, 25);
	ck_assert_double_eq(s.first.first_seen_at, 1772438400.0);
	ck_assert_double_eq(s.first.last_request_at, 1795162500.0);
	ck_assert_double_eq(s.first.last_success_at, 1795162500.0);
	ck_assert(s.first.has_result_code);
	ck_assert_uint_eq(s.first.result_code, 0xC004F038u);
	ck_assert_int_eq(s.first.license_state, LIC_OOB_GRACE);
	ck_assert_int_eq(s.first.state_expires_in_minutes, 250560);
	ck_assert(d->has_events);
	ck_assert_uint_eq(d->n_events, 1);
	ck_assert_int_eq(d->events[0].id, 12293);
	ck_assert_double_eq(d->events[0].at, 1795611731.0);
	ck_assert_str_eq(d->events[0].hresult, "0x8007232A");
	ck_assert_str_eq(d->events[0].message, "DNS failed");
	doc_free(d);
}
END_TEST

START_TEST(offset_and_fraction_times)
{
	char *t;
	ck_assert_int_ge(asprintf(&t, "{\"format\":\"kms-status\",\"version\":1,"
				  "\"generated_at\":\"2026-11-25T15:00:00.25+01:00\","
				  "\"host\":{\"name\":\"h\"},\"products\":[]}"), 0);
	struct doc *d = load_ok(t, NULL, NULL);
	ck_assert_double_eq(d->generated_at, T_GEN + 0.25);
	doc_free(d);
	free(t);
}
END_TEST

START_TEST(unknown_fields_ignored)
{
	const char *t =
		"{\"future\":{\"a\":[1,{\"b\":null}]},\"format\":\"kms-status\",\"version\":1,"
		"\"generated_at\":\"2026-11-25T14:00:00Z\",\"history\":[{\"x\":1},[2],\"s\"],"
		"\"host\":{\"name\":\"h\",\"extra\":[1,2],\"port\":1688},"
		"\"products\":[{\"current_count\":3,\"new\":{\"z\":1},"
		"\"requests\":{\"total\":1,\"later\":\"x\"}}],"
		"\"clients\":[{\"name\":\"a\",\"tags\":[\"x\",[1.5e3]],\"weird\":-0.5},"
		"{\"name\":\"b\",\"nested\":{\"deep\":{\"x\":true}},\"license_state\":1}],"
		"\"events\":[{\"id\":12294,\"source\":\"kms\"}],\"n\":12.5e-3}";
	struct seen s = { .stop_at = -1 };
	struct doc *d = load_ok(t, record, &s);
	ck_assert_int_eq(d->host.port, 1688);
	ck_assert_int_eq(d->products[0].current_count, 3);
	ck_assert_int_eq(d->products[0].requests.total, 1);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_str_eq(s.name[1], "b");
	ck_assert_int_eq(d->events[0].id, 12294);
	doc_free(d);
}
END_TEST

START_TEST(null_optionals)
{
	const char *t =
		HEAD "\"host\":{\"name\":\"h\",\"port\":null,\"service_state\":null,"
		"\"kms_enabled\":null},"
		"\"products\":[{\"name\":null,\"current_count\":null,\"requests\":null,"
		"\"license_status\":null}],"
		"\"clients_complete_since\":null,\"events\":null,"
		"\"clients\":[{\"name\":\"a\",\"last_success_at\":null,\"cmid\":null,"
		"\"virtual\":null,\"last_result\":null,\"license_state\":null}]}";
	struct seen s = { .stop_at = -1 };
	struct doc *d = load_ok(t, record, &s);
	ck_assert_int_eq(d->host.port, DOC_ABSENT);
	ck_assert_ptr_null(d->host.service_state);
	ck_assert_int_eq(d->host.kms_enabled, DOC_ABSENT);
	ck_assert_ptr_null(d->products[0].name);
	ck_assert_int_eq(d->products[0].current_count, DOC_ABSENT);
	ck_assert(!d->products[0].requests.present);
	ck_assert(isnan(d->clients_complete_since));
	ck_assert(!d->has_events);
	ck_assert(isnan(s.first.last_success_at));
	ck_assert_str_eq(s.cmid, "(null)");
	ck_assert_int_eq(s.first.is_virtual, DOC_ABSENT);
	ck_assert(!s.first.has_result_code);
	ck_assert_int_eq(s.first.license_state, DOC_ABSENT);
	doc_free(d);

	char *c = mkdoc("{\"name\":\"h\"}", "[]", ",\"clients\":null");
	d = load_ok(c, NULL, NULL);
	ck_assert(!d->has_clients);
	doc_free(d);
	free(c);
}
END_TEST

START_TEST(current_count_minus_one_absent_and_negative)
{
	char *t = mkdoc("{\"name\":\"h\"}",
			"[{\"current_count\":-1},{},{\"current_count\":0}]", "");
	struct doc *d = load_ok(t, NULL, NULL);
	/* -1 is the one negative the schema allows, mapped to absent on purpose */
	ck_assert_int_eq(d->products[0].current_count, DOC_ABSENT);
	ck_assert_int_eq(d->products[1].current_count, DOC_ABSENT);
	ck_assert_int_eq(d->products[2].current_count, 0);
	doc_free(d);
	free(t);
	expect_err_free(mkdoc("{\"name\":\"h\"}", "[{},{\"current_count\":-2}]", ""),
			"$.products[1].current_count: -2 is negative (only -1, for no count, is allowed)");
	/* the internal "absent" value written in a document is no way round */
	expect_err_free(mkdoc("{\"name\":\"h\"}", "[{\"current_count\":-9223372036854775808}]", ""),
			"$.products[0].current_count: -9223372036854775808 is negative (only -1, "
			"for no count, is allowed)");
	expect_err_free(mkdoc("{\"name\":\"h\"}", "[{\"requests\":{\"failed\":-1}}]", ""),
			"$.products[0].requests.failed: -1 is negative");
}
END_TEST

/* ---- refusals ------------------------------------------------------------ */

START_TEST(truncated_documents)
{
	/* cut the one-line document at several points: inside a key, a string
	 * value, a number, the host object, a client, after "[", before "}" */
	char *t = mkclients("[{\"name\":\"a\",\"required_count\":25},{\"name\":\"b\"}]");
	size_t len = strlen(t);
	const size_t cuts[] = { 1, 3, 20, 33, 36, 60, 75, 95, 107, len - 20, len - 2, len - 1 };
	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		char *cut = strndup(t, cuts[i]);
		char msg[128];
		snprintf(msg, sizeof msg,
			 "invalid JSON: document ends early (line 1, column %zu)", cuts[i]);
		expect_err(cut, msg);
		free(cut);
	}
	free(t);
	/* a line count, and the column after a newline */
	expect_err("{\n  \"format\": \"kms", "invalid JSON: document ends early (line 2, column 16)");
	expect_err("{\n", "invalid JSON: document ends early (line 2, column 0)");
	expect_err("", "invalid JSON: the document is empty");
	expect_err(" \n\t", "invalid JSON: the document is empty");
}
END_TEST

START_TEST(syntax_errors_at_top)
{
	expect_err("[1]", "invalid JSON at line 1, column 1: the document must be a JSON object");
	expect_err("{\"a\" 1}", "invalid JSON at line 1, column 6: expected ':' after a member name");
	expect_err("{\"a\":1 \"b\":2}", "invalid JSON at line 1, column 8: expected ',' or '}' after a member value");
	expect_err("{\"a\":,}", "invalid JSON at line 1, column 6: expected a value");
	expect_err("{,}", "invalid JSON at line 1, column 2: expected a member name in double quotes");
	expect_err("{\"x\":[1,]}", "invalid JSON at line 1, column 9: expected a value");
	expect_err("{\"x\":[{} {}]}", "invalid JSON at line 1, column 10: expected ',' or ']' after an array element");
	char *t = mkdoc("{\"name\":\"h\"}", "[]", "");
	char *u;
	ck_assert_int_ge(asprintf(&u, "%s\n x", t), 0);
	expect_err(u, "invalid JSON at line 2, column 2: unexpected text after the document");
	free(u);
	free(t);
	/* a duplicate top-level member is refused, not guessed at */
	expect_err_free(mkdoc("{\"name\":\"h\"}", "[]", ",\"host\":{\"name\":\"x\"}"),
			"invalid JSON at line 1, column 108: duplicate object key \"host\"");
	/* jansson's own errors inside a buffered member, shifted */
	expect_err("{\"format\":\n  \"kms\x01\"}",
		   "invalid JSON at line 2, column 6: control character 0x1 near '\"kms'");
}
END_TEST

/* Duplicate top-level members are found with a hash, not by comparing each
 * name with every earlier one: 100k distinct names (1 MB, far below
 * --max-size) took 18 s of CPU that way, so any peer serving such a
 * document held every check until -t. 300k names must load in well under
 * the test's timeout (60 s), even under valgrind. */
START_TEST(many_top_level_members)
{
	size_t n = 300000, len = 0;
	char *text = malloc(n * 16 + 512);
	ck_assert_ptr_nonnull(text);
	len += (size_t)sprintf(text, HEAD "\"host\":{\"name\":\"h\"},\"products\":[]");
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, ",\"k%zu\":0", i);
	len += (size_t)sprintf(text + len, ",\"k17\":1}");
	struct doc *d = (struct doc *)1;
	char err[KMS_ERRLEN] = "";
	ck_assert(!doc_load_buffer(text, len, NULL, NULL, &d, err));
	ck_assert_ptr_null(d);
	ck_assert_ptr_nonnull(strstr(err, "duplicate object key \"k17\""));
	free(text);
}
END_TEST

/* An error inside the clients array names the document's line and column:
 * the same position jansson reports when given the whole document. */
START_TEST(client_syntax_error_position)
{
	const char *t =
		HEAD "\n"
		"\"host\":{\"name\":\"h\"},\"products\":[],\n"
		"\"clients\":[\n"
		"  {\"name\":\"a\"},\n"
		"  {\"name\":\"b\"},\n"
		"  {\"name\":\"c\", \"x\" 1}\n"
		"]}\n";
	json_error_t je;
	json_t *j = json_loads(t, JSON_REJECT_DUPLICATES, &je);
	ck_assert_ptr_null(j);
	ck_assert_int_eq(je.line, 6); /* the third client's line */
	char want[KMS_ERRLEN];
	snprintf(want, sizeof want, "invalid JSON at line %d, column %d: %s",
		 je.line, je.column, je.text);
	expect_err(t, want);
	ck_assert_int_eq(je.column, 20);

	/* on the first line of an element, after multi-byte characters */
	const char *u =
		HEAD "\"host\":{\"name\":\"h\"},\"products\":[],\"clients\":[\n"
		"{\"name\":\"\xc3\xa9t\xc3\xa9\"}, {\"name\":\"b\",,}]}";
	j = json_loads(u, JSON_REJECT_DUPLICATES, &je);
	ck_assert_ptr_null(j);
	snprintf(want, sizeof want, "invalid JSON at line %d, column %d: %s",
		 je.line, je.column, je.text);
	expect_err(u, want);
	ck_assert_int_eq(je.line, 2);
}
END_TEST

START_TEST(wrong_types_at_each_depth)
{
	expect_err("{\"format\":5}", "$.format: expected string, got integer");
	expect_err_free(mkdoc("{\"name\":\"h\"}", "[]", ",\"version\":\"1\""),
			"invalid JSON at line 1, column 108: duplicate object key \"version\"");
	expect_err("{\"format\":\"kms-status\",\"version\":\"1\"}",
		   "$.version: expected integer, got string");
	expect_err("{\"format\":\"kms-status\",\"version\":1.0}",
		   "$.version: expected integer, got number");
	expect_err("{\"format\":\"kms-status\",\"version\":1,\"generated_at\":1795615200}",
		   "$.generated_at: expected string, got integer");
	expect_err_free(mkdoc("[]", "[]", ""), "$.host: expected object, got array");
	expect_err_free(mkdoc("{\"name\":\"h\"}", "{}", ""), "$.products: expected array, got object");
	expect_err_free(mkdoc("{\"name\":\"h\",\"port\":\"1688\"}", "[]", ""),
			"$.host.port: expected integer, got string");
	expect_err_free(mkdoc("{\"name\":\"h\",\"kms_enabled\":\"yes\"}", "[]", ""),
			"$.host.kms_enabled: expected boolean, got string");
	expect_err_free(mkdoc("{\"name\":[\"h\"]}", "[]", ""),
			"$.host.name: expected string, got array");
	expect_err_free(mkdoc("{\"name\":\"h\"}", "[1]", ""),
			"$.products[0]: expected object, got integer");
	expect_err_free(mkdoc("{\"name\":\"h\"}", "[{},{},{\"current_count\":\"31\"}]", ""),
			"$.products[2].current_count: expected integer, got string");
	expect_err_free(mkdoc("{\"name\":\"h\"}", "[{\"requests\":[]}]", ""),
			"$.products[0].requests: expected object, got array");
	expect_err_free(mkdoc("{\"name\":\"h\"}", "[{},{\"requests\":{\"total\":1.5}}]", ""),
			"$.products[1].requests.total: expected integer, got number");
	expect_err_free(mkdoc("{\"name\":\"h\"}", "[{\"license_status\":7}]", ""),
			"$.products[0].license_status: 7 is not a license state (0..6)");
	expect_err_free(mkclients("{}"), "$.clients: expected array, got object");
	expect_err_free(mkclients("[{\"name\":\"a\"},\"b\"]"),
			"$.clients[1]: expected object, got string");
	expect_err_free(mkclients("[{\"name\":\"a\"},{\"name\":\"b\",\"virtual\":1}]"),
			"$.clients[1].virtual: expected boolean, got integer");
	expect_err_free(mkclients("[{\"name\":5}]"), "$.clients[0].name: expected string, got integer");
	expect_err_free(mkclients("[{\"name\":\"a\",\"required_count\":{}}]"),
			"$.clients[0].required_count: expected integer, got object");
	expect_err_free(mkclients("[{\"name\":\"a\",\"license_state\":9}]"),
			"$.clients[0].license_state: 9 is not a license state (0..6)");
	expect_err_free(mkclients("[{\"name\":\"a\",\"last_result\":\"zz\"}]"),
			"$.clients[0].last_result: not an HRESULT: \"zz\"");
	/* the same on jansson's path (an escape and a nested object) */
	expect_err_free(mkclients("[{\"name\":\"a\\u0062\",\"x\":{\"y\":1},\"license_state\":\"1\"}]"),
			"$.clients[0].license_state: expected integer, got string");
	expect_err_free(mkclients("[{\"name\":\"\\u00e9\",\"required_count\":true}]"),
			"$.clients[0].required_count: expected integer, got boolean");
	expect_err_free(mkdoc("{\"name\":\"h\"}", "[]", ",\"events\":[{\"id\":\"12293\"}]"),
			"$.events[0].id: expected integer, got string");
	expect_err_free(mkdoc("{\"name\":\"h\"}", "[]", ",\"events\":[{},3]"),
			"$.events[1]: expected object, got integer");
	expect_err_free(mkdoc("{\"name\":\"h\"}", "[]", ",\"events\":{}"),
			"$.events: expected array, got object");
}
END_TEST

START_TEST(missing_required_fields)
{
	expect_err("{}", "not a kms-status document ($.format missing)");
	expect_err("{\"format\":\"kms-status\",\"generated_at\":\"2026-11-25T14:00:00Z\","
		   "\"host\":{\"name\":\"h\"},\"products\":[]}", "$.version: missing");
	expect_err("{\"format\":\"kms-status\",\"version\":1,"
		   "\"host\":{\"name\":\"h\"},\"products\":[]}", "$.generated_at: missing");
	expect_err(HEAD "\"products\":[]}", "$.host: missing");
	expect_err(HEAD "\"host\":{\"name\":\"h\"}}", "$.products: missing");
	expect_err_free(mkdoc("{\"port\":1688}", "[]", ""), "$.host.name: missing");
}
END_TEST

/* A client's name is optional (docs/DESIGN.md, "The status document"):
 * the CMID stands in, else the client's place in the inventory. */
START_TEST(client_without_name)
{
	struct seen s = { .stop_at = -1 };
	char *text = mkclients("[{\"name\":\"a\"},{\"cmid\":\"{ABCDEF01-2345-6789-ABCD-EF0123456789}\"},"
			       "{\"name\":null},{}]");
	struct doc *d = load_ok(text, record, &s);
	free(text);
	ck_assert_uint_eq(s.n, 4);
	ck_assert_str_eq(s.name[0], "a");
	ck_assert_str_eq(s.name[1], "abcdef01-2345-6789-abcd-ef0123456789");
	ck_assert_str_eq(s.name[2], "client #3");
	ck_assert_str_eq(s.name[3], "client #4");
	doc_free(d);
}
END_TEST

START_TEST(version_and_format)
{
	expect_err("{\"format\":\"kms-status\",\"version\":2}",
		   "format version 2 is newer than this plugin understands (1)");
	expect_err("{\"format\":\"kms-status\",\"version\":0}", "$.version: 0 is not a format version");
	expect_err("{\"format\":\"other\",\"version\":1}",
		   "not a kms-status document ($.format is \"other\")");
	/* a version 2 document is refused even when the rest would not load */
	expect_err("{\"version\":2,\"format\":\"kms-status\",\"host\":3}",
		   "format version 2 is newer than this plugin understands (1)");
}
END_TEST

/* Expected message for a bad time: the path, then timeutil's own words. */
static void expect_bad_time(char *text, const char *path, const char *value)
{
	char why[KMS_ERRLEN], want[KMS_ERRLEN + 64];
	double t;
	ck_assert(!rfc3339_parse(value, &t, why));
	snprintf(want, sizeof want, "%s: %s", path, why);
	ck_assert_msg(strstr(want, "not an RFC 3339 time: \"") != NULL, "%s", want);
	expect_err(text, want);
	free(text);
}

START_TEST(bad_timestamps)
{
	char *t;
	ck_assert_int_ge(asprintf(&t, "{\"format\":\"kms-status\",\"version\":1,"
				  "\"generated_at\":\"yesterday\"}"), 0);
	expect_bad_time(t, "$.generated_at", "yesterday");
	expect_bad_time(mkclients("[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"c\","
				  "\"last_request_at\":\"2026-13-01T00:00:00Z\"}]"),
			"$.clients[2].last_request_at", "2026-13-01T00:00:00Z");
	expect_bad_time(mkclients("[{\"name\":\"a\",\"first_seen_at\":\"2026-11-25\"}]"),
			"$.clients[0].first_seen_at", "2026-11-25");
	expect_bad_time(mkdoc("{\"name\":\"h\"}", "[]", ",\"events\":[{\"at\":\"noon\"}]"),
			"$.events[0].at", "noon");
	expect_bad_time(mkdoc("{\"name\":\"h\"}", "[]", ",\"clients_complete_since\":\"x\""),
			"$.clients_complete_since", "x");
}
END_TEST

START_TEST(element_over_cap)
{
	size_t big = SCAN_ELEM_MAX + 10;
	char *pad = malloc(big + 1);
	memset(pad, 'x', big);
	pad[big] = '\0';
	char *clients, *t;
	ck_assert_int_ge(asprintf(&clients, "[{\"name\":\"a\"},{\"name\":\"%s\"}]", pad), 0);
	t = mkclients(clients);
	expect_err(t, "$.clients[1]: element larger than 1 MiB");
	free(t);
	free(clients);
	free(pad);
	/* a buffered (non-array) member has its own, larger cap */
	big = SCAN_MEMBER_MAX;
	pad = malloc(big + 1);
	memset(pad, 'y', big);
	pad[big] = '\0';
	ck_assert_int_ge(asprintf(&t, "{\"future\":\"%s\"}", pad), 0);
	expect_err(t, "$.future: value larger than 16 MiB");
	free(t);
	free(pad);
}
END_TEST

/* ---- the clients callback ----------------------------------------------- */

START_TEST(callback_order_and_index)
{
	char *t = mkclients("[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"c\\u0021\"},"
			    "{\"name\":\"d\"},{\"name\":\"e\"}]");
	struct seen s = { .stop_at = -1 };
	struct doc *d = load_ok(t, record, &s);
	ck_assert_uint_eq(s.n, 5);
	ck_assert_uint_eq(d->n_clients, 5);
	ck_assert(d->has_clients);
	const char *names[] = { "a", "b", "c!", "d", "e" };
	for (size_t i = 0; i < 5; i++) {
		ck_assert_uint_eq(s.index[i], i);
		ck_assert_str_eq(s.name[i], names[i]);
	}
	doc_free(d);
	/* without a callback the clients are still validated and counted */
	d = load_ok(t, NULL, NULL);
	ck_assert_uint_eq(d->n_clients, 5);
	doc_free(d);
	free(t);
}
END_TEST

START_TEST(callback_false_stops)
{
	char *t = mkclients("[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"c\"},{\"name\":\"d\"}]");
	struct seen s = { .stop_at = 2, .stop_msg = "too many clients for this test" };
	struct doc *d = (struct doc *)1;
	char err[KMS_ERRLEN];
	ck_assert(!doc_load_buffer(t, strlen(t), record, &s, &d, err));
	ck_assert_ptr_null(d);
	ck_assert_str_eq(err, "too many clients for this test");
	ck_assert_uint_eq(s.n, 3);
	struct seen s2 = { .stop_at = 1, .stop_msg = "" };
	ck_assert(!doc_load_buffer(t, strlen(t), record, &s2, &d, err));
	ck_assert_str_eq(err, "$.clients[1]: refused by the check");
	ck_assert_uint_eq(s2.n, 2);
	free(t);
}
END_TEST

/* The fast path and jansson's path give the same client. */
START_TEST(fast_and_slow_paths_agree)
{
	const char *fields =
		"\"cmid\":\" {C1C1C1C1-0000-4000-8000-00000000C1C1}\",\"virtual\":true,"
		"\"required_count\":25,"
		"\"last_request_at\":\"2026-11-20T08:15:00Z\",\"last_result\":\"0x0\","
		"\"license_state\":1,\"state_expires_in_minutes\":5";
	char *fast, *slow, *a, *b;
	ck_assert_int_ge(asprintf(&a, "[{\"name\":\"pc1\",%s}]", fields), 0);
	ck_assert_int_ge(asprintf(&b, "[{\"name\":\"p\\u00631\",\"o\":{},%s}]", fields), 0);
	fast = mkclients(a);
	slow = mkclients(b);
	struct seen s1 = { .stop_at = -1 }, s2 = { .stop_at = -1 };
	struct doc *d1 = load_ok(fast, record, &s1), *d2 = load_ok(slow, record, &s2);
	ck_assert_str_eq(s1.name[0], "pc1");
	ck_assert_str_eq(s2.name[0], "pc1");
	ck_assert_str_eq(s1.cmid, "c1c1c1c1-0000-4000-8000-00000000c1c1");
	ck_assert_str_eq(s2.cmid, s1.cmid);
	ck_assert_str_eq(s1.result, "0x0");
	ck_assert_str_eq(s2.result, "0x0");
	ck_assert_int_eq(s1.first.is_virtual, 1);
	ck_assert_int_eq(s2.first.is_virtual, 1);
	ck_assert_int_eq(s1.first.required_count, s2.first.required_count);
	ck_assert_double_eq(s1.first.last_request_at, 1795162500.0);
	ck_assert_double_eq(s2.first.last_request_at, 1795162500.0);
	ck_assert_int_eq(s1.first.state_expires_in_minutes, 5);
	ck_assert_int_eq(s2.first.state_expires_in_minutes, 5);
	ck_assert_uint_eq(s1.first.result_code, 0);
	ck_assert(s1.first.has_result_code && s2.first.has_result_code);
	doc_free(d1);
	doc_free(d2);
	free(fast);
	free(slow);
	free(a);
	free(b);
	/* what the fast path must not accept, jansson refuses */
	expect_err_free(mkclients("[{\"name\":\"a\",\"name\":\"b\"}]"),
			"invalid JSON at line 1, column 140: duplicate object key near '\"name\"'");
	expect_err_free(mkclients("[{\"name\":\"a\",\"n\":01}]"),
			"invalid JSON at line 1, column 139: invalid token near '0'");
	expect_err_free(mkclients("[{\"name\":\"a\",\"n\":tru}]"),
			"invalid JSON at line 1, column 141: invalid token near 'tru'");
	expect_err_free(mkclients("[{\"name\":\"a\",\"n\":99999999999999999999}]"),
			"invalid JSON at line 1, column 158: too big integer near '99999999999999999999'");
	/* a real that overflows a double: jansson refuses it, so the fast
	 * path must not take it, not even in a member it otherwise skips */
	expect_err_free(mkclients("[{\"name\":\"a\",\"n\":1e400}]"),
			"invalid JSON at line 1, column 143: real number overflow near '1e400'");
	char big[420], *text;
	memset(big, '1', 400);
	strcpy(big + 400, ".5");
	ck_assert_int_ge(asprintf(&text, "[{\"name\":\"a\",\"n\":%s}]", big), 0);
	expect_err_free(mkclients(text), "invalid JSON at line 1, column 540: real number overflow");
	free(text);
}
END_TEST

/* Every proper prefix of a valid document is refused as truncated (or
 * empty), never accepted and never a crash. */
START_TEST(every_prefix_is_truncated)
{
	size_t len = sizeof FULL - 1;
	/* the document ends at its final '}' (a newline follows) */
	for (size_t n = 0; n < len - 1; n++) {
		struct doc *d = (struct doc *)1;
		char err[KMS_ERRLEN] = "";
		ck_assert_msg(!doc_load_buffer(FULL, n, NULL, NULL, &d, err),
			      "prefix %zu accepted", n);
		ck_assert_ptr_null(d);
		ck_assert_msg(strncmp(err, "invalid JSON: document ends early (line ", 40) == 0 ||
			      strcmp(err, "invalid JSON: the document is empty") == 0,
			      "prefix %zu: %s", n, err);
	}
}
END_TEST

/* Every single-byte change of a valid document: whatever the loader
 * accepts, jansson accepts too (the scanner and the fast path never let
 * invalid JSON through), and every refusal has a message. */
START_TEST(single_byte_mutations)
{
	static const char subst[] = "\"{}[],:\\0x \n-e";
	size_t len = sizeof FULL - 1;
	char *buf = malloc(len);
	for (size_t i = 0; i < len; i++) {
		/* two substitutes per position, rotating through the set
		 * (NUL included), keeps the test quick under valgrind */
		for (size_t r = 0; r < 2; r++) {
			size_t k = (i * (r ? 7 : 1) + r * 3) % sizeof subst;
			memcpy(buf, FULL, len);
			if (buf[i] == subst[k])
				continue;
			buf[i] = subst[k];
			struct doc *d = NULL;
			char err[KMS_ERRLEN] = "";
			if (doc_load_buffer(buf, len, NULL, NULL, &d, err)) {
				json_error_t je;
				json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
				ck_assert_msg(j != NULL, "byte %zu -> 0x%02x accepted, jansson: %s",
					      i, (unsigned char)subst[k], je.text);
				json_decref(j);
				doc_free(d);
			} else {
				ck_assert_ptr_null(d);
				ck_assert_msg(err[0] != '\0', "byte %zu: empty message", i);
			}
		}
	}
	free(buf);
}
END_TEST

/* ---- the scanner on its own: chunk boundaries change nothing ------------ */

struct trace {
	char log[4096];
	size_t len;
};

static void tr(struct trace *t, const char *kind, const char *key, size_t idx,
	       const char *raw, size_t len, const struct scan_pos *at)
{
	int n = snprintf(t->log + t->len, sizeof t->log - t->len,
			 "%s %s %zu %lu:%lu %.*s\n", kind, key, idx,
			 at ? at->line : 0, at ? at->col : 0, (int)len, raw ? raw : "");
	if (n > 0)
		t->len += (size_t)n;
}

static bool t_stream(void *ctx, const char *key)
{
	(void)ctx;
	return strcmp(key, "c") == 0;
}

static bool t_member(void *ctx, const char *key, const char *raw, size_t len,
		     const struct scan_pos *at, char err[KMS_ERRLEN])
{
	(void)err;
	tr(ctx, "member", key, 0, raw, len, at);
	return true;
}

static bool t_elem(void *ctx, const char *key, size_t index, char *raw,
		   size_t len, const struct scan_pos *at, char err[KMS_ERRLEN])
{
	(void)err;
	tr(ctx, "elem", key, index, raw, len, at);
	return true;
}

static bool t_end(void *ctx, const char *key, size_t n, char err[KMS_ERRLEN])
{
	(void)err;
	tr(ctx, "end", key, n, NULL, 0, NULL);
	return true;
}

/* Scan text in chunks of `chunk` bytes; the trace and any error out. */
static bool scan_chunked(const char *text, size_t chunk, struct trace *t,
			 char err[KMS_ERRLEN])
{
	const struct scan_handlers h = { t_stream, t_member, t_elem, t_end, t };
	struct scan *s = scan_new(&h);
	size_t len = strlen(text);
	bool ok = true;
	t->len = 0;
	t->log[0] = '\0';
	for (size_t i = 0; ok && i < len; i += chunk)
		ok = scan_feed(s, text + i, len - i < chunk ? len - i : chunk, err);
	ok = ok && scan_finish(s, err);
	scan_free(s);
	return ok;
}

START_TEST(scanner_chunking)
{
	const char *text =
		"{\"a\" : \"x\\\"}{[\" ,\n"
		" \"b\":-12.5e3,\"c\":[ {\"k\":[1,\"]\"]} , 7,\"s\\\\\" ,null],\n"
		" \"\\u0064\":{\"e\":[]}, \"c2\":true }  \n";
	struct trace whole, part;
	char err[KMS_ERRLEN];
	ck_assert_msg(scan_chunked(text, 1 << 20, &whole, err), "%s", err);
	ck_assert_str_eq(whole.log,
			 "member a 0 1:8 \"x\\\"}{[\"\n"
			 "member b 0 2:6 -12.5e3\n"
			 "elem c 0 2:20 {\"k\":[1,\"]\"]}\n"
			 "elem c 1 2:36 7\n"
			 "elem c 2 2:38 \"s\\\\\"\n"
			 "elem c 3 2:45 null\n"
			 "end c 4 0:0 \n"
			 "member d 0 3:11 {\"e\":[]}\n"
			 "member c2 0 3:26 true\n");
	for (size_t chunk = 1; chunk <= 9; chunk++) {
		ck_assert_msg(scan_chunked(text, chunk, &part, err), "%s", err);
		ck_assert_str_eq(part.log, whole.log);
	}
	/* an error is found at the same place whatever the chunking */
	const char *bad = "{\"c\":[{\"a\":1}\n  {\"b\":2}]}";
	for (size_t chunk = 1; chunk <= 5; chunk++) {
		ck_assert(!scan_chunked(bad, chunk, &part, err));
		ck_assert_str_eq(err, "invalid JSON at line 2, column 3: expected ',' or ']' after an array element");
	}
}
END_TEST

/* ---- doc_load through fetch_stream -------------------------------------- */

START_TEST(load_from_file)
{
	char path[] = "/tmp/test_doc_XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, FULL, sizeof FULL - 1), (ssize_t)(sizeof FULL - 1));
	close(fd);
	struct fetch_opts fo = { .max_size = FETCH_DEFAULT_MAX_SIZE };
	struct doc *d = NULL;
	char err[KMS_ERRLEN];
	struct seen s = { .stop_at = -1 };
	ck_assert_msg(doc_load(path, &fo, record, &s, &d, err), "%s", err);
	ck_assert_uint_eq(d->n_clients, 1);
	ck_assert_str_eq(d->host.name, "kms01.corp.example");
	doc_free(d);
	/* a scanner error keeps its own words through fetch_stream */
	ck_assert_int_eq(truncate(path, 100), 0);
	ck_assert(!doc_load(path, &fo, NULL, NULL, &d, err));
	ck_assert_str_eq(err, "invalid JSON: document ends early (line 5, column 4)");
	unlink(path);
}
END_TEST

/* ---- freshness ------------------------------------------------------------ */

START_TEST(freshness_messages)
{
	struct doc d = { .generated_at = T_GEN };
	char msg[KMS_ERRLEN];
	ck_assert_int_eq(doc_freshness(&d, T_GEN + 3600, 3600, STATE_UNKNOWN, msg), STATE_OK);
	ck_assert_str_eq(msg, "");
	ck_assert_int_eq(doc_freshness(&d, T_GEN - 299, 3600, STATE_UNKNOWN, msg), STATE_OK);
	ck_assert_int_eq(doc_freshness(&d, T_GEN + 3 * 3600 + 600, 3600, STATE_WARNING, msg),
			 STATE_WARNING);
	ck_assert_str_eq(msg, "status document is 3 h 10 min old (generated 2026-11-25 14:00 UTC, "
			 "max 1 h): is the exporter's scheduled task running?");
	ck_assert_int_eq(doc_freshness(&d, T_GEN + 3601, 3600, STATE_UNKNOWN, msg), STATE_UNKNOWN);
	ck_assert_str_eq(msg, "status document is 1 h old (generated 2026-11-25 14:00 UTC, "
			 "max 1 h): is the exporter's scheduled task running?");
	ck_assert_int_eq(doc_freshness(&d, T_GEN - 7200, 3600, STATE_CRITICAL, msg), STATE_CRITICAL);
	ck_assert_str_eq(msg, "status document is dated 2 h in the future (generated 2026-11-25 "
			 "14:00 UTC, now 2026-11-25 12:00 UTC): check the clocks");
	ck_assert_int_eq(doc_freshness(&d, T_GEN - 301, 3600, STATE_UNKNOWN, msg), STATE_UNKNOWN);
	ck_assert_str_eq(msg, "status document is dated 5 min in the future (generated 2026-11-25 "
			 "14:00 UTC, now 2026-11-25 13:54 UTC): check the clocks");
}
END_TEST

/* ---- names ---------------------------------------------------------------- */

START_TEST(names_and_families)
{
	ck_assert_str_eq(license_state_name(0), "unlicensed");
	ck_assert_str_eq(license_state_name(1), "licensed");
	ck_assert_str_eq(license_state_name(2), "OOB grace");
	ck_assert_str_eq(license_state_name(3), "OOT grace");
	ck_assert_str_eq(license_state_name(4), "non-genuine grace");
	ck_assert_str_eq(license_state_name(5), "notification");
	ck_assert_str_eq(license_state_name(6), "extended grace");
	ck_assert_str_eq(license_state_name(9), "state 9");
	ck_assert_str_eq(license_state_name(-1), "state -1");
	ck_assert_int_eq(app_family(APPID_WINDOWS), APP_WINDOWS);
	ck_assert_int_eq(app_family("55C92734-D682-4D71-983E-D6EC3F16059F"), APP_WINDOWS);
	ck_assert_int_eq(app_family(APPID_OFFICE2013), APP_OFFICE);
	ck_assert_int_eq(app_family(APPID_OFFICE2010), APP_OFFICE);
	ck_assert_int_eq(app_family("00000000-0000-0000-0000-000000000000"), APP_OTHER);
	ck_assert_int_eq(app_family(NULL), APP_OTHER);
	ck_assert(app_matches(APPID_WINDOWS, "windows"));
	ck_assert(app_matches(APPID_WINDOWS, "Windows"));
	ck_assert(!app_matches(APPID_WINDOWS, "office"));
	ck_assert(app_matches(APPID_OFFICE2010, "OFFICE"));
	ck_assert(app_matches(APPID_OFFICE2013, "0FF1CE15-A989-479D-AF46-F275C6370663"));
	ck_assert(!app_matches(APPID_OFFICE2013, APPID_OFFICE2010));
	ck_assert(!app_matches(NULL, "windows"));
	struct doc_product p = { .name = "Custom product", .application_id = "1234" };
	ck_assert_str_eq(product_short_name(&p), "Custom product");
	p.application_id = APPID_OFFICE2010;
	ck_assert_str_eq(product_short_name(&p), "Office 2010");
	p.application_id = "1234";
	p.name = NULL;
	ck_assert_str_eq(product_short_name(&p), "1234");
	p.application_id = NULL;
	ck_assert_str_eq(product_short_name(&p), "unnamed product");
}
END_TEST

/* ---- issue 14: GUID forms, ranges, encodings ----------------------------- */

/* Each GUID spelling Windows writes, for a product and for a client's three
 * GUIDs, on the fast path (plain ASCII) and on jansson's (an escape in the
 * name forces it): all read as the canonical lower-case text. */
START_TEST(guid_forms_normalised)
{
	static const char *const forms[] = {
		"55c92734-d682-4d71-983e-d6ec3f16059f",
		"55C92734-D682-4D71-983E-D6EC3F16059F",
		"{55c92734-d682-4d71-983e-d6ec3f16059f}",
		"{55C92734-D682-4d71-983E-d6ec3f16059F}",
		" 55c92734-d682-4d71-983e-d6ec3f16059f",
		"55C92734-D682-4D71-983E-D6EC3F16059F  ",
		"  {55C92734-D682-4D71-983E-D6EC3F16059F} ",
		"{ 55c92734-d682-4d71-983e-d6ec3f16059f }",
		"\\t{55c92734-d682-4d71-983e-d6ec3f16059f}\\r\\n",
	};
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		char prod[256], cl[512];
		snprintf(prod, sizeof prod, "[{\"name\":\"x\",\"application_id\":\"%s\"}]", forms[i]);
		for (int slow = 0; slow < 2; slow++) {
			snprintf(cl, sizeof cl,
				 ",\"clients\":[{\"name\":\"%s\",\"cmid\":\"%s\",\"sku_id\":\"%s\","
				 "\"application_id\":\"%s\"}]",
				 slow ? "p\\u00631" : "pc1", forms[i], forms[i], forms[i]);
			char *t = mkdoc("{\"name\":\"h\"}", prod, cl);
			struct seen s = { .stop_at = -1 };
			struct doc *d = load_ok(t, record, &s);
			ck_assert_str_eq(d->products[0].application_id, APPID_WINDOWS);
			ck_assert_int_eq(product_family(&d->products[0]), APP_WINDOWS);
			ck_assert_str_eq(product_short_name(&d->products[0]), "Windows");
			ck_assert_str_eq(s.cmid, APPID_WINDOWS);
			ck_assert_str_eq(s.sku, APPID_WINDOWS);
			ck_assert_str_eq(s.appid, APPID_WINDOWS);
			doc_free(d);
			free(t);
		}
		/* the selectors take the same forms */
		char sel[64];
		snprintf(sel, sizeof sel, "%s", forms[i]);
		if (!strchr(sel, '\\')) {
			char err[KMS_ERRLEN];
			ck_assert_msg(app_selector_valid("--product", sel, err), "%s", sel);
			ck_assert(app_matches(APPID_WINDOWS, sel));
			ck_assert_int_eq(app_family(sel), APP_WINDOWS);
		}
	}
}
END_TEST

/* What is no GUID is refused with the path, for products and clients. */
START_TEST(guid_refused)
{
	static const char *const bad[] = {
		"", " ", "{}", "x", "55c92734-d682-4d71-983e-d6ec3f16059",
		"55c92734-d682-4d71-983e-d6ec3f16059f0", "55c92734d6824d71983ed6ec3f16059f",
		"{55c92734-d682-4d71-983e-d6ec3f16059f", "55c92734-d682-4d71-983e-d6ec3f16059f}",
		"{{55c92734-d682-4d71-983e-d6ec3f16059f}}", "55c92734-d682-4d71-983e-d6ec3f1605g9",
		"55c92734_d682_4d71_983e_d6ec3f16059f", "(55c92734-d682-4d71-983e-d6ec3f16059f)",
	};
	static const char *const client_fields_[] = { "cmid", "sku_id", "application_id" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char prod[256], msg[256], cl[256];
		snprintf(prod, sizeof prod, "[{},{\"application_id\":\"%s\"}]", bad[i]);
		snprintf(msg, sizeof msg, "$.products[1].application_id: not a GUID: \"%s\"", bad[i]);
		expect_err_free(mkdoc("{\"name\":\"h\"}", prod, ""), msg);
		for (size_t k = 0; k < 3; k++) {
			snprintf(cl, sizeof cl, "[{},{\"%s\":\"%s\"}]", client_fields_[k], bad[i]);
			snprintf(msg, sizeof msg, "$.clients[1].%s: not a GUID: \"%s\"",
				 client_fields_[k], bad[i]);
			expect_err_free(mkclients(cl), msg);
		}
	}
}
END_TEST

/* Classification: by id, else by the name's first word of Windows/Office,
 * else none (the plugins must not guess). */
START_TEST(product_families)
{
	static const struct {
		const char *name, *id;
		enum app_family fam;
		const char *short_name;
	} cases[] = {
		{ "Office 16 KMS host", APPID_WINDOWS, APP_WINDOWS, "Windows" },
		{ NULL, APPID_OFFICE2013, APP_OFFICE, "Office 2013+" },
		{ "Windows(R), ServerStandard edition VOLUME_KMS_R2_C channel", NULL,
		  APP_WINDOWS, "Windows" },
		{ "Windows(R), ServerStandard edition", "12345678-1234-1234-1234-123456789abc",
		  APP_WINDOWS, "Windows" },
		{ "Microsoft windows Server 2022 KMS", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
		  APP_WINDOWS, "Windows" },
		{ "Office 16, Office16ProPlusKMSHostVL_KMS_Host edition", NULL, APP_OFFICE, "Office" },
		{ "office 15, OfficeKMSHostVL_KMS_Host edition", "12345678-1234-1234-1234-123456789abc",
		  APP_OFFICE, "Office" },
		{ "Office for Windows", NULL, APP_OFFICE, "Office" },
		{ "Windows KMS for Office", NULL, APP_WINDOWS, "Windows" },
		{ "Visio KMS", "12345678-1234-1234-1234-123456789abc", APP_OTHER, "Visio KMS" },
		{ "Office16ProPlus", NULL, APP_OFFICE, "Office" },
		{ "BackOffice Server", NULL, APP_OTHER, "BackOffice Server" },
		{ "WindowsXP", NULL, APP_OTHER, "WindowsXP" },
		{ NULL, "12345678-1234-1234-1234-123456789abc", APP_OTHER,
		  "12345678-1234-1234-1234-123456789abc" },
		{ NULL, NULL, APP_OTHER, "unnamed product" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct doc_product p = { .name = (char *)cases[i].name,
					 .application_id = (char *)cases[i].id };
		ck_assert_msg(product_family(&p) == cases[i].fam, "case %zu", i);
		ck_assert_str_eq(product_short_name(&p), cases[i].short_name);
	}
}
END_TEST

/* Every schema minimum and range, with the path; the bounds themselves and
 * absent/null load. One value per line: where, the JSON, the message. */
START_TEST(value_ranges)
{
	static const struct {
		const char *host, *products, *rest, *msg;
	} bad[] = {
		{ "{\"name\":\"h\",\"port\":0}", "[]", "", "$.host.port: 0 is not a port number (1..65535)" },
		{ "{\"name\":\"h\",\"port\":-1}", "[]", "", "$.host.port: -1 is not a port number (1..65535)" },
		{ "{\"name\":\"h\",\"port\":65536}", "[]", "", "$.host.port: 65536 is not a port number (1..65535)" },
		{ "{\"name\":\"h\",\"port\":70000}", "[]", "", "$.host.port: 70000 is not a port number (1..65535)" },
		{ "{\"name\":\"h\",\"port\":4294967295}", "[]", "",
		  "$.host.port: 4294967295 is not a port number (1..65535)" },
		{ "{\"name\":\"h\",\"port\":-9223372036854775808}", "[]", "",
		  "$.host.port: -9223372036854775808 is not a port number (1..65535)" },
		{ "{\"name\":\"h\",\"activation_interval_minutes\":-1}", "[]", "",
		  "$.host.activation_interval_minutes: -1 is negative" },
		{ "{\"name\":\"h\",\"renewal_interval_minutes\":-10080}", "[]", "",
		  "$.host.renewal_interval_minutes: -10080 is negative" },
		{ "{\"name\":\"\"}", "[]", "", "$.host.name: empty" },
		{ "{\"name\":\"h\"}", "[{\"grace_remaining_minutes\":-5}]", "",
		  "$.products[0].grace_remaining_minutes: -5 is negative" },
		{ "{\"name\":\"h\"}", "[{},{\"grace_remaining_minutes\":-1}]", "",
		  "$.products[1].grace_remaining_minutes: -1 is negative" },
		{ "{\"name\":\"h\"}", "[{\"license_status\":-1}]", "",
		  "$.products[0].license_status: -1 is not a license state (0..6)" },
		{ "{\"name\":\"h\"}", "[{\"license_status\":7}]", "",
		  "$.products[0].license_status: 7 is not a license state (0..6)" },
		{ "{\"name\":\"h\"}", "[{\"requests\":{\"total\":-1}}]", "",
		  "$.products[0].requests.total: -1 is negative" },
		{ "{\"name\":\"h\"}", "[{\"requests\":{\"notification\":-3}}]", "",
		  "$.products[0].requests.notification: -3 is negative" },
		{ "{\"name\":\"h\"}", "[]", ",\"clients\":[{\"state_expires_in_minutes\":-1}]",
		  "$.clients[0].state_expires_in_minutes: -1 is negative" },
		{ "{\"name\":\"h\"}", "[]", ",\"clients\":[{},{\"state_expires_in_minutes\":-43200}]",
		  "$.clients[1].state_expires_in_minutes: -43200 is negative" },
		{ "{\"name\":\"h\"}", "[]", ",\"clients\":[{\"required_count\":0}]",
		  "$.clients[0].required_count: 0 is below the minimum 1" },
		{ "{\"name\":\"h\"}", "[]", ",\"clients\":[{\"required_count\":-1}]",
		  "$.clients[0].required_count: -1 is below the minimum 1" },
		{ "{\"name\":\"h\"}", "[]", ",\"clients\":[{\"license_state\":-1}]",
		  "$.clients[0].license_state: -1 is not a license state (0..6)" },
		{ "{\"name\":\"h\"}", "[]", ",\"clients\":[{\"license_state\":7}]",
		  "$.clients[0].license_state: 7 is not a license state (0..6)" },
		{ "{\"name\":\"h\"}", "[]",
		  ",\"clients\":[{\"license_state\":-9223372036854775808}]",
		  "$.clients[0].license_state: -9223372036854775808 is not a license state (0..6)" },
		{ "{\"name\":\"h\"}", "[]", ",\"events\":[{\"id\":-1}]",
		  "$.events[0].id: -1 is not an event id (0..65535)" },
		{ "{\"name\":\"h\"}", "[]", ",\"events\":[{\"id\":65536}]",
		  "$.events[0].id: 65536 is not an event id (0..65535)" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		expect_err_free(mkdoc(bad[i].host, bad[i].products, bad[i].rest), bad[i].msg);
		/* the same client on jansson's path (an escape in its name) */
		if (strstr(bad[i].rest, "clients")) {
			char rest[256];
			const char *brace = strrchr(bad[i].rest, '{');
			snprintf(rest, sizeof rest, "%.*s{\"name\":\"\\u0061\",%s",
				 (int)(brace - bad[i].rest), bad[i].rest, brace + 1);
			expect_err_free(mkdoc(bad[i].host, bad[i].products, rest), bad[i].msg);
		}
	}
	/* the bounds load */
	char *t = mkdoc("{\"name\":\"h\",\"port\":65535,\"activation_interval_minutes\":0,"
			"\"renewal_interval_minutes\":0}",
			"[{\"grace_remaining_minutes\":0,\"license_status\":0,\"current_count\":0,"
			"\"requests\":{\"total\":0}},{\"license_status\":6}]",
			",\"clients\":[{\"required_count\":1,\"state_expires_in_minutes\":0,"
			"\"license_state\":0},{\"license_state\":6}],"
			"\"events\":[{\"id\":0},{\"id\":65535}]");
	struct seen s = { .stop_at = -1 };
	struct doc *d = load_ok(t, record, &s);
	ck_assert_int_eq(d->host.port, 65535);
	ck_assert_int_eq(d->host.activation_interval_minutes, 0);
	ck_assert_int_eq(d->products[0].grace_remaining_minutes, 0);
	ck_assert_int_eq(d->products[0].current_count, 0);
	ck_assert_int_eq(d->products[1].license_status, 6);
	ck_assert_int_eq(s.first.required_count, 1);
	ck_assert_int_eq(s.first.state_expires_in_minutes, 0);
	ck_assert_int_eq(d->events[1].id, 65535);
	doc_free(d);
	free(t);
	t = mkdoc("{\"name\":\"h\",\"port\":1}", "[]", "");
	d = load_ok(t, NULL, NULL);
	ck_assert_int_eq(d->host.port, 1);
	doc_free(d);
	free(t);
	/* absent and null read DOC_ABSENT, which no document value can be */
	ck_assert_int_lt(DOC_ABSENT, -1);
	t = mkdoc("{\"name\":\"h\",\"activation_interval_minutes\":null}",
		  "[{\"grace_remaining_minutes\":null}]",
		  ",\"clients\":[{\"required_count\":null}],\"events\":[{}]");
	memset(&s, 0, sizeof s);
	s.stop_at = -1;
	d = load_ok(t, record, &s);
	ck_assert_int_eq(d->host.activation_interval_minutes, DOC_ABSENT);
	ck_assert_int_eq(d->host.renewal_interval_minutes, DOC_ABSENT);
	ck_assert_int_eq(d->products[0].grace_remaining_minutes, DOC_ABSENT);
	ck_assert_int_eq(s.first.required_count, DOC_ABSENT);
	ck_assert_int_eq(s.first.state_expires_in_minutes, DOC_ABSENT);
	ck_assert_int_eq(d->events[0].id, DOC_ABSENT);
	doc_free(d);
	free(t);
}
END_TEST

/* Feed text to the loader's scanner in chunks of n bytes through doc_load
 * (a file: fetch_stream reads it in its own chunks) and doc_load_buffer. */
static void expect_err_file(const char *text, size_t len, const char *msg)
{
	char path[] = "/tmp/test_doc_XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
	struct fetch_opts fo = { .max_size = FETCH_DEFAULT_MAX_SIZE };
	struct doc *d = (struct doc *)1;
	char err[KMS_ERRLEN] = "";
	ck_assert(!doc_load(path, &fo, NULL, NULL, &d, err));
	ck_assert_ptr_null(d);
	ck_assert_str_eq(err, msg);
	unlink(path);
	d = (struct doc *)1;
	ck_assert(!doc_load_buffer(text, len, NULL, NULL, &d, err));
	ck_assert_ptr_null(d);
	ck_assert_str_eq(err, msg);
}

/* A scanner that only counts members, fed in chunks of n bytes. */
static bool count_stream(void *ctx, const char *key) { (void)ctx; (void)key; return false; }
static bool count_member(void *ctx, const char *key, const char *raw, size_t len,
		       const struct scan_pos *at, char err[KMS_ERRLEN])
{
	(void)key; (void)raw; (void)len; (void)at; (void)err;
	(*(int *)ctx)++;
	return true;
}

static bool scan_in_chunks(const char *text, size_t len, size_t n, int *members,
			 char err[KMS_ERRLEN])
{
	struct scan_handlers h = { .stream = count_stream, .member = count_member, .ctx = members };
	struct scan *s = scan_new(&h);
	bool ok = true;
	for (size_t off = 0; ok && off < len; off += n)
		ok = scan_feed(s, text + off, len - off < n ? len - off : n, err);
	ok = ok && scan_finish(s, err);
	scan_free(s);
	return ok;
}

START_TEST(byte_order_mark_and_utf16)
{
	/* a UTF-8 BOM is skipped, whole or split across chunks */
	size_t flen = sizeof FULL - 1;
	char *bom = malloc(flen + 3);
	memcpy(bom, "\xEF\xBB\xBF", 3);
	memcpy(bom + 3, FULL, flen);
	struct seen s = { .stop_at = -1 };
	struct doc *d = NULL;
	char err[KMS_ERRLEN] = "";
	ck_assert_msg(doc_load_buffer(bom, flen + 3, record, &s, &d, err), "%s", err);
	ck_assert_str_eq(d->host.name, "kms01.corp.example");
	ck_assert_uint_eq(s.n, 1);
	doc_free(d);
	for (size_t n = 1; n <= 8; n++) {
		int m = 0;
		ck_assert_msg(scan_in_chunks(bom, flen + 3, n, &m, err), "chunk %zu: %s", n, err);
		ck_assert_int_eq(m, 8);
	}
	/* positions count from after it: the same as without */
	expect_err("\xEF\xBB\xBF{\n \"format\": ]}",
		   "invalid JSON at line 2, column 12: expected a value");
	expect_err("{\n \"format\": ]}", "invalid JSON at line 2, column 12: expected a value");
	/* only one BOM, and only at the start */
	expect_err("\xEF\xBB\xBF\xEF\xBB\xBF{}",
		   "invalid JSON at line 1, column 1: the document must be a JSON object");
	expect_err(" \xEF\xBB\xBF{}",
		   "invalid JSON at line 1, column 2: the document must be a JSON object");
	expect_err("\xEF\xBB\xBF", "invalid JSON: the document is empty");
	expect_err("\xEF\xBB\xBF \n", "invalid JSON: the document is empty");
	expect_err("\xEF\xBB", "invalid JSON at line 1, column 1: the document must be a JSON object");
	free(bom);

	/* UTF-16, LE and BE, with and without a BOM, whole, in chunks, from
	 * a file: refused by name */
	static const char U16[] = "is UTF-16; the exporter writes UTF-8";
	const char *ascii = "{\"format\":\"kms-status\"}";
	size_t alen = strlen(ascii);
	for (int be = 0; be < 2; be++) {
		for (int with_bom = 0; with_bom < 2; with_bom++) {
			char u[128];
			size_t n = 0;
			if (with_bom) {
				u[n++] = be ? '\xFE' : '\xFF';
				u[n++] = be ? '\xFF' : '\xFE';
			}
			for (size_t i = 0; i < alen; i++) {
				u[n++] = be ? '\0' : ascii[i];
				u[n++] = be ? ascii[i] : '\0';
			}
			expect_err_file(u, n, U16);
			for (size_t c = 1; c <= 5; c++) {
				int m = 0;
				ck_assert(!scan_in_chunks(u, n, c, &m, err));
				ck_assert_str_eq(err, U16);
				ck_assert_int_eq(m, 0);
			}
			/* a BOM alone, or a UTF-16 "{" of 2 bytes, is still UTF-16 */
			expect_err_file(u, 2, U16);
		}
	}
	/* UTF-16 with leading blanks: " \0{\0" */
	expect_err_file(" \0{\0}\0", 6, U16);
	expect_err_file("{\0", 2, U16);
	expect_err_file("\0{", 2, U16);
	/* NULs that are no UTF-16 pattern (binary garbage, UTF-32) are JSON's
	 * business, and so is a NUL after the first 4 bytes */
	expect_err_file("\0\0\0\0\1\2", 6,
			"invalid JSON at line 1, column 1: the document must be a JSON object");
	expect_err_file("\0", 1,
			"invalid JSON at line 1, column 1: the document must be a JSON object");
	expect_err_file("{\0\0\0", 4,
			"invalid JSON at line 1, column 2: expected a member name in double quotes");
	expect_err_file("{ \"a\0\":1}", 9,
			"invalid JSON at line 1, column 4: control character 0x0 near '\"a'");
}
END_TEST

/* ---- issue 15: the inventory is keyed by (CMID, product) ----------------- */

#define CM "0d6b5c2e-1111-4a4a-8b8b-0123456789ab"
#define SKU_ENT "73111121-5638-40f6-bc11-f1d7b0d64300"   /* Windows 10/11 Enterprise */
#define SKU_PP24 "8d368fc1-9470-4be2-8d66-90e836cbb051"  /* Office LTSC ProPlus 2024 */
#define SKU_SYN "5a1e0c4b-7e2d-4c1a-9f3e-2b8d6a0c1e01"   /* in no table */

/* Clients a and b (member text without braces) at $.clients[2] and [4] among
 * fillers without a CMID; slow puts an escape in every name, so each element
 * takes jansson's path. */
static char *pair_doc(const char *a, const char *b, bool slow)
{
	const char *nm = slow ? "\"name\":\"p\\u0063\"," : "\"name\":\"pc\",";
	char *arr, *t;
	ck_assert_int_ge(asprintf(&arr, "[{%s\"x\":1},{%s\"x\":2},{%s%s},{%s\"x\":3},{%s%s}]",
				  nm, nm, nm, a, nm, nm, b), 0);
	t = mkclients(arr);
	free(arr);
	return t;
}

/* doc_load_all: a job with caller_keys hands a repeated pair to its
 * callback (the caller refuses it), one without refuses it as doc_load. */
START_TEST(caller_keys_skips_the_pair_set)
{
	char *t = pair_doc("\"cmid\":\"" CM "\",\"sku_id\":\"" SKU_ENT "\"",
			   "\"cmid\":\"" CM "\",\"sku_id\":\"" SKU_ENT "\"", false);
	char path[] = "/tmp/test_doc_XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, t, strlen(t)), (ssize_t)strlen(t));
	close(fd);
	free(t);
	struct fetch_opts fo = { .max_size = FETCH_DEFAULT_MAX_SIZE };
	struct seen s[2] = { { .stop_at = -1 }, { .stop_at = -1 } };
	struct doc_job jobs[2] = {
		{ .url = path, .on_client = record, .ctx = &s[0] },
		{ .url = path, .on_client = record, .ctx = &s[1], .caller_keys = true },
	};
	doc_load_all(jobs, 2, &fo);
	ck_assert_ptr_null(jobs[0].doc);
	ck_assert_str_eq(jobs[0].err, "$.clients[4]: CMID " CM " and product Windows already at $.clients[2]");
	ck_assert_uint_eq(s[0].n, 4);
	ck_assert_msg(jobs[1].doc != NULL, "%s", jobs[1].err);
	ck_assert_uint_eq(jobs[1].doc->n_clients, 5);
	ck_assert_uint_eq(s[1].n, 5);
	doc_free(jobs[1].doc);
	unlink(path);
}
END_TEST

START_TEST(duplicate_cmid_and_product_refused)
{
	static const struct {
		const char *a, *b, *product;
	} dup[] = {
		/* the same SKU twice */
		{ "\"cmid\":\"" CM "\",\"sku_id\":\"" SKU_ENT "\"",
		  "\"cmid\":\"" CM "\",\"sku_id\":\"" SKU_ENT "\"", "Windows" },
		/* the CMID in another spelling, the product settled another way */
		{ "\"cmid\":\"" CM "\",\"sku_id\":\"" SKU_ENT "\"",
		  "\"cmid\":\"{0D6B5C2E-1111-4A4A-8B8B-0123456789AB}\",\"required_count\":25", "Windows" },
		{ "\"cmid\":\"" CM "\",\"application_id\":\"" APPID_WINDOWS "\"",
		  "\"cmid\":\" " CM "\",\"sku_id\":\"" SKU_SYN "\",\"required_count\":25", "Windows" },
		{ "\"cmid\":\"" CM "\",\"sku_id\":\"" SKU_PP24 "\"",
		  "\"cmid\":\"" CM "\",\"required_count\":5,\"application_id\":\"0FF1CE15-A989-479D-AF46-F275C6370663\"",
		  "Office 2013+" },
		{ "\"cmid\":\"" CM "\",\"application_id\":\"" APPID_OFFICE2010 "\"",
		  "\"cmid\":\"" CM "\",\"application_id\":\"" APPID_OFFICE2010 "\"", "Office 2010" },
		/* an application this plugin does not know is still a product */
		{ "\"cmid\":\"" CM "\",\"application_id\":\"12345678-1234-1234-1234-123456789abc\"",
		  "\"cmid\":\"" CM "\",\"application_id\":\"12345678-1234-1234-1234-123456789ABC\"",
		  "12345678-1234-1234-1234-123456789abc" },
	};
	for (size_t i = 0; i < sizeof dup / sizeof dup[0]; i++)
		for (int slow = 0; slow < 2; slow++) {
			char want[KMS_ERRLEN];
			snprintf(want, sizeof want,
				 "$.clients[4]: CMID " CM " and product %s already at $.clients[2]",
				 dup[i].product);
			struct seen s = { .stop_at = -1 };
			char *t = pair_doc(dup[i].a, dup[i].b, slow);
			struct doc *d = (struct doc *)1;
			char err[KMS_ERRLEN] = "";
			ck_assert_msg(!doc_load_buffer(t, strlen(t), record, &s, &d, err),
				      "case %zu accepted", i);
			ck_assert_ptr_null(d);
			ck_assert_str_eq(err, want);
			/* the callback saw the clients before the duplicate only */
			ck_assert_uint_eq(s.n, 4);
			expect_err(t, want); /* and without a callback */
			free(t);
		}
}
END_TEST

START_TEST(same_cmid_other_product_accepted)
{
	static const struct {
		const char *a, *b;
	} ok[] = {
		/* the case of issue 15: Windows and Office 2013+ on one machine */
		{ "\"cmid\":\"" CM "\",\"sku_id\":\"" SKU_ENT "\"",
		  "\"cmid\":\"" CM "\",\"sku_id\":\"" SKU_PP24 "\"" },
		{ "\"cmid\":\"" CM "\",\"required_count\":25",
		  "\"cmid\":\"" CM "\",\"required_count\":5,\"application_id\":\"" APPID_OFFICE2013 "\"" },
		{ "\"cmid\":\"" CM "\",\"application_id\":\"" APPID_OFFICE2013 "\"",
		  "\"cmid\":\"" CM "\",\"application_id\":\"" APPID_OFFICE2010 "\"" },
		/* a product the rule leaves open is not checked: a server OS and
		 * its Office both ask for 5 */
		{ "\"cmid\":\"" CM "\",\"required_count\":5",
		  "\"cmid\":\"" CM "\",\"required_count\":5" },
		{ "\"cmid\":\"" CM "\"", "\"cmid\":\"" CM "\"" },
		{ "\"cmid\":\"" CM "\",\"required_count\":5",
		  "\"cmid\":\"" CM "\",\"sku_id\":\"ef6cfc9f-8c5d-44ac-9aad-de6a2ea0ae03\"" },
		/* records without a CMID are not checked */
		{ "\"sku_id\":\"" SKU_ENT "\"", "\"sku_id\":\"" SKU_ENT "\"" },
		{ "\"cmid\":null,\"sku_id\":\"" SKU_ENT "\"", "\"sku_id\":\"" SKU_ENT "\"" },
		/* other machines, same product */
		{ "\"cmid\":\"" CM "\",\"sku_id\":\"" SKU_ENT "\"",
		  "\"cmid\":\"0d6b5c2e-1111-4a4a-8b8b-0123456789ac\",\"sku_id\":\"" SKU_ENT "\"" },
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		for (int slow = 0; slow < 2; slow++) {
			struct seen s = { .stop_at = -1 };
			char *t = pair_doc(ok[i].a, ok[i].b, slow);
			struct doc *d = load_ok(t, record, &s);
			ck_assert_uint_eq(s.n, 5);
			ck_assert_uint_eq(d->n_clients, 5);
			doc_free(d);
			free(t);
		}
}
END_TEST

/* Many machines with two products each, in a table that grows many times:
 * all accepted; then the first pair again at the end is found. */
START_TEST(many_pairs_then_one_duplicate)
{
	size_t n = 20000, cap = n * 190 + 400;
	char *arr = malloc(cap), *p = arr;
	ck_assert_ptr_nonnull(arr);
	p += sprintf(p, "[");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s{\"name\":\"m\",\"cmid\":\"%08zx-0000-4000-8000-%012zx\",\"sku_id\":\"%s\"}",
			     i ? "," : "", i / 2, i / 2, i % 2 ? SKU_PP24 : SKU_ENT);
	p += sprintf(p, "]");
	char *t = mkclients(arr);
	struct doc *d = load_ok(t, NULL, NULL);
	ck_assert_uint_eq(d->n_clients, n);
	doc_free(d);
	free(t);
	p[-1] = '\0';
	p += sprintf(p - 1, ",{\"name\":\"m\",\"cmid\":\"00000002-0000-4000-8000-000000000002\","
		     "\"sku_id\":\"%s\"}]", SKU_PP24) - 1;
	t = mkclients(arr);
	char want[KMS_ERRLEN];
	snprintf(want, sizeof want, "$.clients[%zu]: CMID 00000002-0000-4000-8000-000000000002 "
		 "and product Office 2013+ already at $.clients[5]", n);
	expect_err(t, want);
	free(t);
	free(arr);
}
END_TEST

/* ---- issue 18: names_seen and names_seen_count --------------------------- */

/* What the callback saw of each client's names, copied. */
struct names {
	size_t n;                        /* clients */
	bool has[4];
	size_t count[4];                 /* n_names_seen */
	long long total[4];              /* names_seen_count */
	char name[4][DOC_NAMES_SEEN_MAX][64];
	double at[4][DOC_NAMES_SEEN_MAX];
};

static bool record_names(const struct doc_client *c, void *ctx, char err[KMS_ERRLEN])
{
	struct names *s = ctx;
	(void)err;
	if (s->n < 4) {
		s->has[s->n] = c->has_names_seen;
		s->count[s->n] = c->n_names_seen;
		s->total[s->n] = c->names_seen_count;
		ck_assert(c->has_names_seen || (c->n_names_seen == 0 && !c->names_seen));
		for (size_t i = 0; i < c->n_names_seen; i++) {
			snprintf(s->name[s->n][i], sizeof s->name[0][0], "%s", c->names_seen[i].name);
			s->at[s->n][i] = c->names_seen[i].last_request_at;
		}
	}
	s->n++;
	return true;
}

/* The clients array text with each of members (client objects' inner text)
 * as one client; slow adds a nested object member, which sends every
 * element to jansson. The caller frees. */
static char *names_doc(const char *const *members, size_t n, bool slow)
{
	char arr[16384], *p = arr;
	p += sprintf(p, "[");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s{%s%s}", i ? "," : "", slow ? "\"o\":{}," : "",
			     members[i]);
	sprintf(p, "]");
	return mkclients(arr);
}

/* Valid lists: read the same by the fast path and by jansson's. */
START_TEST(names_seen_valid)
{
	static const char *const members[] = {
		/* a rename: the new name first, the old one stopped before */
		"\"name\":\"pc7.corp.example\",\"names_seen\":["
		"{\"name\":\"pc7.corp.example\",\"last_request_at\":\"2026-11-24T09:00:00Z\"},"
		"{\"name\":\"old7.corp.example\",\"last_request_at\":\"2026-10-01T09:00:00+02:00\",\"x\":[1,[]]}],"
		"\"names_seen_count\":3",
		/* an older exporter: neither field */
		"\"name\":\"pc8\"",
		/* null for both, and an empty list with no count */
		"\"name\":\"pc9\",\"names_seen\":null,\"names_seen_count\":null",
		"\"name\":\"pc10\",\"names_seen\":[ ],\"names_seen_count\":0",
	};
	for (int slow = 0; slow < 2; slow++) {
		char *t = names_doc(members, 4, slow);
		struct names s = { 0 };
		struct doc *d = load_ok(t, record_names, &s);
		ck_assert_uint_eq(s.n, 4);
		ck_assert(s.has[0]);
		ck_assert_uint_eq(s.count[0], 2);
		ck_assert_int_eq(s.total[0], 3);
		ck_assert_str_eq(s.name[0][0], "pc7.corp.example");
		ck_assert_double_eq(s.at[0][0], 1795510800.0);
		ck_assert_str_eq(s.name[0][1], "old7.corp.example");
		ck_assert_double_eq(s.at[0][1], 1790838000.0);
		for (size_t i = 1; i < 3; i++) {
			ck_assert(!s.has[i]);
			ck_assert_uint_eq(s.count[i], 0);
			ck_assert_int_eq(s.total[i], DOC_ABSENT);
		}
		ck_assert(s.has[3]);
		ck_assert_uint_eq(s.count[3], 0);
		ck_assert_int_eq(s.total[3], 0);
		doc_free(d);
		free(t);
	}
	/* a null or absent last_request_at reads NAN; the count may be absent;
	 * exactly 32 names is the limit, not over it */
	char m[8192], *p = m;
	p += sprintf(p, "\"name\":\"a\",\"names_seen\":[");
	for (int i = 0; i < DOC_NAMES_SEEN_MAX; i++)
		p += sprintf(p, "%s{\"name\":\"n%02d\"%s}", i ? "," : "", i,
			     i == 0 ? ",\"last_request_at\":null" : "");
	sprintf(p, "]");
	const char *one[] = { m };
	for (int slow = 0; slow < 2; slow++) {
		char *t = names_doc(one, 1, slow);
		struct names s = { 0 };
		struct doc *d = load_ok(t, record_names, &s);
		ck_assert(s.has[0]);
		ck_assert_uint_eq(s.count[0], DOC_NAMES_SEEN_MAX);
		ck_assert_int_eq(s.total[0], DOC_ABSENT);
		ck_assert_str_eq(s.name[0][0], "n00");
		ck_assert_str_eq(s.name[0][31], "n31");
		ck_assert(isnan(s.at[0][0]) && isnan(s.at[0][31]));
		doc_free(d);
		free(t);
	}
}
END_TEST

/* Each refusal, with its exact message, on both paths. */
START_TEST(names_seen_refused)
{
	static const struct {
		const char *member, *msg;
	} bad[] = {
		{ "\"names_seen\":\"pc1\"", "$.clients[1].names_seen: expected array, got string" },
		{ "\"names_seen\":{}", "$.clients[1].names_seen: expected array, got object" },
		{ "\"names_seen\":[\"pc1\"]", "$.clients[1].names_seen[0]: expected object, got string" },
		{ "\"names_seen\":[{\"name\":\"a\"},null]",
		  "$.clients[1].names_seen[1]: expected object, got null" },
		{ "\"names_seen\":[{\"name\":\"a\"},{\"last_request_at\":null}]",
		  "$.clients[1].names_seen[1].name: missing" },
		{ "\"names_seen\":[{\"name\":null}]",
		  "$.clients[1].names_seen[0].name: expected string, got null" },
		{ "\"names_seen\":[{\"name\":7}]",
		  "$.clients[1].names_seen[0].name: expected string, got integer" },
		{ "\"names_seen\":[{\"name\":\"\"}]", "$.clients[1].names_seen[0].name: empty" },
		{ "\"names_seen\":[{\"name\":\"pc1.corp\"},{\"name\":\"b\"},{\"name\":\"PC1.Corp\"}]",
		  "$.clients[1].names_seen[2].name: \"PC1.Corp\" already at names_seen[0]" },
		{ "\"names_seen\":[{\"name\":\"a\",\"last_request_at\":5}]",
		  "$.clients[1].names_seen[0].last_request_at: expected string, got integer" },
		{ "\"names_seen\":[{\"name\":\"a\"},{\"name\":\"b\"}],\"names_seen_count\":1",
		  "$.clients[1].names_seen_count: 1 is less than the 2 names listed" },
		{ "\"names_seen\":[{\"name\":\"a\"}],\"names_seen_count\":0",
		  "$.clients[1].names_seen_count: 0 is less than the 1 name listed" },
		{ "\"names_seen_count\":-1", "$.clients[1].names_seen_count: -1 is negative" },
		{ "\"names_seen_count\":\"2\"",
		  "$.clients[1].names_seen_count: expected integer, got string" },
		{ "\"names_seen_count\":2.0",
		  "$.clients[1].names_seen_count: expected integer, got number" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char m[512];
		snprintf(m, sizeof m, "\"name\":\"x\",%s", bad[i].member);
		const char *members[] = { "\"name\":\"ok\"", m };
		for (int slow = 0; slow < 2; slow++)
			expect_err_free(names_doc(members, 2, slow), bad[i].msg);
	}
	/* a bad time: timeutil's words after the path */
	for (int slow = 0; slow < 2; slow++) {
		const char *members[] = { "\"names_seen\":[{\"name\":\"a\",\"last_request_at\":\"2026-11-24\"}]" };
		expect_bad_time(names_doc(members, 1, slow),
				"$.clients[0].names_seen[0].last_request_at", "2026-11-24");
	}
	/* 33 names */
	char m[8192], *p = m;
	p += sprintf(p, "\"names_seen\":[");
	for (int i = 0; i <= DOC_NAMES_SEEN_MAX; i++)
		p += sprintf(p, "%s{\"name\":\"n%02d\"}", i ? "," : "", i);
	sprintf(p, "],\"names_seen_count\":40");
	const char *members[] = { "\"name\":\"a\"", "\"name\":\"b\"", "\"name\":\"c\"", m };
	for (int slow = 0; slow < 2; slow++)
		expect_err_free(names_doc(members, 4, slow),
				"$.clients[3].names_seen: 33 names, at most 32");
}
END_TEST

/* The fast path itself: it reads the list of flat objects, and gives up
 * (leaving the buffer as it was) on whatever it is not sure of. */
START_TEST(fast_path_reads_names_seen)
{
	static const char *const top[] = { "name", "names_seen" };
	static const char *const sub[] = { "name", "last_request_at" };
	struct jv out[2], items[4 * 3];
	struct jv_list l = { .member = 1, .names = sub, .n_names = 2, .max = 4,
			     .items = items };
	char ok[] = "{\"name\":\"a\",\"names_seen\":[{\"name\":\"b\",\"last_request_at\":null},"
		    " {\"q\":[1,[]],\"name\":\"c\"} ],\"z\":1}";
	ck_assert(fast_object(ok, strlen(ok), top, 2, out, &l));
	ck_assert_int_eq(out[0].t, JV_STRING);
	ck_assert_str_eq(out[0].s, "a");
	ck_assert_int_eq(out[1].t, JV_ARRAY);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_int_eq(items[0].t, JV_OBJECT);
	ck_assert_str_eq(items[1].s, "b");
	ck_assert_int_eq(items[2].t, JV_NULL);
	ck_assert_int_eq(items[3].t, JV_OBJECT);
	ck_assert_str_eq(items[4].s, "c");
	ck_assert_int_eq(items[5].t, JV_ABSENT);
	/* not an array: read as any value, no items */
	char str[] = "{\"names_seen\":\"x\"}";
	ck_assert(fast_object(str, strlen(str), top, 2, out, &l));
	ck_assert_int_eq(out[1].t, JV_STRING);
	ck_assert_uint_eq(l.n, 0);
	static const char *const refused[] = {
		"{\"names_seen\":[\"b\"]}",                      /* not an object */
		"{\"names_seen\":[{\"name\":{}}]}",              /* nested deeper */
		"{\"names_seen\":[{\"name\":\"b\",\"name\":\"c\"}]}", /* duplicate key */
		"{\"names_seen\":[{},{},{},{},{}]}",             /* over max */
		"{\"names_seen\":[{\"name\":\"b\"},]}",          /* invalid JSON */
		"{\"names_seen\":[{\"name\":\"b\"}}",
		"{\"names_seen\":[{\"name\":\"\\u0062\"}]}",     /* an escape */
		"{\"names_seen\":[{\"name\":\"b\"}],\"o\":{}}",  /* a nested object elsewhere */
		"{\"x\":[{\"name\":\"b\"}]}",                    /* a list not asked for */
	};
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		char buf[128];
		snprintf(buf, sizeof buf, "%s", refused[i]);
		ck_assert_msg(!fast_object(buf, strlen(buf), top, 2, out, &l), "%s", refused[i]);
		ck_assert_str_eq(buf, refused[i]);
	}
}
END_TEST

/* ---- DNS domains: host.dns_publish_domains and an event's domain -------- */

/* "a.a.a...." of n characters: labels of 63 (and a shorter last one). */
static char *long_name(size_t n)
{
	char *s = malloc(n + 1);
	ck_assert_ptr_nonnull(s);
	for (size_t i = 0; i < n; i++)
		s[i] = (i % 64 == 63) ? '.' : 'a';
	if (n > 0 && s[n - 1] == '.')
		s[n - 1] = 'b';
	s[n] = '\0';
	return s;
}

/* ["d0","d1",...] of n domains into buf. */
static void domain_list(char *buf, size_t len, int n)
{
	size_t k = (size_t)snprintf(buf, len, "[");
	for (int i = 0; i < n && k < len; i++)
		k += (size_t)snprintf(buf + k, len - k, "%s\"d%d\"", i ? "," : "", i);
	if (k < len)
		snprintf(buf + k, len - k, "]");
}

/* A host with dns_publish_domains set to list (JSON text). */
static char *mkdomains(const char *list)
{
	char *host, *t;
	ck_assert_int_ge(asprintf(&host, "{\"name\":\"kms01.corp.example\","
				  "\"dns_publish_domains\":%s}", list), 0);
	t = mkdoc(host, "[]", "");
	free(host);
	return t;
}

START_TEST(dns_domains_valid)
{
	/* absent and null: the host's own domain */
	char *t = mkdoc("{\"name\":\"h\",\"dns_publish_domains\":null}", "[]",
			",\"events\":[{\"id\":12294,\"domain\":null},{\"id\":12290}]");
	struct doc *d = load_ok(t, NULL, NULL);
	ck_assert(!d->host.has_dns_publish_domains);
	ck_assert_uint_eq(d->host.n_dns_publish_domains, 0);
	ck_assert_ptr_null(d->events[0].domain);
	ck_assert_ptr_null(d->events[1].domain);
	doc_free(d);
	free(t);
	t = mkdoc("{\"name\":\"h\"}", "[]", "");
	d = load_ok(t, NULL, NULL);
	ck_assert(!d->host.has_dns_publish_domains);
	doc_free(d);
	free(t);
	/* an empty list is a list */
	t = mkdomains("[]");
	d = load_ok(t, NULL, NULL);
	ck_assert(d->host.has_dns_publish_domains);
	ck_assert_uint_eq(d->host.n_dns_publish_domains, 0);
	doc_free(d);
	free(t);
	/* held lower-case, the trailing dot dropped; one label, digits, hyphens */
	t = mkdomains("[\"Corp.Example.\",\"lab-1.example\",\"x\",\"0.9-a.b\"]");
	d = load_ok(t, NULL, NULL);
	ck_assert_uint_eq(d->host.n_dns_publish_domains, 4);
	ck_assert_str_eq(d->host.dns_publish_domains[0], "corp.example");
	ck_assert_str_eq(d->host.dns_publish_domains[1], "lab-1.example");
	ck_assert_str_eq(d->host.dns_publish_domains[2], "x");
	ck_assert_str_eq(d->host.dns_publish_domains[3], "0.9-a.b");
	doc_free(d);
	free(t);
	t = mkdoc("{\"name\":\"h\"}", "[]",
		  ",\"events\":[{\"id\":12293,\"domain\":\"LAB.Example.\"}]");
	d = load_ok(t, NULL, NULL);
	ck_assert_str_eq(d->events[0].domain, "lab.example");
	doc_free(d);
	free(t);
	/* the bounds: a 63-character label, 253 characters, 64 entries */
	char label63[64], list[64 * 8 + 8], *n253 = long_name(253), *js;
	memset(label63, 'a', 63);
	label63[63] = '\0';
	ck_assert_int_ge(asprintf(&js, "[\"%s.example\",\"%s\",\"%s.\"]", label63, n253 + 1, n253),
			 0);
	t = mkdomains(js);
	d = load_ok(t, NULL, NULL);
	ck_assert_uint_eq(strlen(d->host.dns_publish_domains[0]), 63 + 8);
	ck_assert_uint_eq(strlen(d->host.dns_publish_domains[2]), 253);
	doc_free(d);
	free(t);
	free(js);
	domain_list(list, sizeof list, 64);
	t = mkdomains(list);
	d = load_ok(t, NULL, NULL);
	ck_assert_uint_eq(d->host.n_dns_publish_domains, 64);
	ck_assert_str_eq(d->host.dns_publish_domains[63], "d63");
	doc_free(d);
	free(t);
	free(n253);
}
END_TEST

START_TEST(dns_domains_refused)
{
	char label64[65], *n254 = long_name(254), *js, *t;
	memset(label64, 'a', 64);
	label64[64] = '\0';
	static const struct {
		const char *list, *msg;
	} bad[] = {
		{ "\"corp.example\"", "$.host.dns_publish_domains: expected array, got string" },
		{ "{}", "$.host.dns_publish_domains: expected array, got object" },
		{ "[\"\"]", "$.host.dns_publish_domains[0]: empty" },
		{ "[\"a\",\".\"]", "$.host.dns_publish_domains[1]: \".\" is not a DNS name (empty)" },
		{ "[3]", "$.host.dns_publish_domains[0]: expected string, got integer" },
		{ "[\"a\",null]", "$.host.dns_publish_domains[1]: expected string, got null" },
		{ "[[\"a\"]]", "$.host.dns_publish_domains[0]: expected string, got array" },
		{ "[\"a..b\"]", "$.host.dns_publish_domains[0]: \"a..b\" is not a DNS name (label 2 is empty)" },
		{ "[\".a\"]", "$.host.dns_publish_domains[0]: \".a\" is not a DNS name (label 1 is empty)" },
		{ "[\"a.b..\"]", "$.host.dns_publish_domains[0]: \"a.b..\" is not a DNS name (label 3 is empty)" },
		{ "[\"-a.example\"]", "$.host.dns_publish_domains[0]: \"-a.example\" is not a DNS name "
		  "(label 1 starts or ends with a hyphen)" },
		{ "[\"a.example-\"]", "$.host.dns_publish_domains[0]: \"a.example-\" is not a DNS name "
		  "(label 2 starts or ends with a hyphen)" },
		{ "[\"a_b.example\"]", "$.host.dns_publish_domains[0]: \"a_b.example\" is not a DNS name "
		  "('_' is not a letter, digit or hyphen)" },
		{ "[\"a b\"]", "$.host.dns_publish_domains[0]: \"a b\" is not a DNS name "
		  "(byte 0x20 is not a letter, digit or hyphen)" },
		{ "[\"caf\\u00e9.example\"]", "$.host.dns_publish_domains[0]: \"caf\xc3\xa9.example\" is not a "
		  "DNS name (byte 0xC3 is not a letter, digit or hyphen)" },
		{ "[\"corp.example\",\"lab.example\",\"CORP.Example.\"]",
		  "$.host.dns_publish_domains[2]: \"CORP.Example.\" already at dns_publish_domains[0]" },
		{ "[\"a\",\"a.\"]", "$.host.dns_publish_domains[1]: \"a.\" already at dns_publish_domains[0]" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		t = mkdomains(bad[i].list);
		expect_err_free(t, bad[i].msg);
	}
	/* past the bounds: a 64-character label, 254 characters, 65 entries */
	ck_assert_int_ge(asprintf(&js, "[\"%s.example\"]", label64), 0);
	char msg[512];
	snprintf(msg, sizeof msg, "$.host.dns_publish_domains[0]: \"%.64s...\" is not a DNS name "
		 "(label 1 is 64 characters, at most 63)", label64);
	expect_err_free(mkdomains(js), msg);
	free(js);
	ck_assert_int_ge(asprintf(&js, "[\"%s\"]", n254), 0);
	snprintf(msg, sizeof msg, "$.host.dns_publish_domains[0]: \"%.64s...\" is not a DNS name "
		 "(254 characters, at most 253)", n254);
	expect_err_free(mkdomains(js), msg);
	free(js);
	char list[65 * 8 + 8];
	domain_list(list, sizeof list, 65);
	expect_err_free(mkdomains(list), "$.host.dns_publish_domains: 65 domains, at most 64");
	/* an event's domain */
	expect_err_free(mkdoc("{\"name\":\"h\"}", "[]", ",\"events\":[{},{\"id\":12294,\"domain\":7}]"),
			"$.events[1].domain: expected string, got integer");
	expect_err_free(mkdoc("{\"name\":\"h\"}", "[]", ",\"events\":[{\"domain\":\"\"}]"),
			"$.events[0].domain: empty");
	expect_err_free(mkdoc("{\"name\":\"h\"}", "[]", ",\"events\":[{\"domain\":\"a..b\"}]"),
			"$.events[0].domain: \"a..b\" is not a DNS name (label 2 is empty)");
	ck_assert_int_ge(asprintf(&js, ",\"events\":[{\"domain\":\"%s\"}]", n254), 0);
	snprintf(msg, sizeof msg, "$.events[0].domain: \"%.64s...\" is not a DNS name "
		 "(254 characters, at most 253)", n254);
	expect_err_free(mkdoc("{\"name\":\"h\"}", "[]", js), msg);
	free(js);
	free(n254);
}
END_TEST

static Suite *doc_suite(void)
{
	Suite *s = suite_create("doc");
	TCase *tc = tcase_create("doc");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, minimal_document);
	tcase_add_test(tc, full_document);
	tcase_add_test(tc, offset_and_fraction_times);
	tcase_add_test(tc, unknown_fields_ignored);
	tcase_add_test(tc, null_optionals);
	tcase_add_test(tc, current_count_minus_one_absent_and_negative);
	tcase_add_test(tc, truncated_documents);
	tcase_add_test(tc, syntax_errors_at_top);
	tcase_add_test(tc, many_top_level_members);
	tcase_add_test(tc, client_syntax_error_position);
	tcase_add_test(tc, wrong_types_at_each_depth);
	tcase_add_test(tc, missing_required_fields);
	tcase_add_test(tc, client_without_name);
	tcase_add_test(tc, version_and_format);
	tcase_add_test(tc, bad_timestamps);
	tcase_add_test(tc, element_over_cap);
	tcase_add_test(tc, callback_order_and_index);
	tcase_add_test(tc, callback_false_stops);
	tcase_add_test(tc, fast_and_slow_paths_agree);
	tcase_add_test(tc, every_prefix_is_truncated);
	tcase_add_test(tc, single_byte_mutations);
	tcase_add_test(tc, scanner_chunking);
	tcase_add_test(tc, load_from_file);
	tcase_add_test(tc, freshness_messages);
	tcase_add_test(tc, names_and_families);
	tcase_add_test(tc, guid_forms_normalised);
	tcase_add_test(tc, guid_refused);
	tcase_add_test(tc, product_families);
	tcase_add_test(tc, value_ranges);
	tcase_add_test(tc, byte_order_mark_and_utf16);
	tcase_add_test(tc, duplicate_cmid_and_product_refused);
	tcase_add_test(tc, caller_keys_skips_the_pair_set);
	tcase_add_test(tc, same_cmid_other_product_accepted);
	tcase_add_test(tc, many_pairs_then_one_duplicate);
	tcase_add_test(tc, names_seen_valid);
	tcase_add_test(tc, names_seen_refused);
	tcase_add_test(tc, fast_path_reads_names_seen);
	tcase_add_test(tc, dns_domains_valid);
	tcase_add_test(tc, dns_domains_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(doc_suite());
}
