/* options.c - owns the command line of every plugin (options.h): the table
 * of standard options by group, merging it with the plugin's own table,
 * --extra-opts expansion from monitoring-plugins ini files, parsing with
 * getopt_long, and --help generated from the same tables.
 *
 * Every string a parsed option points to lives until exit: argv itself, or
 * copies kept in a file-local list (still reachable, so valgrind does not
 * count them as leaks). */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "output.h"
#include "timeout.h"

/* Ids of the standard long-only options: far above the short letters and
 * the plugin's own ids (>= 256). */
enum {
	ID_EXTRA_OPTS = 0x10000,
	ID_CACERT,
	ID_CLIENT_CERT,
	ID_CLIENT_KEY,
	ID_INSECURE,
	ID_AUTH_FILE,
	ID_NETRC,
	ID_NETRC_FILE,
	ID_MAX_SIZE,
	ID_MAX_AGE,
	ID_STALE_STATE,
	ID_OUTPUT_FORMAT,
};

#define GROUP_ALWAYS 0u

struct std_option {
	unsigned group; /* GROUP_ALWAYS or one OPTS_* bit */
	struct plugin_option opt;
};

/* The standard options, in --help order. */
static const struct std_option std_options[] = {
	{ GROUP_ALWAYS, { "help", 'h', false, NULL, "Print this help and exit 0.", 'h' } },
	{ GROUP_ALWAYS, { "version", 'V', false, NULL, "Print the version and exit 0.", 'V' } },
	{ GROUP_ALWAYS, { "verbose", 'v', false, NULL,
			  "More detail on stderr, written after the status output (so\n"
			  "the status line stays first where stderr is merged, as in\n"
			  "Icinga 2); repeat up to 3 times (-vvv). Never shows a\n"
			  "password, token or key.", 'v' } },
	{ GROUP_ALWAYS, { "timeout", 't', true, "SECONDS[:STATE]",
			  "Give up after SECONDS (default 10, at most 86400) and end\n"
			  "with STATE (OK, WARNING, CRITICAL, UNKNOWN; default below).", 't' } },
	{ GROUP_ALWAYS, { "extra-opts", 0, false, "[SECTION][@FILE]",
			  "Read options from [SECTION] (default: the plugin name) of an\n"
			  "ini file: FILE, else $MP_CONFIG_FILE, else the first of\n"
			  "/usr/local/etc/monitoring-plugins/monitoring-plugins.ini,\n"
			  "/usr/local/etc/monitoring-plugins.ini,\n"
			  "/etc/monitoring-plugins/monitoring-plugins.ini,\n"
			  "/etc/monitoring-plugins.ini and the older nagios paths.\n"
			  "Lines are key=value or key; the command line wins.", ID_EXTRA_OPTS } },
	{ GROUP_ALWAYS, { "output-format", 0, true, "FORMAT",
			  "text (default: the Nagios plugin output), json (the result\n"
			  "tree as one JSON object, exit code as with text) or\n"
			  "mp-test-json (the same object, exit 0, as monitoring-plugins).", ID_OUTPUT_FORMAT } },
	{ OPTS_THRESHOLDS, { "warning", 'w', true, "RANGE", "WARNING threshold (Nagios range syntax).", 'w' } },
	{ OPTS_THRESHOLDS, { "critical", 'c', true, "RANGE", "CRITICAL threshold (Nagios range syntax).", 'c' } },
	{ OPTS_HOST, { "hostname", 'H', true, "HOST", "KMS host name or address.", 'H' } },
	{ OPTS_HOST, { "port", 'p', true, "PORT", "TCP port, 1-65535 (default 1688).", 'p' } },
	{ OPTS_HOST, { "ipv4", '4', false, NULL, "Use IPv4 only.", '4' } },
	{ OPTS_HOST, { "ipv6", '6', false, NULL, "Use IPv6 only.", '6' } },
	{ OPTS_DNS, { "domain", 'D', true, "DOMAIN", "DNS domain whose _vlmcs._tcp SRV records are read.", 'D' } },
	{ OPTS_DNS, { "dns-server", 's', true, "ADDR[:PORT]",
		      "DNS server to ask (default: first nameserver in\n"
		      "/etc/resolv.conf). IPv6 with a port: [ADDR]:PORT.", 's' } },
	{ OPTS_DOCUMENT, { "url", 'u', true, "URL",
			   "Status document: http://, https://, file:// or a path.\n"
			   "Repeat for a fleet: one document per KMS host, at most 16,\n"
			   "fetched concurrently and judged together.", 'u' } },
	{ OPTS_DOCUMENT, { "cacert", 0, true, "FILE", "CA certificates to verify the HTTPS server with.", ID_CACERT } },
	{ OPTS_DOCUMENT, { "client-cert", 0, true, "FILE", "TLS client certificate (PEM).", ID_CLIENT_CERT } },
	{ OPTS_DOCUMENT, { "client-key", 0, true, "FILE", "Key of the TLS client certificate (PEM).", ID_CLIENT_KEY } },
	{ OPTS_DOCUMENT, { "insecure", 0, false, NULL, "INSECURE: do not verify the server's TLS certificate\n(anyone on the path can then forge the document; said at -v).", ID_INSECURE } },
	{ OPTS_DOCUMENT, { "auth-file", 0, true, "FILE",
			   "Read HTTP credentials (one line user:password) from FILE.", ID_AUTH_FILE } },
	{ OPTS_DOCUMENT, { "netrc", 0, false, NULL, "Read HTTP credentials from ~/.netrc.", ID_NETRC } },
	{ OPTS_DOCUMENT, { "netrc-file", 0, true, "FILE", "Read HTTP credentials from this netrc file.", ID_NETRC_FILE } },
	{ OPTS_DOCUMENT, { "max-size", 0, true, "BYTES",
			   "Refuse a document larger than BYTES (K, M, G suffixes;\n"
			   "default 64M).", ID_MAX_SIZE } },
	{ OPTS_DOCUMENT, { "max-age", 0, true, "DURATION",
			   "Oldest acceptable document: 90, 90s, 15m, 2h, 1d\n"
			   "(default 1h).", ID_MAX_AGE } },
	{ OPTS_DOCUMENT, { "stale-state", 0, true, "STATE",
			   "State when the document is older than --max-age\n"
			   "(default UNKNOWN).", ID_STALE_STATE } },
};

