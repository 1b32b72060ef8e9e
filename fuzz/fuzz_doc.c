/* fuzz_doc.c - the status document loader (doc_load_buffer): scanner, fast
 * path, jansson path and validation, with a client callback that reads every
 * field, then everything the plugins derive from a loaded document. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include "doc.h"
#include "fuzz.h"
#include "hresult.h"
#include "sku.h"

static volatile size_t sink;

static void touch_str(const char *s)
{
	if (s)
		sink += strlen(s);
}

static void touch_time(double t)
{
	if (!isnan(t) && !isfinite(t))
		fuzz_fail("infinite time");
	sink += (size_t)(isnan(t) ? 0 : 1);
}

/* A GUID the loader hands over is canonical: lower-case 8-4-4-4-12. */
static void check_guid(const char *what, const char *s)
{
	if (!s)
		return;
	if (strlen(s) != 36)
		fuzz_fail("%s \"%s\" is not 36 characters", what, s);
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			fuzz_fail("%s \"%s\" is not canonical", what, s);
	}
}

/* An integer is DOC_ABSENT or inside its range. */
static void check_range(const char *what, long long v, long long lo, long long hi)
{
	if (v != DOC_ABSENT && (v < lo || v > hi))
		fuzz_fail("%s %lld outside %lld..%lld", what, v, lo, hi);
}

static bool on_client(const struct doc_client *c, void *ctx, char err[KMS_ERRLEN])
{
	size_t *n = ctx;
	if (c->index != *n)
		fuzz_fail("client index %zu, expected %zu", c->index, *n);
	(*n)++;
	if (!c->name)
		fuzz_fail("client without its required name");
	touch_str(c->name);
	check_guid("cmid", c->cmid);
	check_guid("sku_id", c->sku_id);
	check_guid("application_id", c->application_id);
	check_range("required_count", c->required_count, 1, LLONG_MAX);
	check_range("license_state", c->license_state, 0, 6);
	check_range("state_expires_in_minutes", c->state_expires_in_minutes, 0, LLONG_MAX);
	check_range("virtual", c->is_virtual, 0, 1);
	touch_str(c->cmid);
	touch_str(c->sku_id);
	touch_str(c->application_id);
	touch_str(c->last_result);
	touch_time(c->first_seen_at);
	touch_time(c->last_request_at);
	touch_time(c->last_success_at);
	sink += (size_t)c->is_virtual + (size_t)c->required_count +
		(size_t)c->license_state + (size_t)c->state_expires_in_minutes;
	touch_str(license_state_name(c->license_state));
	if (c->has_result_code)
		touch_str(hresult_meaning(c->result_code));
	if (c->application_id) {
		sink += app_family(c->application_id);
		sink += app_matches(c->application_id, "windows");
		sink += app_matches(c->application_id, "office");
	}
	/* the classification: a settled product has an application id, an
	 * unsettled one none, and a name always */
	struct client_product cp;
	client_product(c, &cp);
	if (!cp.name || !cp.name[0])
		fuzz_fail("client product without a name");
	if ((cp.basis == PB_AMBIGUOUS || cp.basis == PB_UNKNOWN) != (cp.app_id == NULL))
		fuzz_fail("client product basis %d with application %s", (int)cp.basis,
			  cp.app_id ? cp.app_id : "(none)");
	check_guid("client product application", cp.app_id);
	touch_str(cp.name);
	/* the callback may refuse; exercise that path on some clients */
	if (c->name[0] == '!') {
		snprintf(err, KMS_ERRLEN, "refused by the fuzzer");
		return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct doc *d = NULL;
	char err[KMS_ERRLEN];
	size_t n = 0;
	memset(err, 'x', sizeof err);
	bool ok = doc_load_buffer((const char *)data, size, on_client, &n, &d, err);
	fuzz_check_err(err, !ok);
	if (!ok) {
		if (d)
			fuzz_fail("failed load returned a document");
		return 0;
	}
	if (!d || !d->host.name)
		fuzz_fail("loaded document without host.name");
	if (d->has_clients && d->n_clients != n)
		fuzz_fail("n_clients %zu, callback saw %zu", d->n_clients, n);
	touch_str(d->host.name);
	if (!d->host.name[0])
		fuzz_fail("empty host.name accepted");
	check_range("port", d->host.port, 1, 65535);
	check_range("activation_interval_minutes", d->host.activation_interval_minutes, 0, LLONG_MAX);
	check_range("renewal_interval_minutes", d->host.renewal_interval_minutes, 0, LLONG_MAX);
	for (size_t i = 0; i < d->n_events; i++)
		check_range("event id", d->events[i].id, 0, 65535);
	touch_str(d->host.service_state);
	touch_time(d->generated_at);
	touch_time(d->clients_complete_since);
	for (size_t i = 0; i < d->n_products; i++) {
		const struct doc_product *p = &d->products[i];
		touch_str(p->name);
		check_guid("product application_id", p->application_id);
		check_range("license_status", p->license_status, 0, 6);
		check_range("grace_remaining_minutes", p->grace_remaining_minutes, 0, LLONG_MAX);
		check_range("current_count", p->current_count, 0, LLONG_MAX);
		check_range("requests.total", p->requests.total, 0, LLONG_MAX);
		check_range("requests.failed", p->requests.failed, 0, LLONG_MAX);
		sink += product_family(p);
		touch_str(p->application_id);
		touch_str(product_short_name(p));
		touch_str(license_state_name(p->license_status));
		sink += (size_t)p->current_count + (size_t)p->requests.total;
	}
	for (size_t i = 0; i < d->n_events; i++) {
		touch_str(d->events[i].hresult);
		touch_str(d->events[i].message);
		touch_time(d->events[i].at);
	}
	char msg[KMS_ERRLEN];
	memset(msg, 'x', sizeof msg);
	state_t st = doc_freshness(d, 1795615200.0, 3600, STATE_UNKNOWN, msg);
	fuzz_check_err(msg, st != STATE_OK);
	doc_free(d);
	return 0;
}
