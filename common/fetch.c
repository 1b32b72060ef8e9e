/* fetch.c - owns getting the status document's bytes: local files (plain
 * paths and file:// URLs) read directly, http(s) through a libcurl that is
 * dlopen()ed only when such a URL is asked for (see fetch.h for why).
 *
 * <curl/curl.h> is used for its types and constants only; every libcurl
 * function is called through a pointer taken with dlsym(), so no binary
 * links -lcurl. */
#include "fetch.h"

#include <ctype.h>
#include <stdarg.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "version.h"
#include "output.h"
#include "timeout.h"

#define CHUNK (64 * 1024)
#define MAX_REDIRS 5L

/* ---------------------------------------------------------------- helpers */

/* snprintf into err without -Wformat-truncation noise at the call sites. */
static void set_err(char err[KMS_ERRLEN], const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_err(char err[KMS_ERRLEN], const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, KMS_ERRLEN, fmt, ap);
	va_end(ap);
}

static void size_err(char err[KMS_ERRLEN], unsigned long long max)
{
	set_err(err, "body over --max-size %llu bytes", max);
}

static unsigned long long effective_max(const struct fetch_opts *o)
{
	return o->max_size ? o->max_size : FETCH_DEFAULT_MAX_SIZE;
}

/* Where userinfo ends in url: the index just past the last '@' before the
 * first '/' after "://", or 0 when there is none (or no scheme). Only '/'
 * ends the search, not '?' or '#' as RFC 3986 would: a password typed
 * without %-encoding may hold them ("u:p#ss@host"), and libcurl's error for
 * such a URL would quote it. An '@' in a query without a path is redacted
 * too: showing too little is the safe side. */
static size_t userinfo_end(const char *url)
{
	const char *sep = strstr(url, "://");
	if (!sep)
		return 0;
	const char *auth = sep + 3;
	size_t alen = strcspn(auth, "/");
	const char *at = NULL;
	for (size_t i = 0; i < alen; i++)
		if (auth[i] == '@')
			at = auth + i;
	return at ? (size_t)(at + 1 - url) : 0;
}

void url_redact(const char *url, char *out, size_t len)
{
	if (!len)
		return;
	if (!url) {
		snprintf(out, len, "(no URL)");
		return;
	}
	size_t end = userinfo_end(url);
	const char *sep = strstr(url, "://");
	const char *rest = end ? url + end : sep ? sep + 3 : url;
	int head = end ? (int)(sep + 3 - url) : (int)(rest - url);
	/* a query or fragment may carry a token (?token=..., #access_token=):
	 * shown as "?..." so the reader still sees there was one */
	size_t keep = sep ? strcspn(rest, "?#") : strlen(rest);
	snprintf(out, len, "%.*s%.*s%s", head, url, (int)keep, rest,
		 rest[keep] ? "?..." : "");
}

/* ------------------------------------------------------------ local files */

/* Decode %XX escapes of a file:// path; false when one is malformed or
 * decodes to a NUL byte. */
static bool percent_decode(const char *in, char *out, size_t len)
{
	size_t o = 0;
	for (size_t i = 0; in[i]; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == '%') {
			if (!isxdigit((unsigned char)in[i + 1]) ||
			    !isxdigit((unsigned char)in[i + 2]))
				return false;
			char hex[3] = { in[i + 1], in[i + 2], 0 };
			c = (unsigned char)strtoul(hex, NULL, 16);
			if (!c)
				return false;
			i += 2;
		}
		if (o + 1 >= len)
			return false;
		out[o++] = (char)c;
	}
	out[o] = 0;
	return true;
}

static bool fetch_file(const char *path, const struct fetch_opts *o,
		       fetch_sink sink, void *ctx, char err[KMS_ERRLEN])
{
	char activity[300];
	snprintf(activity, sizeof activity, "reading %s", path);
	timeout_set_activity(activity);

	unsigned long long max = effective_max(o);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		set_err(err, "cannot open %s: %s", path, strerror(errno));
		return false;
	}
	struct stat st;
	if (fstat(fd, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			set_err(err, "cannot read %s: %s", path, strerror(EISDIR));
			close(fd);
			return false;
		}
		if (S_ISREG(st.st_mode) && (unsigned long long)st.st_size > max) {
			size_err(err, max);
			close(fd);
			return false;
		}
	}
	char *buf = malloc(CHUNK);
	if (!buf) {
		set_err(err, "out of memory reading %s", path);
		close(fd);
		return false;
	}
	unsigned long long total = 0;
	bool ok = true;
	for (;;) {
		ssize_t n = read(fd, buf, CHUNK);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			set_err(err, "cannot read %s: %s", path, strerror(errno));
			ok = false;
			break;
		}
		if (n == 0)
			break;
		total += (unsigned long long)n;
		if (total > max) { /* the file grew, or is not a regular file */
			size_err(err, max);
			ok = false;
			break;
		}
		err[0] = 0;
		if (!sink(buf, (size_t)n, ctx, err)) {
			if (!err[0])
				set_err(err, "the document reader stopped reading %s", path);
			ok = false;
			break;
		}
	}
	free(buf);
	close(fd);
	vlog(3, "read %llu bytes from %s", total, path);
	return ok;
}