#define N_STD (sizeof std_options / sizeof std_options[0])

/* Strings that must live until exit (extra-opts arguments, the merged argv). */
static void **kept;
static size_t n_kept, cap_kept;

static void *keep(void *p)
{
	if (!p)
		die("out of memory while parsing options");
	if (n_kept == cap_kept) {
		size_t ncap = cap_kept ? cap_kept * 2 : 16;
		void **nk = realloc(kept, ncap * sizeof *nk);
		if (!nk)
			die("out of memory while parsing options");
		kept = nk;
		cap_kept = ncap;
	}
	kept[n_kept++] = p;
	return p;
}

static bool group_on(unsigned group, unsigned groups)
{
	return group == GROUP_ALWAYS || (groups & group) != 0;
}

static size_t n_plugin_options(const struct plugin_info *info)
{
	size_t n = 0;
	if (info->options)
		while (info->options[n].long_name || info->options[n].short_name)
			n++;
	return n;
}

/* ---- small parsers ------------------------------------------------------ */

/* BYTES with an optional K, M or G (powers of 1024), at least 1. */
static bool size_parse(const char *text, unsigned long long *out, char err[KMS_ERRLEN])
{
	size_t n = 0;
	while (isdigit((unsigned char)text[n]))
		n++;
	unsigned long long mult = 0;
	if (n > 0 && n <= 15) {
		const char *suf = text + n;
		if (*suf == '\0')
			mult = 1;
		else if (suf[1] == '\0' && (*suf == 'K' || *suf == 'k'))
			mult = 1024ULL;
		else if (suf[1] == '\0' && (*suf == 'M' || *suf == 'm'))
			mult = 1024ULL * 1024;
		else if (suf[1] == '\0' && (*suf == 'G' || *suf == 'g'))
			mult = 1024ULL * 1024 * 1024;
	}
	if (mult == 0) {
		snprintf(err, KMS_ERRLEN,
			 "invalid --max-size \"%.100s\": expected BYTES with an optional K, M or G", text);
		return false;
	}
	unsigned long long v = strtoull(text, NULL, 10);
	if (v == 0) {
		snprintf(err, KMS_ERRLEN, "invalid --max-size \"%.100s\": must be at least 1 byte", text);
		return false;
	}
	/* 15 digits times 2^30 can pass 2^64; libcurl takes the limit as a
	 * signed 64-bit curl_off_t */
	if (v > (unsigned long long)LLONG_MAX / mult) {
		snprintf(err, KMS_ERRLEN, "invalid --max-size \"%.100s\": at most %lld bytes",
			 text, LLONG_MAX);
		return false;
	}
	*out = v * mult;
	return true;
}

