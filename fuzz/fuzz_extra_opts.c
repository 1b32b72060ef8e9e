/* fuzz_extra_opts.c - the --extra-opts ini reader (extra_opts_read) on an ini
 * file whose bytes are the input, read through a memfd. The section asked
 * for is "check_kms_count" (the default: plugin name) or, when the input
 * starts with "@@NAME\n", NAME. */
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
#include "fuzz.h"
#include "options.h"

static int fd = -1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char spec[320] = "";
	size_t off = 0;
	if (size > 2 && data[0] == '@' && data[1] == '@') {
		const uint8_t *nl = memchr(data, '\n', size);
		size_t len = nl ? (size_t)(nl - data) - 2 : 0;
		if (nl && len < 256 && !memchr(data + 2, '\0', len) && !memchr(data + 2, '@', len)) {
			memcpy(spec, data + 2, len);
			spec[len] = '\0';
			off = (size_t)(nl - data) + 1;
		}
	}
	if (fd < 0 && (fd = memfd_create("extra-opts", 0)) < 0)
		abort();
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data + off, size - off, 0) != (ssize_t)(size - off))
		abort();
	size_t sl = strlen(spec);
	snprintf(spec + sl, sizeof spec - sl, "@/proc/self/fd/%d", fd);

	char **args = NULL;
	int n = 0;
	char err[KMS_ERRLEN];
	memset(err, 'x', sizeof err);
	bool ok = extra_opts_read(spec, "check_kms_count", &args, &n, err);
	fuzz_check_err(err, !ok);
	/* "--key[=value]", or "-k" and its value (which may start with '-'):
	 * the first is always an option */
	if (n > 0 && args[0][0] != '-')
		fuzz_fail("first argument \"%s\" is not an option", args[0]);
	for (int i = 0; i < n; i++) {
		if (!args[i])
			fuzz_fail("argument %d is NULL", i);
		free(args[i]);
	}
	free(args);
	return 0;
}