/* ---------------------------------------------------------------- libcurl */

/* The libcurl functions we use, resolved once with dlsym(). */
static struct {
	bool loaded;
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
	CURLcode (*easy_perform)(CURL *h);
	CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
	const char *(*easy_strerror)(CURLcode code);
	void (*easy_cleanup)(CURL *h);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_add_handle)(CURLM *m, CURL *h);
	CURLMcode (*multi_remove_handle)(CURLM *m, CURL *h);
	CURLMcode (*multi_perform)(CURLM *m, int *running);
	CURLMcode (*multi_poll)(CURLM *m, struct curl_waitfd fds[],
				unsigned nfds, int timeout_ms, int *numfds);
	CURLMsg *(*multi_info_read)(CURLM *m, int *left);
	const char *(*multi_strerror)(CURLMcode code);
	CURLMcode (*multi_cleanup)(CURLM *m);
} api;

/* dlsym() into a function pointer; memcpy keeps ISO C's object/function
 * pointer distinction out of the way. */
static bool sym(void *lib, const char *name, void *fnptr, size_t size,
		char err[KMS_ERRLEN])
{
	void *p = dlsym(lib, name);
	if (!p) {
		set_err(err, "http(s) URLs need libcurl (libcurl4): %s has no %s",
			"libcurl.so.4", name);
		return false;
	}
	memcpy(fnptr, &p, size);
	return true;
}

#define SYM(lib, name, field) sym(lib, name, &api.field, sizeof api.field, err)

static bool curl_load(char err[KMS_ERRLEN])
{
	if (api.loaded)
		return true;
	/* The handle is kept for the life of the process: libcurl and its TLS
	 * library install state that must not be unmapped under them.
	 * RTLD_LAZY: binding every symbol of the ~30 libraries libcurl pulls
	 * in up front costs CPU at each check, and a check calls few of them
	 * (the symbols we need are checked with dlsym() below). */
	void *lib = dlopen("libcurl.so.4", RTLD_LAZY | RTLD_LOCAL);
	if (!lib) {
		const char *why = dlerror();
		set_err(err, "http(s) URLs need libcurl (libcurl4): %s",
			why ? why : "libcurl.so.4 not found");
		return false;
	}
	if (!SYM(lib, "curl_global_init", global_init) ||
	    !SYM(lib, "curl_easy_init", easy_init) ||
	    !SYM(lib, "curl_easy_setopt", easy_setopt) ||
	    !SYM(lib, "curl_easy_perform", easy_perform) ||
	    !SYM(lib, "curl_easy_getinfo", easy_getinfo) ||
	    !SYM(lib, "curl_easy_strerror", easy_strerror) ||
	    !SYM(lib, "curl_easy_cleanup", easy_cleanup) ||
	    !SYM(lib, "curl_multi_init", multi_init) ||
	    !SYM(lib, "curl_multi_add_handle", multi_add_handle) ||
	    !SYM(lib, "curl_multi_remove_handle", multi_remove_handle) ||
	    !SYM(lib, "curl_multi_perform", multi_perform) ||
	    !SYM(lib, "curl_multi_poll", multi_poll) ||
	    !SYM(lib, "curl_multi_info_read", multi_info_read) ||
	    !SYM(lib, "curl_multi_strerror", multi_strerror) ||
	    !SYM(lib, "curl_multi_cleanup", multi_cleanup))
		return false;
	CURLcode rc = api.global_init(CURL_GLOBAL_DEFAULT);
	if (rc != CURLE_OK) {
		set_err(err, "cannot initialise libcurl: %s", api.easy_strerror(rc));
		return false;
	}
	api.loaded = true;
	return true;
}

/* One http(s) document of fetch_streams(): its easy handle and all its
 * hops, shared with the write callback. Each transfer is a small state
 * machine driven by the multi loop: start (first hop set up), hop done
 * (finished, or the next hop set up), end. */
struct transfer {
	CURL *h;
	struct fetch_job *job;
	fetch_sink sink;
	void *ctx;
	char *err;            /* job->err */
	unsigned long long max, total;
	unsigned long long skipped; /* body bytes of redirects, dropped */
	long status;          /* this hop's response code, seen by on_body */
	bool too_big, sink_failed;
	bool not_read;        /* a redirect's or an error's body, left unread */
	bool deadline;        /* the -t deadline passed */
	bool running;         /* on the multi handle */
	bool ok;              /* finished: fetched to its end */
	int hops;             /* redirects followed so far */
	char *cur;            /* this hop's URL */
	char shown[1024];     /* cur, redacted */
	char first_shown[1024]; /* the job's URL, redacted */
	char origin[1100];    /* the job's URL's origin: where credentials go */
	char activity[1100];  /* "fetching <shown>", for the -t expiry */
	char errbuf[CURL_ERROR_SIZE];
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
	struct transfer *t = user;
	size_t n = size * nmemb;
	if (!t->status) {
		/* first bytes of this hop's answer: the body of a redirect or
		 * an error status is never read, its code says it all */
		long code = 0;
		api.easy_getinfo(t->h, CURLINFO_RESPONSE_CODE, &code);
		t->status = code ? code : 200;
	}
	if (t->status >= 400) {
		t->not_read = true;
		return 0;
	}
	if (t->status >= 300) {
		/* read to its end but dropped: libcurl works out the redirect
		 * target (CURLINFO_REDIRECT_URL) only for a transfer that ends */
		t->not_read = true;
		t->skipped += n;
		if (t->skipped > t->max) {
			t->too_big = true;
			return 0;
		}
		return n;
	}
	/* decompressed bytes arrive here, so this is the size that counts */
	if (t->total + n > t->max) {
		t->too_big = true;
		return 0;
	}
	t->total += n;
	t->err[0] = 0;
	if (n && !t->sink(data, n, t->ctx, t->err)) {
		if (!t->err[0])
			set_err(t->err, "the document reader stopped the transfer");
		t->sink_failed = true;
		return 0;
	}
	return n;
}