/* ---- --extra-opts ------------------------------------------------------- */

/* monitoring-plugins' lookup order when no @file is given. */
static const char *const default_ini_paths[] = {
	"/usr/local/etc/monitoring-plugins/monitoring-plugins.ini",
	"/usr/local/etc/monitoring-plugins.ini",
	"/etc/monitoring-plugins/monitoring-plugins.ini",
	"/etc/monitoring-plugins.ini",
	"/etc/nagios/plugins.ini",
	"/usr/local/nagios/etc/plugins.ini",
	"/usr/local/etc/nagios/plugins.ini",
	"/etc/opt/nagios/plugins.ini",
	"/etc/nagios-plugins.ini",
	"/usr/local/etc/nagios-plugins.ini",
	"/etc/opt/nagios-plugins.ini",
};

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

static bool push_arg(char ***args, int *n, char *s)
{
	if (!s)
		return false;
	char **na = realloc(*args, (size_t)(*n + 1) * sizeof *na);
	if (!na) {
		free(s);
		return false;
	}
	na[(*n)++] = s;
	*args = na;
	return true;
}

/* Where each argument read from an ini file came from ("FILE, [SECTION]
 * line N"), index for index with the arguments extra_opts_read() returns
 * across calls, so an option getopt refuses can be traced to its line. */
static char **extra_where;
static int n_extra_where;
static bool track_where; /* only while expanding a command line */

static void note_where(const char *file, const char *section, unsigned lineno, int upto)
{
	while (track_where && n_extra_where < upto) {
		char **nw = realloc(extra_where, (size_t)(n_extra_where + 1) * sizeof *nw);
		if (!nw)
			return; /* only the message gets poorer */
		extra_where = nw;
		if (asprintf(&extra_where[n_extra_where], "%s, [%s] line %u", file, section,
			     lineno) < 0)
			extra_where[n_extra_where] = NULL;
		n_extra_where++;
	}
}

/* One "key=value" or "key" line of the wanted section, already trimmed.
 * A one-letter key becomes "-k" [value], a longer one "--key[=value]". */
static bool extra_line(char *line, const char *file, unsigned lineno,
		       char ***args, int *n, char err[KMS_ERRLEN])
{
	char *eq = strchr(line, '=');
	char *val = NULL;
	if (eq) {
		*eq = '\0';
		val = trim(eq + 1);
	}
	char *key = trim(line);
	const char *why = NULL;
	if (*key == '\0')
		why = "'=' without an option name";
	else if (*key == '-')
		why = "option name starts with '-' (write it without dashes)";
	for (const char *q = key; !why && *q; q++)
		if (isspace((unsigned char)*q))
			why = "option name holds a space";
	if (why) {
		snprintf(err, KMS_ERRLEN, "--extra-opts: %.200s line %u: %s", file, lineno, why);
		return false;
	}
	char *opt;
	bool ok;
	if (key[1] == '\0') {
		ok = (opt = malloc(3)) != NULL;
		if (ok) {
			opt[0] = '-';
			opt[1] = key[0];
			opt[2] = '\0';
			ok = push_arg(args, n, opt) && (!val || push_arg(args, n, strdup(val)));
		}
	} else {
		size_t len = strlen(key) + (val ? strlen(val) + 1 : 0) + 3;
		ok = (opt = malloc(len)) != NULL;
		if (ok) {
			snprintf(opt, len, "--%s%s%s", key, val ? "=" : "", val ? val : "");
			ok = push_arg(args, n, opt);
		}
	}
	if (!ok)
		snprintf(err, KMS_ERRLEN, "--extra-opts: out of memory reading %.200s", file);
	return ok;
}

/* See options.h. Sections may appear more than once; all of them count. A
 * line outside any section, or an unterminated [header], is malformed; lines
 * of other sections are skipped unread (they may belong to other plugins). */
