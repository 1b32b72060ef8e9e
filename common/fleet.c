/* fleet.c - see fleet.h. */
#include "fleet.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "fetch.h"
#include "output.h"
#include "text.h"
#include "timeutil.h"
#include "vlog.h"

/* A name for a document that gave none: the host of an http(s) URL, else
 * the file's name without ".json" ("/srv/kms03.json": "kms03"); never a
 * credential or a query (url_redact). */
static void name_from_url(const char *url, char *out, size_t len)
{
	char shown[1024];
	url_redact(url, shown, sizeof shown);
	const char *sep = strstr(shown, "://");
	if (!sep || strncmp(shown, "file://", 7) == 0) {
		const char *path = sep ? sep + 3 : shown;
		const char *slash = strrchr(path, '/');
		const char *base = slash && slash[1] ? slash + 1 : path;
		size_t n = strlen(base);
		if (n > 5 && strcmp(base + n - 5, ".json") == 0)
			n -= 5;
		text_printf(out, len, "%.*s", (int)n, base);
		return;
	}
	const char *host = sep + 3;
	size_t n = strcspn(host, "/?#");
	text_printf(out, len, "%.*s", (int)n, host);
}

/* The length of host's first label, or all of it for an IP address. */
static size_t first_label(const char *host)
{
	if (strchr(host, ':') || strspn(host, "0123456789.") == strlen(host))
		return strlen(host);
	return strcspn(host, ".");
}

/* Short names where they stay unique: "kms01", "kms02". */
static void fleet_name(struct fleet *f)
{
	for (size_t i = 0; i < f->n; i++) {
		struct fleet_doc *d = &f->docs[i];
		size_t n = first_label(d->host);
		bool unique = n > 0;
		for (size_t k = 0; k < f->n && unique; k++) {
			const char *o = f->docs[k].host;
			if (k != i && strcmp(o, d->host) != 0 && first_label(o) == n &&
			    strncmp(o, d->host, n) == 0)
				unique = false;
		}
		text_printf(d->name, sizeof d->name, "%.*s", (int)(unique ? n : strlen(d->host)),
			    d->host);
	}
}

static void load_fleet(const struct common_opts *co, doc_client_fn on_client,
		       void *const *ctxs, bool caller_keys, struct fleet *f)
{
	memset(f, 0, sizeof *f);
	if (!co->n_urls)
		die("status document: no -u/--url given");
	f->n = co->n_urls;
	struct doc_job jobs[OPTS_MAX_URLS];
	for (size_t i = 0; i < f->n; i++)
		jobs[i] = (struct doc_job){ .url = co->urls[i], .on_client = on_client,
					    .ctx = ctxs ? ctxs[i] : NULL,
					    .caller_keys = caller_keys };
	doc_load_all(jobs, f->n, &co->fetch);

	double now = wall_now();
	for (size_t i = 0; i < f->n; i++) {
		struct fleet_doc *d = &f->docs[i];
		d->url = co->urls[i];
		d->doc = jobs[i].doc;
		if (!d->doc) {
			name_from_url(d->url, d->host, sizeof d->host);
			d->state = STATE_UNKNOWN;
			doc_error_text(d->url, jobs[i].err, d->why);
			continue;
		}
		text_printf(d->host, sizeof d->host, "%s", d->doc->host.name);
		char msg[KMS_ERRLEN];
		d->state = doc_freshness(d->doc, now, co->max_age, co->stale_state, msg);
		d->usable = d->state == STATE_OK;
		if (msg[0] && d->state == STATE_OK)
			vlog(1, "%s: %s", d->host, msg); /* --stale-state OK */
		else if (msg[0])
			snprintf(d->why, sizeof d->why, "%s", msg);
		for (size_t k = 0; k < i; k++) {
			if (!f->docs[k].doc || strcmp(f->docs[k].host, d->host) != 0)
				continue;
			char shown[1024];
			url_redact(f->docs[k].url, shown, sizeof shown);
			d->state = STATE_UNKNOWN;
			d->usable = false;
			text_printf(d->why, sizeof d->why,
				    "host.name also in -u %s: one document per KMS host", shown);
			break;
		}
	}
	fleet_name(f);
}

void fleet_load(const struct common_opts *co, doc_client_fn on_client,
		void *const *ctxs, struct fleet *f)
{
	load_fleet(co, on_client, ctxs, false, f);
}

void fleet_load_keyed(const struct common_opts *co, doc_client_fn on_client,
		      void *const *ctxs, struct fleet *f)
{
	load_fleet(co, on_client, ctxs, true, f);
}

void fleet_free(struct fleet *f)
{
	for (size_t i = 0; i < f->n; i++) {
		doc_free(f->docs[i].doc);
		f->docs[i].doc = NULL;
	}
}

struct subcheck *fleet_host_subcheck(struct check *c, const struct fleet_doc *d)
{
	if (d->usable)
		return check_add(c, "%s", d->name);
	struct subcheck *sc = check_add(c, "%s: %s", d->name, d->why);
	subcheck_set_state(sc, d->state);
	return NULL;
}

void fleet_host_headline(struct subcheck *host, const char *name)
{
	state_t st = subcheck_state(host);
	if (st == STATE_OK)
		return;
	for (size_t i = 0; i < subcheck_count(host); i++) {
		const struct subcheck *ch = subcheck_child(host, i);
		if (subcheck_state(ch) != st)
			continue;
		const char *h = subcheck_headline_text(ch);
		size_t n = strlen(name);
		/* the child's own text may start with the host's name already */
		if (strncmp(h, name, n) == 0 && (h[n] == ':' || h[n] == ' '))
			subcheck_headline(host, "%s", h);
		else
			subcheck_headline(host, "%s: %s", name, h);
		return;
	}
}