static const char *reason_phrase(long code)
{
	static const struct { long code; const char *text; } table[] = {
		{ 300, "Multiple Choices" }, { 301, "Moved Permanently" },
		{ 302, "Found" }, { 303, "See Other" }, { 304, "Not Modified" },
		{ 307, "Temporary Redirect" }, { 308, "Permanent Redirect" },
		{ 400, "Bad Request" }, { 401, "Unauthorized" },
		{ 402, "Payment Required" }, { 403, "Forbidden" },
		{ 404, "Not Found" }, { 405, "Method Not Allowed" },
		{ 406, "Not Acceptable" },
		{ 407, "Proxy Authentication Required" },
		{ 408, "Request Timeout" }, { 410, "Gone" },
		{ 413, "Content Too Large" }, { 414, "URI Too Long" },
		{ 416, "Range Not Satisfiable" }, { 429, "Too Many Requests" },
		{ 500, "Internal Server Error" }, { 501, "Not Implemented" },
		{ 502, "Bad Gateway" }, { 503, "Service Unavailable" },
		{ 504, "Gateway Timeout" },
	};
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (table[i].code == code)
			return table[i].text;
	return NULL;
}

/* Read the first line of an --auth-file as "user:password" into buf
 * (trailing CR/LF removed). read(2) straight into buf, so no stdio buffer
 * keeps a copy the caller cannot wipe. The content is never put into err. */
static bool read_auth_file(const char *path, char *buf, size_t len,
			   char **password, char err[KMS_ERRLEN])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		set_err(err, "cannot open --auth-file %s: %s", path, strerror(errno));
		return false;
	}
	/* a password others can read is not secret; said at -v but not
	 * refused, so a chmod slip does not stop the monitoring */
	struct stat st;
	if (fstat(fd, &st) == 0 && (st.st_mode & 077)) {
		unsigned mode = (unsigned)st.st_mode & 07777;
		vlog(1, "--auth-file %s is %s by others (mode %04o): chmod 600 it",
		     path, (mode & 044) ? "readable" : (mode & 022) ? "writable" :
		     "usable", mode);
	}
	size_t n = 0;
	while (n < len - 1) {
		ssize_t got = read(fd, buf + n, len - 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			set_err(err, "cannot read --auth-file %s: %s", path,
				strerror(errno));
			close(fd);
			return false;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (memchr(buf, '\n', n))
			break;
	}
	close(fd);
	buf[n] = 0;
	char *eol = memchr(buf, '\n', n);
	if (!eol && n == len - 1) {
		set_err(err, "--auth-file %s: first line is longer than %zu bytes",
			path, len - 2);
		return false;
	}
	if (eol)
		*eol = 0;
	n = strlen(buf); /* also stops at a NUL byte inside the line */
	while (n && buf[n - 1] == '\r')
		buf[--n] = 0;
	if (!n) {
		set_err(err, "--auth-file %s is empty: expected user:password on its first line",
			path);
		return false;
	}
	char *colon = strchr(buf, ':');
	if (!colon || colon == buf) {
		set_err(err, "--auth-file %s: first line is not user:password", path);
		return false;
	}
	*colon = 0;
	*password = colon + 1;
	return true;
}

/* The short cause of a failed TLS verification: OpenSSL's verify result
 * (X509_V_ERR_* values, stable in OpenSSL's ABI) in a few words, else
 * libcurl's text without its "SSL certificate problem: " lead-in. */
static const char *tls_reason(long verify, const char *detail)
{
	switch (verify) {
	case 2:  /* UNABLE_TO_GET_ISSUER_CERT */
	case 19: /* SELF_SIGNED_CERT_IN_CHAIN: a root not in the store */
	case 20: /* UNABLE_TO_GET_ISSUER_CERT_LOCALLY */
	case 21: /* UNABLE_TO_VERIFY_LEAF_SIGNATURE */
		return "unknown CA";
	case 18: return "self-signed certificate";
	case 9:  return "certificate not yet valid";
	case 10: return "certificate expired";
	case 23: return "certificate revoked";
	case 26: return "certificate not for a TLS server";
	case 62: /* HOSTNAME_MISMATCH */
	case 64: /* IP_ADDRESS_MISMATCH */
		return "certificate not for this host";
	default: break;
	}
	/* libcurl checks the host name itself: "SSL: no alternative
	 * certificate subject name matches target host name '...'" */
	if (strstr(detail, "subject name"))
		return "certificate not for this host";
	static const char lead[] = "SSL certificate problem: ";
	if (!strncmp(detail, lead, sizeof lead - 1))
		return detail + sizeof lead - 1;
	return detail[0] ? detail : "verification failed";
}

