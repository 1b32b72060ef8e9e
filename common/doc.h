/* doc.h - the KMS status document (format "kms-status", version 1): load,
 * validate, and hand the client inventory over one client at a time.
 *
 * The document is read as a stream (fetch.h) and never held whole: the
 * top-level members other than "clients" are small and parsed with jansson
 * into struct doc; each element of "clients" is parsed on its own, validated,
 * passed to the caller's callback as a struct doc_client, and freed. A
 * 1M-client document is thus read without holding its clients (the caller
 * keeps only what it aggregates); the one thing kept per client is its
 * (CMID, product) key, 24 bytes in a hash set, freed when "clients" ends
 * (none for a doc_job with caller_keys). Field names and rules:
 * docs/DESIGN.md, "The status document".
 *
 * The inventory is keyed by (CMID, product): one record per machine and
 * product, since Office 2013+ sends the CMID of the machine's licensing
 * service, the same as Windows. The product is the application id the rule
 * of sku.h settles (the sku_id through the SKU table, required_count 25,
 * the record's application_id). A second record of a pair is refused:
 * "$.clients[7]: CMID 0d6b...-... and product Windows already at
 * $.clients[2]". Records without a CMID, or of a product the rule leaves
 * open (required_count 5 alone, nothing at all), are not checked.
 *
 * Errors name the JSON path: "$.products[2].current_count: expected integer,
 * got string"; invalid JSON names line and column; a missing required field
 * "$.host.name: missing"; version > 1: "format version 2 is newer than this
 * plugin understands (1)". Unknown fields are ignored. Optional fields may be
 * absent or null: integers then read DOC_ABSENT, times NAN, strings NULL,
 * booleans DOC_ABSENT.
 *
 * Values are held to the schema (packaging/schema/kms-status-v1.schema.json)
 * with the path named: "$.products[0].grace_remaining_minutes: -5 is
 * negative", "$.host.port: 70000 is not a port number (1..65535)". Every
 * integer field has a range that excludes DOC_ABSENT, so no number in a
 * document can read as absent; the one value Windows writes for "not
 * applicable", current_count -1, is mapped to DOC_ABSENT on purpose.
 *
 * GUIDs (application_id, sku_id, cmid) are accepted in the forms Windows
 * writes, "{55C92734-...}", any case, blanks around, and held as lower-case
 * 8-4-4-4-12 text; anything else is refused ("...: not a GUID: "x"").
 *
 * Encoding: a UTF-8 byte-order mark at the start is skipped; a UTF-16
 * document (BOM FF FE or FE FF, or ASCII paired with zero bytes in its first
 * 4 bytes) fails with
 * "is UTF-16; the exporter writes UTF-8" (doc_load_or_die reads it as
 * "status document URL is UTF-16; ..."). */
#ifndef KMS_DOC_H
#define KMS_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "fetch.h"
#include "state.h"

/* An optional integer or boolean that is absent or null. Far outside every
 * field's range, so a document's -1 is a value, never "absent". */
#define DOC_ABSENT (-0x7fffffffffffffffLL - 1)

/* License states as WMI's LicenseStatus. */
enum license_state {
	LIC_UNLICENSED = 0, LIC_LICENSED = 1, LIC_OOB_GRACE = 2, LIC_OOT_GRACE = 3,
	LIC_NON_GENUINE_GRACE = 4, LIC_NOTIFICATION = 5, LIC_EXTENDED_GRACE = 6
};

/* "unlicensed", "licensed", "OOB grace", ... or "state N" when unknown. */
const char *license_state_name(long long st);

struct doc_requests {
	bool present;
	long long total, failed, unlicensed, licensed, oob_grace, oot_grace,
		non_genuine_grace, notification; /* >= 0, DOC_ABSENT each when absent */
};

struct doc_product {
	char *name;                 /* NULL when absent */
	char *application_id;       /* lower-case GUID text, NULL when absent */
	long long license_status;   /* 0..6 or DOC_ABSENT */
	long long grace_remaining_minutes; /* >= 0 or DOC_ABSENT */
	long long current_count;    /* >= 0, or DOC_ABSENT when absent, null or
				       -1 (WMI: not a KMS host / no request yet) */
	struct doc_requests requests;
};

