/* fleet.h - several KMS hosts, one status document each, judged together
 * (the document plugins with -u given more than once).
 *
 * Counts are not shared between KMS hosts and clients move between them, so
 * a fleet is loaded as a set: every document is fetched concurrently within
 * the one -t budget (fetch_streams), each one's clients handed to the
 * caller with that document's own context, and each document ends as one
 * struct fleet_doc that is either usable or says why not. One document never
 * ends the check: a host whose document cannot be fetched, is invalid or is
 * stale becomes an UNKNOWN (or --stale-state) host of the result, named on
 * line 1 ("kms02: HTTP 404 Not Found from https://..."), and the others are
 * judged as usual. Only -t passing ends the check, as with one document.
 *
 * With one -u the plugins keep calling doc_load_or_die(): their output is
 * then exactly what it was before fleets. */
#ifndef KMS_FLEET_H
#define KMS_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include "doc.h"
#include "options.h"
#include "result.h"
#include "state.h"

/* One KMS host of the fleet. */
struct fleet_doc {
	const char *url;          /* the -u as given (co->urls[i]) */
	char host[256];           /* host.name when loaded, else the URL's host
				     ("kms02.corp.example"), else the file's
				     name without .json ("kms03") */
	char name[256];           /* what line 1, long output and perfdata
				     labels call it: host's first label
				     ("kms02") when no other host of the fleet
				     has that first label, else host whole (an
				     IP address is never cut) */
	struct doc *doc;          /* NULL when it could not be loaded */
	state_t state;            /* STATE_OK when usable; else UNKNOWN (load
				     failure, a host.name another -u has) or
				     --stale-state (stale, doc kept) */
	char why[KMS_ERRLEN];     /* when not OK: what failed, line-1 ready:
				     "HTTP 404 Not Found from https://..." */
	bool usable;              /* doc != NULL and judged: OK, or stale with
				     --stale-state OK; a duplicate host is not */
};

struct fleet {
	size_t n;                 /* co->n_urls */
	struct fleet_doc docs[OPTS_MAX_URLS];
};

/* Load every co->urls[i] into f->docs[i], concurrently; on_client (may be
 * NULL) is called for the clients of document i with ctxs[i] (ctxs may be
 * NULL when on_client is). Calls for different documents may interleave;
 * those of one document come in its order. The clients of a document that
 * fails half-way, or turns out to repeat another's host.name, have been
 * seen by on_client already: a caller that merges across documents must
 * not count a host that is not usable. Ends the plugin only when -t
 * passes (the -t state) or when co has no -u (UNKNOWN). */
void fleet_load(const struct common_opts *co, doc_client_fn on_client,
		void *const *ctxs, struct fleet *f);

/* fleet_load() for a caller that keys the clients by (CMID, product)
 * itself and refuses a second record of a pair within one document from
 * on_client (doc_job.caller_keys): the loader then keeps no per-document
 * set of keys, which for large inventories is most of its memory
 * (check_kms_renewal's merge). */
void fleet_load_keyed(const struct common_opts *co, doc_client_fn on_client,
		      void *const *ctxs, struct fleet *f);

void fleet_free(struct fleet *f);

/* The top-level subcheck of host d, its output the host's name. For a
 * host that is not usable it is a leaf with its state and why, and NULL is
 * returned: "[UNKNOWN] kms02: HTTP 404 Not Found from https://...". For a
 * usable host the caller adds the host's findings as its children (only
 * leaves are printed, so their text starts with the host's name) and then
 * calls fleet_host_headline(). */
struct subcheck *fleet_host_subcheck(struct check *c, const struct fleet_doc *d);

/* Line 1's words for a host subcheck when it is not OK: "<name>: " and the
 * headline of its worst child (the first of the worst, in the order
 * added), so that line 1 names the worst host and what is wrong there:
 * "kms01: Windows 23 of 25 clients, 2 short". Leaves an OK host alone. */
void fleet_host_headline(struct subcheck *host, const char *name);

#endif