/* Word a failed curl_easy_perform() of the URL shown: a short cause and
 * the URL, once; libcurl's own detail (errbuf) goes to -v, since it often
 * repeats the URL or the host and would push line 1 past 100 characters. */
static void curl_failure(const struct transfer *t, CURLcode rc,
			 const char *detail, const char *url, const char *shown,
			 char err[KMS_ERRLEN])
{
	long os_errno = 0, verify = 0;
	api.easy_getinfo(t->h, CURLINFO_OS_ERRNO, &os_errno);
	api.easy_getinfo(t->h, CURLINFO_SSL_VERIFYRESULT, &verify);
	const char *why = detail[0] ? detail : api.easy_strerror(rc);
	/* libcurl may quote a piece of a URL it could not parse, and a
	 * password typed in the URL with a '#' or '?' is such a piece */
	size_t ui = userinfo_end(url);
	const char *sep = strstr(url, "://");
	if (ui && sep && (size_t)(sep + 3 - url) < ui - 1) {
		const char *user = sep + 3;
		size_t ulen = ui - 1 - (size_t)(user - url);
		const char *colon = memchr(user, ':', ulen);
		const char *secret = colon ? colon + 1 : user;
		size_t slen = ulen - (size_t)(secret - user);
		if (slen && memmem(why, strlen(why), secret, slen))
			why = "(detail not shown: it quotes the URL's credentials)";
	}
	vlog(1, "%s: libcurl error %d: %s", shown, (int)rc, why);
	bool reset = os_errno == ECONNRESET || strstr(why, "reset by peer");
	char secs[32];
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		set_err(err, "timed out after %s s fetching %s",
			fmt_number(secs, sizeof secs, timeout_seconds(), 3), shown);
		break;
	case CURLE_OUT_OF_MEMORY:
		/* what libcurl 7.88 answers to one header line over
		 * CURL_MAX_HTTP_HEADER, before any body byte; a real malloc
		 * failure there is all but impossible */
		if (!t->status)
			set_err(err, "HTTP header over %d KiB from %s",
				CURL_MAX_HTTP_HEADER / 1024, shown);
		else
			set_err(err, "out of memory fetching %s", shown);
		break;
	case CURLE_UNSUPPORTED_PROTOCOL:
		/* libcurl says this of an answer without a status line */
		if (strstr(why, "HTTP/0.9"))
			set_err(err, "not an HTTP answer from %s", shown);
		else
			set_err(err, "unsupported protocol for %s", shown);
		break;
	case CURLE_URL_MALFORMAT:
		set_err(err, "malformed URL %s", shown);
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		set_err(err, "cannot resolve the host of %s", shown);
		break;
	case CURLE_COULDNT_RESOLVE_PROXY:
		set_err(err, "cannot resolve the proxy for %s", shown);
		break;
	case CURLE_COULDNT_CONNECT:
		/* "connection refused" / "no route to host" say more than
		 * libcurl's "Couldn't connect to server" */
		if (os_errno == ECONNREFUSED)
			set_err(err, "connection refused by %s", shown);
		else if (os_errno > 0)
			set_err(err, "cannot connect to %s: %s", shown,
				strerror((int)os_errno));
		else
			set_err(err, "cannot connect to %s", shown);
		break;
	case CURLE_RECV_ERROR: {
		/* libcurl 7.88: "Too large response headers: 307249 > 307200" */
		const char *big = strstr(why, "Too large response headers");
		const char *gt = big ? strchr(big, '>') : NULL;
		if (big)
			set_err(err, "HTTP headers over %ld KiB from %s",
				gt ? strtol(gt + 1, NULL, 10) / 1024 : 300L, shown);
		else if (reset)
			set_err(err, "connection reset by %s", shown);
		else
			set_err(err, "receive error from %s", shown);
		break;
	}
	case CURLE_SEND_ERROR:
		if (reset)
			set_err(err, "connection reset by %s", shown);
		else
			set_err(err, "send error to %s", shown);
		break;
	case CURLE_PARTIAL_FILE:
		set_err(err, "truncated body from %s", shown);
		break;
	case CURLE_GOT_NOTHING:
		set_err(err, "empty reply from %s", shown);
		break;
	case CURLE_WEIRD_SERVER_REPLY:
		set_err(err, "malformed HTTP answer from %s", shown);
		break;
	case CURLE_BAD_CONTENT_ENCODING:
		set_err(err, "undecodable compressed body from %s", shown);
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		set_err(err, "TLS: %s for %s", tls_reason(verify, detail), shown);
		break;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CIPHER:
	case CURLE_USE_SSL_FAILED:
		set_err(err, "TLS handshake failed with %s", shown);
		break;
	case CURLE_SSL_CERTPROBLEM:
		set_err(err, "TLS: bad client certificate for %s", shown);
		break;
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CRL_BADFILE:
		set_err(err, "TLS: unusable CA file for %s", shown);
		break;
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
		set_err(err, "TLS: crypto engine failed for %s", shown);
		break;
	default:
		set_err(err, "%s fetching %s", api.easy_strerror(rc), shown);
		break;
	}
}