bool extra_opts_read(const char *spec, const char *plugin_name, char ***args,
		     int *n, char err[KMS_ERRLEN])
{
	if (!spec)
		spec = "";
	const char *at = strchr(spec, '@');
	size_t slen = at ? (size_t)(at - spec) : strlen(spec);
	char section[256];
	if (slen >= sizeof section) {
		snprintf(err, KMS_ERRLEN, "--extra-opts: section name longer than %zu bytes",
			 sizeof section - 1);
		return false;
	}
	if (slen == 0)
		snprintf(section, sizeof section, "%s", plugin_name ? plugin_name : "");
	else {
		memcpy(section, spec, slen);
		section[slen] = '\0';
	}

	const char *file = NULL;
	if (at) {
		file = at + 1;
		if (*file == '\0') {
			snprintf(err, KMS_ERRLEN, "--extra-opts=%.200s: no file name after '@'", spec);
			return false;
		}
	} else {
		const char *env = getenv("MP_CONFIG_FILE");
		if (env && *env)
			file = env;
		for (size_t i = 0; !file && i < sizeof default_ini_paths / sizeof default_ini_paths[0]; i++)
			if (access(default_ini_paths[i], F_OK) == 0)
				file = default_ini_paths[i];
		if (!file) {
			snprintf(err, KMS_ERRLEN,
				 "--extra-opts: no config file: MP_CONFIG_FILE is not set and none of the standard files exists (e.g. /etc/monitoring-plugins/monitoring-plugins.ini)");
			return false;
		}
	}

	FILE *f = fopen(file, "r");
	if (!f) {
		snprintf(err, KMS_ERRLEN, "--extra-opts: cannot read %.200s: %s", file,
			 strerror(errno));
		return false;
	}
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	bool found = false, in_section = false, seen_section = false, ok = true;
	while (ok && getline(&line, &cap, f) != -1) {
		lineno++;
		char *s = trim(line);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			size_t len = strlen(s);
			if (s[len - 1] != ']') {
				snprintf(err, KMS_ERRLEN,
					 "--extra-opts: %.200s line %u: section header without a closing ']'",
					 file, lineno);
				ok = false;
				break;
			}
			s[len - 1] = '\0';
			seen_section = true;
			in_section = strcmp(trim(s + 1), section) == 0;
			found = found || in_section;
			continue;
		}
		if (!seen_section) {
			snprintf(err, KMS_ERRLEN,
				 "--extra-opts: %.200s line %u: option outside any [section]",
				 file, lineno);
			ok = false;
			break;
		}
		if (in_section) {
			ok = extra_line(s, file, lineno, args, n, err);
			if (ok)
				note_where(file, section, lineno, *n);
		}
	}
	if (ok && ferror(f)) {
		snprintf(err, KMS_ERRLEN, "--extra-opts: cannot read %.200s: %s", file,
			 strerror(errno));
		ok = false;
	}
	free(line);
	fclose(f);
	if (ok && !found) {
		snprintf(err, KMS_ERRLEN, "--extra-opts: section [%.200s] not found in %.200s",
			 section, file);
		ok = false;
	}
	return ok;
}

/* "--extra-opts SPEC" as two words (what Icinga 2 renders from a command
 * argument with a value), as monitoring-plugins accepts it: the next word
 * is the spec unless it is an option itself. */
static bool takes_spec(int argc, char **argv, int i)
{
	return i + 1 < argc && argv[i + 1][0] != '-';
}

/* Builds the argv getopt sees: argv[0], then the options of every
 * --extra-opts in order, then the command line without them (so the
 * command line, coming last, wins). Scanning stops at "--". */
