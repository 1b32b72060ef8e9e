/* doc_dump.c - test and benchmark tool: load a status document with
 * doc_load() and print a stable text summary of what was understood, or the
 * loader's error with exit 3. Clients are aggregated in the callback (count,
 * per license state, min/max last_request_at), never stored, so the tool's
 * memory is the loader's.
 *
 * usage: doc_dump FILE-OR-URL */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "timeutil.h"

struct agg {
	size_t n;
	size_t by_state[8]; /* 0..6, 7 = absent */
	size_t with_result;
	double min_req, max_req;
};

static bool on_client(const struct doc_client *c, void *ctx, char err[KMS_ERRLEN])
{
	struct agg *a = ctx;
	(void)err;
	a->n++;
	a->by_state[c->license_state >= 0 && c->license_state <= 6 ?
		    c->license_state : 7]++;
	if (c->has_result_code)
		a->with_result++;
	if (!isnan(c->last_request_at)) {
		if (isnan(a->min_req) || c->last_request_at < a->min_req)
			a->min_req = c->last_request_at;
		if (isnan(a->max_req) || c->last_request_at > a->max_req)
			a->max_req = c->last_request_at;
	}
	return true;
}

/* A time as "2026-11-25T14:00:00Z", or "-" when absent. */
static const char *t(char *buf, size_t len, double v)
{
	if (isnan(v))
		return "-";
	return fmt_utc(buf, len, v, "%Y-%m-%dT%H:%M:%SZ");
}

static const char *s(const char *v)
{
	return v ? v : "-";
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: doc_dump FILE-OR-URL\n");
		return 3;
	}
	struct fetch_opts fo = { .max_size = 1ULL << 40 };
	struct agg a = { .min_req = NAN, .max_req = NAN };
	struct doc *d;
	char err[KMS_ERRLEN], b1[64], b2[64];
	if (!doc_load(argv[1], &fo, on_client, &a, &d, err)) {
		printf("error: %s\n", err);
		return 3;
	}
	printf("version %lld\n", d->version);
	printf("generated_at %s\n", t(b1, sizeof b1, d->generated_at));
	printf("host name=%s kms_enabled=%lld port=%lld service_state=%s "
	       "dns_publishing=%lld activation_interval=%lld renewal_interval=%lld\n",
	       d->host.name, d->host.kms_enabled, d->host.port,
	       s(d->host.service_state), d->host.dns_publishing,
	       d->host.activation_interval_minutes,
	       d->host.renewal_interval_minutes);
	printf("products %zu\n", d->n_products);
	for (size_t i = 0; i < d->n_products; i++) {
		const struct doc_product *p = &d->products[i];
		const struct doc_requests *r = &p->requests;
		printf("product[%zu] short=%s name=%s application_id=%s "
		       "license_status=%lld grace=%lld count=%lld\n",
		       i, product_short_name(p), s(p->name), s(p->application_id),
		       p->license_status, p->grace_remaining_minutes,
		       p->current_count);
		if (r->present)
			printf("product[%zu] requests total=%lld failed=%lld "
			       "unlicensed=%lld licensed=%lld oob=%lld oot=%lld "
			       "non_genuine=%lld notification=%lld\n",
			       i, r->total, r->failed, r->unlicensed, r->licensed,
			       r->oob_grace, r->oot_grace, r->non_genuine_grace,
			       r->notification);
	}
	printf("clients %s n=%zu seen=%zu complete_since=%s\n",
	       d->has_clients ? "present" : "absent", d->n_clients, a.n,
	       t(b1, sizeof b1, d->clients_complete_since));
	printf("clients by_state");
	for (int i = 0; i < 8; i++)
		printf(" %s=%zu", i < 7 ? license_state_name(i) : "absent",
		       a.by_state[i]);
	printf("\nclients with_result=%zu last_request min=%s max=%s\n",
	       a.with_result, t(b1, sizeof b1, a.min_req),
	       t(b2, sizeof b2, a.max_req));
	printf("events %s n=%zu\n", d->has_events ? "present" : "absent",
	       d->n_events);
	for (size_t i = 0; i < d->n_events; i++)
		printf("event[%zu] id=%lld at=%s hresult=%s message=%s\n", i,
		       d->events[i].id, t(b1, sizeof b1, d->events[i].at),
		       s(d->events[i].hresult), s(d->events[i].message));
	doc_free(d);
	return 0;
}