/* Apply the options every hop shares; false with err naming the one
 * libcurl refused. Redirects are followed by transfer_done, hop by hop, so
 * that each target is checked before it is asked for. */
#define SET(opt, val)                                                       \
	do {                                                                \
		CURLcode rc_ = api.easy_setopt(h, opt, val);                \
		if (rc_ != CURLE_OK) {                                      \
			set_err(err, "libcurl refused %s: %s", #opt,        \
				api.easy_strerror(rc_));                     \
			return false;                                       \
		}                                                           \
	} while (0)

static bool setup(struct transfer *t, const struct fetch_opts *o,
		  char errbuf[], char err[KMS_ERRLEN])
{
	CURL *h = t->h;
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_ACCEPT_ENCODING, "");
	SET(CURLOPT_FAILONERROR, 0L);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)t->max);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, t);
	SET(CURLOPT_USERAGENT, "kms-plugins/" KMS_VERSION);
	SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	SET(CURLOPT_SSL_VERIFYPEER, o->insecure ? 0L : 1L);
	SET(CURLOPT_SSL_VERIFYHOST, o->insecure ? 0L : 2L);
	if (o->cacert)
		SET(CURLOPT_CAINFO, o->cacert);
	if (o->client_cert)
		SET(CURLOPT_SSLCERT, o->client_cert);
	if (o->client_key)
		SET(CURLOPT_SSLKEY, o->client_key);
	if (o->netrc || o->netrc_file)
		SET(CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
	if (o->netrc_file)
		SET(CURLOPT_NETRC_FILE, o->netrc_file);
	return true;
}

/* Options of one hop: its URL, the time left of -t, and the --auth-file
 * credentials only while on the first URL's origin (what libcurl's own
 * redirect following does: a redirect must not carry the password to
 * another host, port or scheme). */
static bool setup_hop(struct transfer *t, const char *url, const char *user,
		      const char *password, char err[KMS_ERRLEN])
{
	CURL *h = t->h;
	SET(CURLOPT_URL, url);
	if (timeout_seconds() > 0) {
		double left = deadline_left();
		long ms = left * 1000 < 1 ? 1 : (long)(left * 1000);
		SET(CURLOPT_CONNECTTIMEOUT_MS, ms);
		SET(CURLOPT_TIMEOUT_MS, ms);
	}
	SET(CURLOPT_USERNAME, user); /* NULL: none, or the URL's own */
	SET(CURLOPT_PASSWORD, password);
	return true;
}
#undef SET

/* The -t deadline passed while fetching: end the check with the -t state
 * in the backstop alarm's words (timeout.h). Returning an error instead
 * would turn "-t 10:CRITICAL" into an UNKNOWN. Never returns. */
static _Noreturn void deadline_expired(const char *activity)
{
	char secs[32];
	die_state(timeout_state(), "%s timed out after %s s", activity,
		  fmt_number(secs, sizeof secs, timeout_seconds(), 3));
}

static bool scheme_is(const char *url, const char *scheme)
{
	size_t n = strlen(scheme);
	return !strncasecmp(url, scheme, n) && !strncmp(url + n, "://", 3);
}

/* "scheme://host:port" of an http(s) URL, lower case, the default port
 * written out and any userinfo left out, so that two URLs of one origin
 * give the same string. */
static void url_origin(const char *url, char *out, size_t len)
{
	const char *sep = strstr(url, "://");
	if (!sep) {
		snprintf(out, len, "%s", url);
		return;
	}
	size_t ui = userinfo_end(url);
	const char *host = ui ? url + ui : sep + 3;
	size_t alen = strcspn(host, "/?#");
	/* the port follows the last ':' outside an IPv6 literal's [ ] */
	const char *close = host[0] == '[' ? memchr(host, ']', alen) : NULL;
	const char *from = close ? close : host;
	const char *colon = memchr(from, ':', alen - (size_t)(from - host));
	size_t hlen = colon ? (size_t)(colon - host) : alen;
	const char *port = colon ? colon + 1 : "";
	int plen = colon ? (int)(alen - hlen - 1) : 0;
	if (!plen) {
		port = scheme_is(url, "https") ? "443" : "80";
		plen = (int)strlen(port);
	}
	snprintf(out, len, "%.*s://%.*s:%.*s", (int)(sep - url), url,
		 (int)hlen, host, plen, port);
	for (char *c = out; *c; c++)
		*c = (char)tolower((unsigned char)*c);
}

/* The statuses libcurl itself would follow, less 300 (a choice for a
 * human, not an address) and 304 (an answer to a conditional request). */
static bool is_redirect(long code)
{
	return code == 301 || code == 302 || code == 303 || code == 307 ||
	       code == 308;
}