struct doc_event {
	long long id;               /* 0..65535 (12290..12294 and others kept),
				       DOC_ABSENT */
	double at;                  /* Unix seconds; NAN when absent */
	char *hresult;              /* NULL when absent */
	char *message;              /* NULL when absent */
	char *domain;               /* 12293/12294: the DNS domain of the
				       publishing attempt, lower-case, no
				       trailing dot; NULL when absent/null */
};

struct doc_host {
	char *name;                 /* required */
	long long kms_enabled;      /* 1, 0, or DOC_ABSENT */
	long long port;             /* 1..65535 or DOC_ABSENT */
	char *service_state;        /* "running"... NULL when absent */
	long long dns_publishing;   /* 1, 0, or DOC_ABSENT */
	long long activation_interval_minutes; /* >= 0 or DOC_ABSENT */
	long long renewal_interval_minutes;    /* >= 0 or DOC_ABSENT */
	/* dns_publish_domains (the registry's DnsDomainPublishList, exporter
	 * 1.3): the domains the host publishes its SRV record in, each a DNS
	 * name held lower-case without a trailing dot, each once, at most
	 * DOC_PUBLISH_DOMAINS_MAX. Absent or null (has_ false): "the host's
	 * own domain". An empty list is a list (has_ true, n 0). */
	bool has_dns_publish_domains;
	char **dns_publish_domains;
	size_t n_dns_publish_domains;
};

#define DOC_PUBLISH_DOMAINS_MAX 64

/* A DNS name as the document holds one (host.dns_publish_domains, an
 * event's domain): labels of 1..63 letters, digits and hyphens, no label
 * starting or ending with a hyphen, at most 253 characters without the
 * trailing dot, which is dropped; out gets it lower-case. false with why
 * ("a label is empty", ...) otherwise. */
#define DOC_DNS_NAME_MAX 253
bool doc_dns_name(const char *text, char out[DOC_DNS_NAME_MAX + 1], char why[128]);

struct doc {
	long long version;
	double generated_at;        /* Unix seconds */
	struct doc_host host;
	struct doc_product *products;
	size_t n_products;
	bool has_clients;           /* "clients" present (array) */
	size_t n_clients;           /* clients passed to the callback */
	double clients_complete_since; /* NAN when absent */
	bool has_events;
	struct doc_event *events;
	size_t n_events;
};

/* One name a client's CMID was sent by (event 12290's FQDN). */
struct doc_name_seen {
	const char *name;           /* never NULL */
	double last_request_at;     /* Unix seconds; NAN when absent/null */
};

#define DOC_NAMES_SEEN_MAX 32

/* One client of the inventory. Strings are valid only during the callback. */
struct doc_client {
	size_t index;               /* position in $.clients */
	const char *name;           /* never NULL: the name, else the CMID, else
				       "client #N" (N from 1) */
	const char *cmid, *sku_id, *application_id; /* lower-case GUID text,
							NULL when absent */
	long long is_virtual;       /* 1, 0, DOC_ABSENT */
	long long required_count;   /* >= 1 or DOC_ABSENT */
	double first_seen_at, last_request_at, last_success_at; /* NAN if absent/null */
	const char *last_result;    /* "0xC004F038" or NULL */
	bool has_result_code;
	uint32_t result_code;       /* parsed last_result when has_result_code */
	long long license_state;    /* 0..6 or DOC_ABSENT */
	long long state_expires_in_minutes; /* >= 0 or DOC_ABSENT */
	/* names_seen (issue 18): the distinct FQDNs that sent this CMID for
	 * this product, most recent first, at most DOC_NAMES_SEEN_MAX; absent
	 * or null in older documents (has_names_seen false, n_names_seen 0,
	 * names_seen NULL). Checked: each name a non-empty string, no name
	 * twice (ignoring case), last_request_at a time or null, the count
	 * >= the list's length ("$.clients[3].names_seen_count: 1 is less
	 * than the 2 names listed"); the order is the exporter's, not checked.
	 * The array and its names are valid only during the callback. */
	bool has_names_seen;
	const struct doc_name_seen *names_seen;
	size_t n_names_seen;
	long long names_seen_count; /* distinct names ever (>= n_names_seen),
				       DOC_ABSENT when absent */
};

/* Called for each valid client in document order. Return false (filling
 * err) to stop loading with that error. */
typedef bool (*doc_client_fn)(const struct doc_client *c, void *ctx,
			      char err[KMS_ERRLEN]);

/* Fetch url (fetch_stream) and load it. on_client may be NULL (clients are
 * then validated and skipped). On success *out is a new document the caller
 * frees with doc_free(). On failure returns false; err starts with what
 * failed and never holds a credential. */