static char **expand_extra_opts(int argc, char **argv, const char *name, int *out_argc,
				int *out_extra)
{
	char **extra = NULL;
	int n_extra = 0;
	bool any = false;
	for (int i = 0; i < n_extra_where; i++)
		free(extra_where[i]); /* a fresh expansion (tests parse again) */
	n_extra_where = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		const char *spec = NULL;
		if (strcmp(argv[i], "--extra-opts") == 0)
			spec = takes_spec(argc, argv, i) ? argv[++i] : "";
		else if (strncmp(argv[i], "--extra-opts=", 13) == 0)
			spec = argv[i] + 13;
		if (!spec)
			continue;
		any = true;
		char err[KMS_ERRLEN];
		track_where = true;
		bool read_ok = extra_opts_read(spec, name, &extra, &n_extra, err);
		track_where = false;
		if (!read_ok) {
			for (int k = 0; k < n_extra; k++)
				free(extra[k]);
			free(extra);
			die("%s", err);
		}
	}
	char **nargv = keep(calloc((size_t)argc + (size_t)n_extra + 1, sizeof *nargv));
	int k = 0;
	nargv[k++] = argv[0];
	for (int i = 0; i < n_extra; i++)
		nargv[k++] = keep(extra[i]);
	free(extra);
	bool after_dashdash = false;
	for (int i = 1; i < argc; i++) {
		if (!after_dashdash && any && strcmp(argv[i], "--extra-opts") == 0) {
			i += takes_spec(argc, argv, i);
			continue;
		}
		if (!after_dashdash && any && strncmp(argv[i], "--extra-opts=", 13) == 0)
			continue;
		if (strcmp(argv[i], "--") == 0)
			after_dashdash = true;
		nargv[k++] = argv[i];
	}
	nargv[k] = NULL;
	*out_argc = k;
	*out_extra = n_extra;
	return nargv;
}

/* ---- help --------------------------------------------------------------- */

static void print_option(const struct plugin_option *o)
{
	char head[160];
	size_t len = 0;
	if (o->short_name && o->long_name)
		len = (size_t)snprintf(head, sizeof head, " -%c, --%s", o->short_name, o->long_name);
	else if (o->short_name)
		len = (size_t)snprintf(head, sizeof head, " -%c", o->short_name);
	else
		len = (size_t)snprintf(head, sizeof head, " --%s", o->long_name);
	const char *arg = o->arg_name ? o->arg_name : o->has_arg ? "VALUE" : NULL;
	if (arg && len < sizeof head)
		snprintf(head + len, sizeof head - len, "%s%s", o->long_name ? "=" : " ", arg);
	printf("%s\n", head);
	const char *h = o->help ? o->help : "";
	while (*h) {
		size_t l = strcspn(h, "\n");
		printf("    %.*s\n", (int)l, h);
		h += l;
		if (*h == '\n')
			h++;
	}
}

/* Layout: purpose, usage, standard options (by group), the plugin's
 * options, notes, the timeout default and the exit codes. */
void options_print_help(const struct plugin_info *info)
{
	printf("%s - %s\n\n", info->name, info->purpose ? info->purpose : "");
	printf("Usage: %s %s\n\n", info->name, info->usage ? info->usage : "[OPTIONS]");
	printf("Standard options:\n");
	for (size_t i = 0; i < N_STD; i++)
		if (group_on(std_options[i].group, info->groups))
			print_option(&std_options[i].opt);
	size_t np = n_plugin_options(info);
	if (np) {
		printf("\n%s options:\n", info->name);
		for (size_t i = 0; i < np; i++)
			print_option(&info->options[i]);
	}
	if (info->notes && *info->notes)
		printf("\n%s\n", info->notes);
	printf("\nOn timeout (-t, default 10 s) the state is %s unless -t gives one.\n",
	       state_name(info->timeout_state));
	printf("Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN; --help and --version exit 0.\n");
}

/* ---- parsing ------------------------------------------------------------ */

/* One option getopt may return, standard or the plugin's. */
struct entry {
	const struct plugin_option *opt;
	bool standard;
};

static const char *opt_display(char **av, int ind, int optchar, char *buf, size_t len)
{
	/* For a long option name the word as typed (up to '='); for a short one
	 * the letter, even inside a cluster like -vx. */
	const char *word = ind > 0 ? av[ind - 1] : NULL;
	if (word && strncmp(word, "--", 2) == 0) {
		snprintf(buf, len, "%.*s", (int)strcspn(word, "="), word);
	} else if (optchar > 0 && optchar < 256 && isprint(optchar)) {
		snprintf(buf, len, "-%c", optchar);
	} else if (word) {
		snprintf(buf, len, "%s", word);
	} else {
		snprintf(buf, len, "?");
	}
	return buf;
}