/* A file named by an option is opened once before libcurl gets it, so a
 * missing one is named with the option and errno, not as a TLS error. */
static bool readable(const char *opt, const char *path, char err[KMS_ERRLEN])
{
	if (!path)
		return true;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		set_err(err, "cannot open %s %s: %s", opt, path, strerror(errno));
		return false;
	}
	close(fd);
	return true;
}

/* One hop's answer: true (done, or *next set to the redirect target)
 * or false with t->err. */
static bool hop_result(struct transfer *t, CURLcode rc, char **next)
{
	const char *cur = t->cur, *shown = t->shown, *first_shown = t->first_shown;
	int hops = t->hops;
	char *err = t->err;
	long code = 0;
	api.easy_getinfo(t->h, CURLINFO_RESPONSE_CODE, &code);
	if (t->sink_failed)
		return false; /* the sink's own message is in err */
	if (t->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		/* named with its URL, like every other HTTP failure */
		set_err(err, "body over --max-size %llu bytes from %s", t->max, shown);
		return false;
	}
	/* an error status's body is refused by on_body: a write error */
	bool answered = rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && t->not_read);
	const char *phrase = reason_phrase(code);
	if (answered && code >= 300) {
		char *to = NULL;
		api.easy_getinfo(t->h, CURLINFO_REDIRECT_URL, &to);
		if (!is_redirect(code) || !to || !to[0]) {
			vlog(3, "%s: HTTP %ld%s%s, body not read", shown, code,
			     phrase ? " " : "", phrase ? phrase : "");
			if (code == 304)
				vlog(1, "%s: HTTP 304 answers a conditional request; "
				     "the plugins send none", shown);
			set_err(err, "HTTP %ld%s%s from %s%s", code,
				phrase ? " " : "", phrase ? phrase : "", shown,
				is_redirect(code) ? " without a Location" : "");
			return false;
		}
		char to_shown[1024];
		url_redact(to, to_shown, sizeof to_shown);
		vlog(2, "%s: HTTP %ld redirect to %s", shown, code, to_shown);
		if (!scheme_is(to, "http") && !scheme_is(to, "https")) {
			set_err(err, "%s redirects to %s: only http and https are followed",
				shown, to_shown);
			return false;
		}
		if (scheme_is(cur, "https") && !scheme_is(to, "https")) {
			set_err(err, "%s redirects to %s: refusing to leave https",
				shown, to_shown);
			return false;
		}
		if (hops >= MAX_REDIRS) {
			set_err(err, "more than %ld redirects from %s", MAX_REDIRS,
				first_shown);
			return false;
		}
		*next = strdup(to);
		if (!*next) {
			set_err(err, "out of memory following %s", to_shown);
			return false;
		}
		return true;
	}
	if (answered) {
		vlog(3, "%s: HTTP %ld after %d redirect(s), %llu body bytes",
		     shown, code, hops, t->total);
		return true;
	}
	if (rc == CURLE_OPERATION_TIMEDOUT && timeout_seconds() > 0 &&
	    deadline_left() < 0.1) {
		t->deadline = true; /* the multi loop ends the check */
		return false;
	}
	curl_failure(t, rc, t->errbuf, cur, shown, err);
	return false;
}


/* --------------------------------------------------- transfers, multi loop */

/* The --auth-file credentials, read once for every transfer; wiped when
 * they are done (libcurl keeps its own copy). */
struct creds {
	char buf[1024];
	const char *user;      /* NULL: none, or the URL's own */
	const char *password;
};

/* Every http(s) transfer of one fetch_streams() call on one multi handle. */
struct batch {
	CURLM *m;
	struct transfer *ts;
	size_t n;
	struct creds creds;
};

/* Set up the hop to t->cur: its activity, the time left, and the
 * credentials only while on the first URL's origin. false with t->err, or
 * with t->deadline when -t has passed already. */
static bool transfer_hop(struct transfer *t, const struct creds *c)
{
	url_redact(t->cur, t->shown, sizeof t->shown);
	snprintf(t->activity, sizeof t->activity, "fetching %s", t->shown);
	timeout_set_activity(t->activity);
	if (timeout_seconds() > 0 && deadline_left() <= 0) {
		t->deadline = true;
		return false;
	}
	char here[1100];
	url_origin(t->cur, here, sizeof here);
	bool home = !strcmp(here, t->origin);
	if (c->user && !home && t->hops)
		vlog(2, "not sending the --auth-file credentials to %s "
		     "(another host, port or scheme)", t->shown);
	if (!setup_hop(t, t->cur, home ? c->user : NULL,
		       home ? c->password : NULL, t->err))
		return false;
	t->status = 0;
	t->not_read = false;
	t->skipped = 0;
	t->errbuf[0] = 0;
	return true;
}

/* The handle of job, its options and its first hop; false with t->err
 * (or t->deadline). */