bool doc_load(const char *url, const struct fetch_opts *fo,
	      doc_client_fn on_client, void *ctx, struct doc **out,
	      char err[KMS_ERRLEN]);

/* One document of doc_load_all(). */
struct doc_job {
	const char *url;
	doc_client_fn on_client;  /* may be NULL */
	void *ctx;
	bool caller_keys;         /* the caller keys the clients by (CMID,
				     product) itself and refuses a second
				     record of a pair within one document
				     (check_kms_renewal's merge): the loader
				     keeps no set of its own */
	struct doc *doc;          /* out: the document, NULL on failure */
	char err[KMS_ERRLEN];     /* out, when doc is NULL: as doc_load()'s */
};

/* doc_load() for n documents fetched at once (fetch_streams): each job's
 * clients go to its own on_client and ctx, calls of different jobs
 * interleaving. */
void doc_load_all(struct doc_job *jobs, size_t n, const struct fetch_opts *fo);

/* The same on a buffer in memory (tests, fuzzing). */
bool doc_load_buffer(const char *buf, size_t len, doc_client_fn on_client,
		     void *ctx, struct doc **out, char err[KMS_ERRLEN]);

void doc_free(struct doc *d);

struct common_opts;

/* What every document plugin does first: doc_load(co->url, &co->fetch, ...)
 * and check freshness (co->max_age, co->stale_state, against wall_now()).
 * Ends the plugin with UNKNOWN "status document <redacted url>: <reason>" on
 * a load failure, and with co->stale_state and doc_freshness()'s message when
 * stale or from the future. Returns the document otherwise. */
struct doc *doc_load_or_die(const struct common_opts *co,
			    doc_client_fn on_client, void *ctx);

/* What doc_load_or_die() says of doc_load()'s err for url: err alone when
 * it names the URL already, else "status document <redacted url>: err". */
void doc_error_text(const char *url, const char *err, char out[KMS_ERRLEN]);

/* Freshness of generated_at against now. Returns STATE_OK when at most
 * max_age old and not more than 5 min in the future; otherwise returns
 * stale_state and writes "status document is 3 h 10 min old (generated
 * 2026-11-25 11:50 UTC, max 1 h): is the exporter's scheduled task running?"
 * or "status document is dated 2 h in the future (...): check the clocks". */
state_t doc_freshness(const struct doc *d, double now, double max_age,
		      state_t stale_state, char msg[KMS_ERRLEN]);

/* "Windows", "Office 2013+", "Office 2010" by the application id; for an id
 * not one of those (or none), "Windows" or "Office" when the name says so
 * (see product_family), else the product name, else the id, else "unnamed
 * product". Never NULL. */
const char *product_short_name(const struct doc_product *p);

/* Which family an application id belongs to (any GUID form doc.h accepts);
 * APP_OTHER for NULL, an unknown id or no GUID. */
enum app_family { APP_WINDOWS, APP_OFFICE, APP_OTHER };
enum app_family app_family(const char *application_id);

/* The family of a KMS host product: by its application id; when the id is
 * absent or unknown, by its name (the first of the words "Windows" and
 * "Office" in it), so a Windows product is never held to Office's
 * thresholds. APP_OTHER when neither says: the caller must not guess. */
enum app_family product_family(const struct doc_product *p);

/* A GUID in any form this loader accepts (see above) as lower-case
 * 8-4-4-4-12 text in out; false for NULL or no GUID. */
bool guid_canon(const char *text, char out[37]);

/* Is text a valid --product / --application selector: "windows",
 * "office" (any case) or a GUID (8-4-4-4-12 hex digits, braces and blanks
 * around allowed)? When not, writes 'invalid <option> "TEXT": expected
 * windows, office or an application id (GUID)' into err. */
bool app_selector_valid(const char *option, const char *text, char err[KMS_ERRLEN]);

/* Does application_id match a --product / --application selector:
 * "windows", "office", or a GUID (any form, case-insensitive)? */
bool app_matches(const char *application_id, const char *selector);

#define APPID_WINDOWS     "55c92734-d682-4d71-983e-d6ec3f16059f"
#define APPID_OFFICE2013  "0ff1ce15-a989-479d-af46-f275c6370663"
#define APPID_OFFICE2010  "59a52881-a989-479d-af46-f275c6370663"

#endif
