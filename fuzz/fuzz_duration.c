/* fuzz_duration.c - duration_parse (--max-age, --idle and friends, also read
 * from --extra-opts files) and number_parse; an accepted duration must be
 * finite and not negative, and format with fmt_duration. */
#include <math.h>
#include <stdint.h>
#include "fuzz.h"
#include "number.h"
#include "timeutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	char err[KMS_ERRLEN];
	double sec = NAN;
	memset(err, 'x', sizeof err);
	bool ok = duration_parse(s, &sec, err);
	fuzz_check_err(err, !ok);
	if (ok) {
		if (!isfinite(sec) || sec < 0)
			fuzz_fail("duration \"%s\" accepted as %g", s, sec);
		char buf[64];
		fmt_duration(buf, sizeof buf, sec);
	}
	long long v = 0;
	memset(err, 'x', sizeof err);
	ok = number_parse("--fuzz", s, -5, 1000000, &v, err);
	fuzz_check_err(err, !ok);
	if (ok && (v < -5 || v > 1000000))
		fuzz_fail("number %lld outside its bounds", v);
	free(s);
	return 0;
}