static bool transfer_start(struct transfer *t, struct fetch_job *job,
			   const struct fetch_opts *o, const struct creds *c)
{
	*t = (struct transfer){ .job = job, .sink = job->sink, .ctx = job->ctx,
				.err = job->err, .max = effective_max(o) };
	url_redact(job->url, t->first_shown, sizeof t->first_shown);
	snprintf(t->activity, sizeof t->activity, "fetching %s", t->first_shown);
	t->h = api.easy_init();
	t->cur = strdup(job->url);
	if (!t->h || !t->cur) {
		set_err(t->err, "cannot create a libcurl handle for %s", t->first_shown);
		return false;
	}
	if (userinfo_end(job->url))
		vlog(1, "the URL carries credentials, which anyone who can list "
		     "processes sees: --auth-file or --netrc keep them private");
	vlog(3, "fetching %s (max %llu bytes, %s)", t->first_shown, t->max,
	     c->user ? "basic auth from --auth-file" : "no --auth-file");
	url_origin(job->url, t->origin, sizeof t->origin);
	return setup(t, o, t->errbuf, t->err) && transfer_hop(t, c);
}

/* A hop of t ended with rc: true when the next hop (a redirect) is set up,
 * false when t is finished (t->ok, else t->err or t->deadline). */
static bool transfer_done(struct transfer *t, CURLcode rc, const struct creds *c)
{
	char *next = NULL;
	t->ok = hop_result(t, rc, &next);
	if (!next)
		return false;
	free(t->cur);
	t->cur = next;
	t->hops++;
	t->ok = transfer_hop(t, c);
	return t->ok;
}

/* Put t's hop on the multi handle; false with t->err. */
static bool transfer_add(struct batch *b, struct transfer *t)
{
	CURLMcode mc = api.multi_add_handle(b->m, t->h);
	if (mc != CURLM_OK) {
		set_err(t->err, "libcurl refused the transfer of %s: %s", t->shown,
			api.multi_strerror(mc));
		t->ok = false;
		return false;
	}
	t->running = true;
	return true;
}

static void batch_end(struct batch *b)
{
	for (size_t i = 0; b->ts && i < b->n; i++) {
		struct transfer *t = &b->ts[i];
		if (t->running)
			api.multi_remove_handle(b->m, t->h);
		if (t->h)
			api.easy_cleanup(t->h);
		free(t->cur);
	}
	if (b->m)
		api.multi_cleanup(b->m);
	free(b->ts);
	explicit_bzero(&b->creds, sizeof b->creds);
	*b = (struct batch){ 0 };
}

/* -t has passed with a transfer still running: end the plugin naming the
 * hop it was on, as a single fetch does. */
static _Noreturn void batch_expired(struct batch *b, const char *activity)
{
	char what[sizeof b->ts->activity];
	snprintf(what, sizeof what, "%s", activity);
	batch_end(b);
	deadline_expired(what);
}

static struct transfer *batch_running(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->ts[i].running)
			return &b->ts[i];
	return NULL;
}

/* How long curl_multi_poll() may wait: until -t at most, and a second at
 * most so the deadline is looked at again even if libcurl sleeps longer. */
static int poll_ms(void)
{
	if (timeout_seconds() <= 0)
		return 1000;
	double left = deadline_left();
	if (left <= 0)
		return 0;
	return left >= 1.0 ? 1000 : (int)(left * 1000) + 1;
}

/* Drive every running transfer to its end; a redirect takes its handle
 * off the multi handle, sets up the next hop and puts it back. */