static void handle_standard(int id, const char *arg, const struct plugin_info *info,
			    struct common_opts *co)
{
	char err[KMS_ERRLEN];
	switch (id) {
	case 'h':
		options_print_help(info);
		fflush(stdout);
		exit(0);
	case 'V':
		printf("%s (kms-plugins) %s\n", info->name, KMS_VERSION);
		fflush(stdout);
		exit(0);
	case 'v':
		if (co->verbose < 3)
			co->verbose++;
		return;
	case 't':
		if (!timeout_parse(arg, info->timeout_state, &co->timeout,
				   &co->timeout_state, err))
			die("%s", err);
		return;
	case 'w':
		co->warning = arg;
		return;
	case 'c':
		co->critical = arg;
		return;
	case 'H':
		if (!*arg)
			die("-H/--hostname is empty");
		co->hostname = arg;
		return;
	case 'p': {
		long long port;
		if (!number_parse("port", arg, 1, 65535, &port, err))
			die("%s", err);
		co->port = arg;
		return;
	}
	case '4':
		co->family = AF_INET;
		return;
	case '6':
		co->family = AF_INET6;
		return;
	case 'D':
		if (!*arg)
			die("-D/--domain is empty");
		co->domain = arg;
		return;
	case 's':
		if (!*arg)
			die("-s/--dns-server is empty");
		co->dns_server = arg;
		return;
	case 'u': /* add_url() */
		return;
	case ID_CACERT:
		co->fetch.cacert = arg;
		return;
	case ID_CLIENT_CERT:
		co->fetch.client_cert = arg;
		return;
	case ID_CLIENT_KEY:
		co->fetch.client_key = arg;
		return;
	case ID_INSECURE:
		co->fetch.insecure = true;
		return;
	case ID_AUTH_FILE:
		co->fetch.auth_file = arg;
		return;
	case ID_NETRC:
		co->fetch.netrc = true;
		return;
	case ID_NETRC_FILE:
		co->fetch.netrc_file = arg;
		return;
	case ID_MAX_SIZE:
		if (!size_parse(arg, &co->fetch.max_size, err))
			die("%s", err);
		return;
	case ID_MAX_AGE:
		if (!duration_parse(arg, &co->max_age, err))
			die("--max-age: %s", err);
		if (!(co->max_age > 0))
			die("--max-age: invalid duration \"%s\": must be more than 0", arg);
		return;
	case ID_STALE_STATE:
		if (!state_parse(arg, &co->stale_state))
			die("--stale-state: \"%s\" is not a state (OK, WARNING, CRITICAL, UNKNOWN)", arg);
		return;
	case ID_OUTPUT_FORMAT:
		if (!output_format_parse(arg, &co->output_format))
			die("unknown --output-format '%.64s' (text, json or mp-test-json)", arg);
		/* at once, like the aspect: a bad option after it is then
		 * reported in the format asked for */
		output_set_format(co->output_format);
		return;
	case ID_EXTRA_OPTS:
		/* Only the full spelling is expanded before parsing. */
		die("write --extra-opts in full (abbreviations are not expanded)");
	default:
		die("internal error: standard option id %d has no handler", id);
	}
}

/* "FILE, [SECTION] line N" when the argument getopt just stopped at (optind
 * - 1, av[1..n_extra] being the ini file's) came from --extra-opts. */
static const char *ini_origin(int ind, int n_extra)
{
	int i = ind - 1 - 1; /* av[0] is the program */
	return i >= 0 && i < n_extra && i < n_extra_where ? extra_where[i] : NULL;
}

/* Another -u. The command line replaces the URLs of --extra-opts instead
 * of adding to them, as it does for every other option; the ini file's
 * options come first in av, so the first -u of the command line starts
 * the list again. */
static void add_url(struct common_opts *co, const char *arg, bool from_ini,
		    bool *list_from_ini)
{
	if (!*arg)
		die("-u/--url is empty");
	if (!from_ini && *list_from_ini)
		co->n_urls = 0;
	*list_from_ini = from_ini;
	for (size_t i = 0; i < co->n_urls; i++)
		if (strcmp(co->urls[i], arg) == 0) {
			char shown[1024];
			url_redact(arg, shown, sizeof shown);
			die("-u %s is given twice: one document per KMS host", shown);
		}
	if (co->n_urls == OPTS_MAX_URLS)
		die("more than %d -u/--url: at most one status document per KMS host, %d hosts",
		    OPTS_MAX_URLS, OPTS_MAX_URLS);
	co->urls[co->n_urls++] = arg;
	co->url = co->urls[0];
}

/* See options.h. The plugin's options may reuse a letter only of a group it
 * did not ask for; a clash is a programming error and ends with UNKNOWN. */
