/* fuzz_range.c - range_parse with and without RANGE_ALLOW_PERCENT (the first
 * byte chooses), and thresholds_parse on "WARN\nCRIT". An accepted range
 * without percent must survive range_format -> range_parse unchanged, since
 * the formatted text goes into perfdata that Icinga parses again. */
#include <math.h>
#include <stdint.h>
#include "fuzz.h"
#include "range.h"

static void round_trip(const struct range *r, int flags)
{
	char buf[1024];
	range_format(r, buf, sizeof buf);
	if (strpbrk(buf, "eEnN"))
		fuzz_fail("range_format wrote \"%s\"", buf);
	struct range back;
	char err[KMS_ERRLEN];
	if (!range_parse(buf, flags, &back, err))
		fuzz_fail("formatted range \"%s\" rejected: %s", buf, err);
	if (back.alert_inside != r->alert_inside ||
	    back.start_infinite != r->start_infinite ||
	    back.end_infinite != r->end_infinite)
		fuzz_fail("range \"%s\" changed shape on a round trip", buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int flags = (data[0] & 1) ? RANGE_ALLOW_PERCENT : 0;
	char *s = fuzz_cstr(data + 1, size - 1);
	struct range r;
	char err[KMS_ERRLEN];
	memset(err, 'x', sizeof err);
	bool ok = range_parse(s, flags, &r, err);
	fuzz_check_err(err, !ok);
	if (ok) {
		if (isnan(r.start) || isnan(r.end))
			fuzz_fail("NaN bound accepted");
		if (!r.start_infinite && !r.end_infinite && r.start > r.end)
			fuzz_fail("start > end accepted");
		static const double values[] = { -1e300, -1, 0, 0.5, 10, 1e300 };
		for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
			(void)range_violates(&r, values[i]);
		if (r.percent)
			range_scale(&r, 162.4);
		round_trip(&r, 0);
	}
	/* the same bytes as a -w / -c pair */
	char *nl = strchr(s, '\n');
	if (nl) {
		*nl = '\0';
		struct thresholds t;
		memset(err, 'x', sizeof err);
		ok = thresholds_parse(&t, s, nl + 1, flags, err);
		fuzz_check_err(err, !ok);
		if (ok)
			(void)thresholds_check(&t, 5);
	}
	free(s);
	return 0;
}
