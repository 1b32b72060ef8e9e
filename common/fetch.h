/* fetch.h - read the status document from http://, https://, file:// or a
 * plain path, as a stream of chunks.
 *
 * libcurl is loaded with dlopen() only when the URL is http(s): a document
 * check of a local file then costs about 1 ms of CPU instead of 7 (Debian's
 * libcurl drags some 30 libraries into every process start; see
 * docs/DESIGN.md, "Start-up cost").
 * TLS is verified unless insecure. Redirects (301, 302, 303, 307, 308) are
 * followed hop by hop, at most 5, to http or https only, and from an https
 * URL to https only: a downgrade is an error naming both URLs. Connect and
 * total time are bounded by the -t deadline (timeout.h); any other status
 * >= 300 is an error naming status and URL; a body over max_size (after
 * decompression) is refused while it streams. Credentials come from
 * auth_file (warned about at -v when group or others may read it; sent only
 * to the URL's own scheme, host and port) or netrc (no option takes a
 * password; a user:password@ in the URL still works but is warned about at
 * -v, since ps shows it), and never appear in an error or a log line: URLs
 * are shown redacted (url_redact). */
#ifndef KMS_FETCH_H
#define KMS_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include "state.h"

struct fetch_opts {
	const char *cacert;       /* --cacert FILE */
	const char *client_cert;  /* --client-cert FILE */
	const char *client_key;   /* --client-key FILE */
	bool insecure;            /* --insecure: no TLS verification */
	const char *auth_file;    /* --auth-file FILE holding user:password */
	bool netrc;               /* --netrc: ~/.netrc */
	const char *netrc_file;   /* --netrc-file FILE */
	unsigned long long max_size; /* --max-size BYTES, default 64 MiB */
};

#define FETCH_DEFAULT_MAX_SIZE (64ULL * 1024 * 1024)

/* Receives the body in order; return false (with err filled) to stop. */
typedef bool (*fetch_sink)(const char *data, size_t len, void *ctx,
			   char err[KMS_ERRLEN]);

/* Stream the document at url into sink. false with err on any failure, a
 * short cause naming once the URL that failed (after redirects, the last
 * one), libcurl's own detail logged at -v instead:
 * "HTTP 404 Not Found from https://kms01/doc.json", "TLS: unknown CA for
 * https://...", "HTTP header over 100 KiB from https://...",
 * "https://a/x.json redirects to http://b/x.json: refusing to leave https",
 * "cannot open /x.json: No such file or directory",
 * "body over --max-size 67108864 bytes".
 * When the -t deadline passes during the transfer it does not return: it ends
 * the plugin with the -t state (die_state), as the timeout backstop would,
 * so "-t 10:CRITICAL" is honoured instead of turning into UNKNOWN. */
bool fetch_stream(const char *url, const struct fetch_opts *o, fetch_sink sink,
		  void *ctx, char err[KMS_ERRLEN]);

/* One document of fetch_streams(). */
struct fetch_job {
	const char *url;
	fetch_sink sink;
	void *ctx;
	bool ok;                  /* out: fetched to its end */
	char err[KMS_ERRLEN];     /* out, when !ok: as fetch_stream()'s */
};

/* fetch_stream() for n documents at once, each job's result in its ok and
 * err (the same texts, each naming its own URL): files (plain paths,
 * file://) are read first, in turn; then every http(s) job is one easy
 * handle on one libcurl multi handle (no thread per document; libcurl
 * dlopen()ed once, and only when an http(s) job exists), each followed hop
 * by hop with its own redirect limit, --auth-file origin and sink. What the
 * jobs share is checked once and, when it fails, is every http(s) job's
 * error: the option files, libcurl, the --auth-file. One job failing never
 * stops another. All share the one -t deadline: when it passes, the plugin
 * ends with the -t state naming the hop of a transfer still running
 * ("fetching https://kms02/doc.json timed out after 10 s"), as
 * fetch_stream() does; fetch_stream() is this with n = 1. */
void fetch_streams(struct fetch_job *jobs, size_t n, const struct fetch_opts *o);

/* url for messages: any user:password@ removed, and a query or fragment
 * (which may carry a token) shown as "?...". */
void url_redact(const char *url, char *out, size_t len);

#endif