static void batch_run(struct batch *b)
{
	while (batch_running(b)) {
		int still = 0;
		CURLMcode mc = api.multi_perform(b->m, &still);
		if (mc != CURLM_OK) {
			for (size_t i = 0; i < b->n; i++) {
				struct transfer *t = &b->ts[i];
				if (!t->running)
					continue;
				set_err(t->err, "libcurl failed fetching %s: %s",
					t->shown, api.multi_strerror(mc));
				api.multi_remove_handle(b->m, t->h);
				t->running = false;
				t->ok = false;
			}
			return;
		}
		bool finished = false;
		CURLMsg *msg;
		int left;
		while ((msg = api.multi_info_read(b->m, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			/* msg does not outlive multi_remove_handle */
			CURL *h = msg->easy_handle;
			CURLcode rc = msg->data.result;
			struct transfer *t = NULL;
			for (size_t i = 0; i < b->n && !t; i++)
				if (b->ts[i].running && b->ts[i].h == h)
					t = &b->ts[i];
			if (!t)
				continue;
			api.multi_remove_handle(b->m, h);
			t->running = false;
			if (transfer_done(t, rc, &b->creds))
				transfer_add(b, t);
			if (t->deadline)
				batch_expired(b, t->activity);
			finished = finished || !t->running;
		}
		struct transfer *r = batch_running(b);
		if (!r)
			return;
		if (timeout_seconds() > 0 && deadline_left() <= 0)
			batch_expired(b, r->activity);
		if (finished) /* the backstop alarm names a transfer still running */
			timeout_set_activity(r->activity);
		api.multi_poll(b->m, NULL, 0, poll_ms(), NULL);
	}
}

static bool is_http(const char *url)
{
	return url && (scheme_is(url, "http") || scheme_is(url, "https"));
}

/* Every http(s) job of jobs, concurrently on one multi handle. What they
 * share is checked once: the option files, libcurl, the credentials. */
static void fetch_http(struct fetch_job *jobs, size_t n, const struct fetch_opts *o)
{
	size_t n_http = 0, first = n;
	for (size_t i = 0; i < n; i++)
		if (is_http(jobs[i].url)) {
			n_http++;
			first = first < n ? first : i;
		}
	if (!n_http)
		return;
	char shown[1024], activity[1100];
	url_redact(jobs[first].url, shown, sizeof shown);
	snprintf(activity, sizeof activity, "fetching %s", shown);
	timeout_set_activity(activity);
	if (timeout_seconds() > 0 && deadline_left() <= 0)
		deadline_expired(activity);

	struct batch b = { 0 };
	char err[KMS_ERRLEN];
	bool ready = readable("--cacert", o->cacert, err) &&
		     readable("--client-cert", o->client_cert, err) &&
		     readable("--client-key", o->client_key, err) &&
		     curl_load(err);
	if (ready && o->auth_file) {
		char *password = NULL;
		ready = read_auth_file(o->auth_file, b.creds.buf, sizeof b.creds.buf,
				       &password, err);
		b.creds.user = b.creds.buf;
		b.creds.password = password;
	}
	if (ready) {
		b.ts = calloc(n_http, sizeof *b.ts);
		b.m = b.ts ? api.multi_init() : NULL;
		if (!b.m)
			set_err(err, "cannot create a libcurl handle for %s", shown);
		ready = b.m != NULL;
	}
	if (!ready) {
		for (size_t i = 0; i < n; i++)
			if (is_http(jobs[i].url))
				memcpy(jobs[i].err, err, KMS_ERRLEN);
		batch_end(&b);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (!is_http(jobs[i].url))
			continue;
		struct transfer *t = &b.ts[b.n++];
		if (transfer_start(t, &jobs[i], o, &b.creds))
			transfer_add(&b, t);
		if (t->deadline)
			batch_expired(&b, t->activity);
	}
	batch_run(&b);
	for (size_t i = 0; i < b.n; i++)
		b.ts[i].job->ok = b.ts[i].ok;
	batch_end(&b);
}

/* ----------------------------------------------------------------- entry */

/* The length of url's scheme, 0 when it has none (a plain path). */
static size_t scheme_length(const char *url)
{
	const char *sep = strstr(url, "://");
	size_t len = sep ? (size_t)(sep - url) : 0;
	return len && strspn(url, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-") == len
		? len : 0;
}

/* A plain path or a file:// URL. */
static bool is_local(const char *url)
{
	size_t len = scheme_length(url);
	return !len || (len == 4 && !strncasecmp(url, "file", 4));
}

/* Read the plain path or file:// URL url. */
static bool fetch_local(const char *url, const struct fetch_opts *o,
			fetch_sink sink, void *ctx, char err[KMS_ERRLEN])
{
	if (!scheme_length(url))
		return fetch_file(url, o, sink, ctx, err);
	const char *rest = strstr(url, "://") + 3;
	if (!strncasecmp(rest, "localhost/", 10))
		rest += 9;
	if (rest[0] != '/') {
		char shown[1024];
		url_redact(url, shown, sizeof shown);
		set_err(err, "file:// URL %s names a remote host: only file:///path and file://localhost/path are read",
			shown);
		return false;
	}
	char path[4096];
	size_t plen = strcspn(rest, "?#");
	char raw[4096];
	if (plen >= sizeof raw) {
		set_err(err, "file:// path is too long");
		return false;
	}
	memcpy(raw, rest, plen);
	raw[plen] = 0;
	if (!percent_decode(raw, path, sizeof path)) {
		set_err(err, "file:// URL has a malformed %%-escape: %s", raw);
		return false;
	}
	return fetch_file(path, o, sink, ctx, err);
}

void fetch_streams(struct fetch_job *jobs, size_t n, const struct fetch_opts *o)
{
	static const struct fetch_opts defaults = { .max_size = FETCH_DEFAULT_MAX_SIZE };
	if (!o)
		o = &defaults;
	/* files first, in turn: they need neither libcurl nor the network */
	for (size_t i = 0; i < n; i++) {
		struct fetch_job *j = &jobs[i];
		j->ok = false;
		j->err[0] = 0;
		if (!j->url || !j->url[0]) {
			set_err(j->err, "no document URL given (-u/--url)");
		} else if (is_local(j->url)) {
			j->ok = fetch_local(j->url, o, j->sink, j->ctx, j->err);
		} else if (!is_http(j->url)) {
			char shown[1024];
			url_redact(j->url, shown, sizeof shown);
			set_err(j->err, "unsupported URL scheme \"%.*s\" in %s: use http://, https://, file:// or a path",
				(int)scheme_length(j->url), j->url, shown);
		}
	}
	fetch_http(jobs, n, o);
}

bool fetch_stream(const char *url, const struct fetch_opts *o, fetch_sink sink,
		  void *ctx, char err[KMS_ERRLEN])
{
	struct fetch_job job = { .url = url, .sink = sink, .ctx = ctx };
	fetch_streams(&job, 1, o);
	memcpy(err, job.err, KMS_ERRLEN);
	return job.ok;
}
