/* options.h - one command-line parser for every plugin.
 *
 * The standard options keep the same letters everywhere (monitoring-plugins):
 *   -h --help  -V --version  -v --verbose (repeatable, 0-3)
 *   -t --timeout SECONDS[:STATE]  -w --warning RANGE  -c --critical RANGE
 *   -H --hostname  -p --port  -4 -6  -D --domain  -s --dns-server ADDR[:PORT]
 *   -u --url URL, repeatable up to OPTS_MAX_URLS times (one document per
 *      KMS host; the command line's -u replace those of --extra-opts)
 *      (+ the fetch and document options below)
 *   --extra-opts[=section][@file]  --output-format text|json|mp-test-json
 * A plugin asks for the groups it uses (OPTS_*) and adds its own options in a
 * table; --help is generated from the same tables, so help and parser never
 * drift apart. --help and --version print to stdout and exit 0 (documented in
 * every man page); any bad option ends with UNKNOWN (exit 3) naming it. */
#ifndef KMS_OPTIONS_H
#define KMS_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include "fetch.h"
#include "number.h" /* number_parse(), duration_parse() for plugin options */
#include "render.h" /* enum output_format */
#include "state.h"
#include "version.h"

/* Option groups a plugin can use. -h -V -v -t and --extra-opts are always on. */
enum {
	OPTS_THRESHOLDS = 1 << 0, /* -w -c */
	OPTS_HOST = 1 << 1,       /* -H -p -4 -6 */
	OPTS_DNS = 1 << 2,        /* -D -s */
	OPTS_DOCUMENT = 1 << 3,   /* -u, fetch options, --max-age --stale-state */
};

/* A plugin's own option. id is what the handler receives: the short letter
 * when there is one, else a number >= 256. */
struct plugin_option {
	const char *long_name;
	int short_name;      /* 0 for long-only */
	bool has_arg;
	const char *arg_name; /* "N", "REGEX"... shown in --help */
	const char *help;     /* may hold '\n' for more lines */
	int id;
};

/* At most this many -u: one status document per KMS host of a fleet. */
#define OPTS_MAX_URLS 16

/* Values of the standard options after parsing. Strings point into argv or
 * into storage that lives until exit. */
struct common_opts {
	int verbose;              /* 0..3 */
	double timeout;           /* seconds, default 10 */
	state_t timeout_state;    /* default from plugin_info */
	const char *warning;      /* NULL when not given */
	const char *critical;
	const char *hostname;
	const char *port;         /* NULL when not given */
	int family;               /* AF_UNSPEC, AF_INET (-4), AF_INET6 (-6) */
	const char *domain;
	const char *dns_server;
	const char *url;          /* the first -u, NULL when none */
	const char *urls[OPTS_MAX_URLS]; /* every -u in order (url is urls[0]) */
	size_t n_urls;
	struct fetch_opts fetch;  /* --cacert --client-cert --client-key
				     --insecure --auth-file --netrc[-file]
				     --max-size */
	double max_age;           /* --max-age SECONDS-or-DURATION, default 3600 */
	state_t stale_state;      /* --stale-state, default UNKNOWN */
	enum output_format output_format; /* --output-format, default text */
};

/* Everything options_parse() needs to know about a plugin. */
struct plugin_info {
	const char *name;     /* "check_kms_count" */
	const char *aspect;   /* "COUNT": plugin info, set by options_parse() */
	const char *purpose;  /* one sentence for --help */
	const char *usage;    /* synopsis after the program name */
	unsigned groups;      /* OPTS_* */
	const struct plugin_option *options; /* ends with a zeroed entry; may be NULL */
	const char *notes;    /* free text after the options: defaults, examples */
	state_t timeout_state; /* state when -t expires and no :STATE is given */
	/* Called for each of the plugin's own options. Return false and fill
	 * err to end with UNKNOWN. */
	bool (*handle)(int id, const char *arg, void *ctx, char err[KMS_ERRLEN]);
	void *ctx;
};

/* Parse argv (with --extra-opts expanded first, command line winning) into
 * *out and call info->handle for plugin options. Only parses: no clock, no
 * verbosity (options_start() does that). One side effect, first thing: the
 * aspect is plugin info, so options_parse() sets it from info->aspect
 * (output_set_aspect) before reading argv, and a die() for a bad option
 * already reads "KMS <ASPECT> UNKNOWN - ...". The other, for the same
 * reason: --output-format takes effect when it is read, so a bad option
 * after it is reported in that format. Exits 0 on --help and --version,
 * and with UNKNOWN (die) on any error. */
void options_parse(int argc, char **argv, const struct plugin_info *info,
		   struct common_opts *out);

/* Start the check with the parsed options, right after options_parse() in
 * every main: set the -v level, log --insecure at -v, and start the -t
 * clock (timeout_start, with the aspect options_parse() set). Before it no
 * alarm can fire and vlog() keeps nothing (the level is still 0). */
void options_start(const struct common_opts *co);

/* Print --help to stdout (what options_parse does for -h). */
void options_print_help(const struct plugin_info *info);

/* --extra-opts: read [section] of an ini file in the monitoring-plugins
 * format and append "--key=value" / "--key" strings to *args (*n updated,
 * array grown with realloc; caller frees each string and the array).
 * spec is "", "section", "@file" or "section@file". The default section is
 * the plugin name; the default file is looked up as monitoring-plugins does
 * (MP_CONFIG_FILE first, then the standard paths). Returns false with err
 * for a missing file, a missing section or a malformed line. */
bool extra_opts_read(const char *spec, const char *plugin_name, char ***args,
		     int *n, char err[KMS_ERRLEN]);

#endif
