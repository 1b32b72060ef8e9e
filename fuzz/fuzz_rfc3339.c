/* fuzz_rfc3339.c - rfc3339_parse on any text; an accepted time must be
 * finite and format with fmt_utc. */
#include <math.h>
#include <stdint.h>
#include "fuzz.h"
#include "timeutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	char err[KMS_ERRLEN];
	double t = NAN;
	memset(err, 'x', sizeof err);
	bool ok = rfc3339_parse(s, &t, err);
	if (ok) {
		if (!isfinite(t))
			fuzz_fail("accepted time is not finite");
		char buf[64];
		fmt_utc(buf, sizeof buf, t, "%Y-%m-%d %H:%M");
		char dur[64];
		fmt_duration(dur, sizeof dur, t);
	} else {
		fuzz_check_err(err, 1);
	}
	free(s);
	return 0;
}
