/* unit.h - shared runner for the Check unit tests of common/.
 * Each tests/unit/test_X.c builds a Suite and calls unit_run() from main. */
#ifndef KMS_UNIT_H
#define KMS_UNIT_H

#include <check.h>
#include "result.h"

/* A metric with every field given, for the tests of the result model. */
static inline struct metric unit_metric(const char *label, double value, const char *uom,
					const struct thresholds *th, double min, double max)
{
	struct metric m = METRIC(label, value);
	m.uom = uom;
	m.th = th;
	m.min = min;
	m.max = max;
	return m;
}

/* Run suite s with the normal runner, print Check's summary line, and return
 * the process exit status (0 when every test passed). */
int unit_run(Suite *s);

#endif