void options_parse(int argc, char **argv, const struct plugin_info *info,
		   struct common_opts *out)
{
	output_set_aspect(info->aspect);
	memset(out, 0, sizeof *out);
	out->timeout = 10;
	out->timeout_state = info->timeout_state;
	out->family = AF_UNSPEC;
	out->fetch.max_size = FETCH_DEFAULT_MAX_SIZE;
	out->max_age = 3600;
	out->stale_state = STATE_UNKNOWN;

	size_t np = n_plugin_options(info);
	struct entry *entries = keep(calloc(N_STD + np, sizeof *entries));
	struct option *longs = keep(calloc(N_STD + np + 1, sizeof *longs));
	char *shorts = keep(calloc(2 * (N_STD + np) + 2, 1));
	size_t ne = 0, nl = 0, ns = 0;
	shorts[ns++] = ':'; /* missing argument reported as ':' */
	for (size_t i = 0; i < N_STD + np; i++) {
		bool std = i < N_STD;
		if (std && !group_on(std_options[i].group, info->groups))
			continue;
		const struct plugin_option *o = std ? &std_options[i].opt : &info->options[i - N_STD];
		for (size_t k = 0; k < ne; k++) {
			const struct plugin_option *p = entries[k].opt;
			if ((o->short_name && o->short_name == p->short_name) ||
			    (o->long_name && p->long_name && strcmp(o->long_name, p->long_name) == 0) ||
			    o->id == p->id)
				die("internal error: option --%s (-%c) of %s clashes with another option",
				    o->long_name ? o->long_name : "", o->short_name ? o->short_name : '-',
				    info->name);
		}
		entries[ne].opt = o;
		entries[ne].standard = std;
		ne++;
		if (o->long_name) {
			longs[nl].name = o->long_name;
			longs[nl].has_arg = o->has_arg ? required_argument : no_argument;
			longs[nl].val = o->id;
			nl++;
		}
		if (o->short_name) {
			shorts[ns++] = (char)o->short_name;
			if (o->has_arg)
				shorts[ns++] = ':';
		}
	}

	int ac, n_extra;
	char **av = expand_extra_opts(argc, argv, info->name, &ac, &n_extra);

	opterr = 0;
	optind = 0; /* full re-initialisation (glibc), so tests can parse again */
	bool urls_from_ini = false;
	int c;
	while ((c = getopt_long(ac, av, shorts, longs, NULL)) != -1) {
		char name[128];
		const char *from = ini_origin(optind, n_extra);
		if (c == '?' && optopt != 0 && optind > 0 && strncmp(av[optind - 1], "--", 2) == 0)
			die("option \"%s\" takes no argument%s%s",
			    opt_display(av, optind, optopt, name, sizeof name), from ? " in " : "",
			    from ? from : "");
		if (c == '?')
			die("unknown option \"%s\"%s%s (see --help)",
			    opt_display(av, optind, optopt, name, sizeof name), from ? " in " : "",
			    from ? from : "");
		if (c == ':')
			die("option \"%s\" needs an argument%s%s",
			    opt_display(av, optind, optopt, name, sizeof name), from ? " in " : "",
			    from ? from : "");
		const struct entry *e = NULL;
		for (size_t k = 0; k < ne && !e; k++)
			if (entries[k].opt->id == c)
				e = &entries[k];
		if (!e)
			die("internal error: getopt returned unknown option id %d", c);
		if (e->standard && c == 'u') {
			add_url(out, optarg, from != NULL, &urls_from_ini);
		} else if (e->standard) {
			handle_standard(c, optarg, info, out);
		} else {
			char err[KMS_ERRLEN] = "";
			if (!info->handle)
				die("internal error: %s has options but no handler", info->name);
			if (!info->handle(c, optarg, info->ctx, err))
				die("%s", *err ? err : "invalid option");
		}
	}
	if (optind < ac)
		die("unexpected argument \"%s\" (this plugin takes options only; see --help)",
		    av[optind]);
}

/* See options.h. */
void options_start(const struct common_opts *co)
{
	output_set_verbosity(co->verbose);
	output_set_format(co->output_format);
	if (co->fetch.insecure)
		vlog(1, "TLS verification disabled (--insecure)");
	timeout_start(co->timeout, co->timeout_state, output_aspect());
}
