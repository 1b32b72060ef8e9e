/* kms_fetch.c - test tool owning the end-to-end check of common/fetch.c:
 * `kms_fetch [fetch options] URL` (or -u URL) streams the body through
 * fetch_stream() and prints "KMS FETCH OK - N bytes, FNV-1a HEX", or ends
 * UNKNOWN with the fetch error. A checksum instead of the body keeps the
 * output small and lets tests compare what arrived with what was served.
 * With -u given more than once, all are fetched at once by fetch_streams():
 * one subcheck per URL, "URL: N bytes, FNV-1a HEX" or, UNKNOWN, "URL: error",
 * and perfdata size1, size2... in -u order. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch.h"
#include "options.h"
#include "output.h"

struct digest {
	unsigned long long bytes;
	uint64_t fnv;
};

/* FNV-1a 64 over the body, chunk by chunk. */
static bool digest_sink(const char *data, size_t len, void *ctx,
			char err[KMS_ERRLEN])
{
	(void)err;
	struct digest *d = ctx;
	for (size_t i = 0; i < len; i++) {
		d->fnv ^= (unsigned char)data[i];
		d->fnv *= 0x100000001b3ULL;
	}
	d->bytes += len;
	return true;
}

/* Options that take a value, so a trailing word after one of them is its
 * value and not the URL. */
static bool takes_value(const char *opt)
{
	static const char *const with_value[] = {
		"-u", "--url", "-t", "--timeout", "--cacert", "--client-cert",
		"--client-key", "--auth-file", "--netrc-file", "--max-size",
		"--max-age", "--stale-state", NULL
	};
	for (size_t i = 0; with_value[i]; i++)
		if (!strcmp(opt, with_value[i]))
			return true;
	return false;
}

/* Every -u at once, each its own subcheck. */
static _Noreturn void fetch_all(const struct common_opts *co)
{
	struct fetch_job jobs[OPTS_MAX_URLS];
	struct digest d[OPTS_MAX_URLS];
	for (size_t i = 0; i < co->n_urls; i++) {
		d[i] = (struct digest){ 0, 0xcbf29ce484222325ULL };
		jobs[i] = (struct fetch_job){ .url = co->urls[i], .sink = digest_sink,
					      .ctx = &d[i] };
	}
	fetch_streams(jobs, co->n_urls, &co->fetch);

	struct check *c = check_new();
	for (size_t i = 0; i < co->n_urls; i++) {
		char shown[1024], label[32];
		url_redact(co->urls[i], shown, sizeof shown);
		if (!jobs[i].ok) {
			struct subcheck *bad = check_add(c, "%s: %s", shown, jobs[i].err);
			subcheck_set_state(bad, STATE_UNKNOWN);
			continue;
		}
		struct subcheck *body = check_add(c, "%s: %llu bytes, FNV-1a %016llx",
						  shown, d[i].bytes,
						  (unsigned long long)d[i].fnv);
		snprintf(label, sizeof label, "size%zu", i + 1);
		struct metric size = METRIC(label, (double)d[i].bytes);
		size.uom = "B";
		size.min = 0;
		subcheck_metric(body, size);
	}
	check_exit(c);
}

int main(int argc, char **argv)
{
	static const struct plugin_info info = {
		.name = "kms_fetch",
		.aspect = "FETCH",
		.purpose = "Test tool: fetch a URL or path as the document plugins do "
			   "and print its size and FNV-1a checksum.",
		.usage = "[fetch options] URL",
		.groups = OPTS_DOCUMENT,
		.timeout_state = STATE_UNKNOWN,
	};
	/* A trailing positional URL becomes --url=URL for options_parse. */
	char **args = calloc((size_t)argc + 1, sizeof *args);
	char *url_arg = NULL;
	if (!args)
		return STATE_UNKNOWN;
	int n = argc;
	memcpy(args, argv, (size_t)argc * sizeof *args);
	if (argc >= 2 && argv[argc - 1][0] != '-' &&
	    (argc == 2 || !takes_value(argv[argc - 2]))) {
		size_t len = strlen(argv[argc - 1]) + sizeof "--url=";
		url_arg = malloc(len);
		if (!url_arg)
			return STATE_UNKNOWN;
		snprintf(url_arg, len, "--url=%s", argv[argc - 1]);
		args[argc - 1] = url_arg;
	}
	struct common_opts co;
	options_parse(n, args, &info, &co);
	options_start(&co);
	if (!co.url)
		die("no URL given: kms_fetch [fetch options] URL");

	if (co.n_urls > 1)
		fetch_all(&co);

	struct digest d = { 0, 0xcbf29ce484222325ULL };
	char err[KMS_ERRLEN];
	bool ok = fetch_stream(co.url, &co.fetch, digest_sink, &d, err);
	free(url_arg);
	free(args);
	if (!ok)
		die("%s", err);

	struct check *c = check_new();
	struct subcheck *body = check_add(c, "%llu bytes, FNV-1a %016llx", d.bytes,
					  (unsigned long long)d.fnv);
	struct metric size = METRIC("size", (double)d.bytes);
	size.uom = "B";
	size.min = 0;
	subcheck_metric(body, size);
	check_exit(c);
}
